"""What happens to a message: acknowledged, or handed back after a pause."""

import logging

import oslo_messaging
import pytest

from notify import endpoint
from notify.errors import PermanentError, TransientError
from notify.events import InstanceDeleted
from notify.handlers import Handler
from tests import payloads


class Recorder(Handler):
    events = (InstanceDeleted,)

    def __init__(self, fail=None):
        self.seen = []
        self.fail = fail

    def handle(self, event):
        self.seen.append(event)
        if self.fail:
            raise self.fail


def make(handler, sleeps):
    return endpoint.NotificationEndpoint([handler], requeue_delay=2.5, sleep=sleeps.append)


def call(ep, event_type, payload, message_id='m-1'):
    return ep.info({}, 'compute.host1', event_type, payload, {'message_id': message_id})


def test_done_is_acknowledged():
    handler, sleeps = Recorder(), []
    result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.HANDLED
    assert [e.instance_id for e in handler.seen] == ['i-1'] and sleeps == []


def test_other_event_types_are_acknowledged_untouched():
    handler, sleeps = Recorder(), []
    assert call(make(handler, sleeps), 'instance.create.end', {}) == endpoint.HANDLED
    assert handler.seen == []


def test_bad_input_is_one_error_line_and_acknowledged(caplog):
    handler, sleeps = Recorder(), []
    event_type, payload = payloads.legacy_delete('i-1', None, 'p')
    with caplog.at_level(logging.ERROR, logger='notify'):
        result = call(make(handler, sleeps), event_type, payload, message_id='msg-77')
    assert result == endpoint.HANDLED and handler.seen == [] and sleeps == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert 'compute.instance.delete.end' in line and 'msg-77' in line
    assert 'has no hostname' in line


def test_transient_failure_requeues_after_a_pause():
    handler, sleeps = Recorder(TransientError('IPA unreachable')), []
    result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.REQUEUE and sleeps == [2.5]


def test_unexpected_failure_requeues_too():
    handler, sleeps = Recorder(RuntimeError('bug')), []
    result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.REQUEUE and sleeps == [2.5]


def test_permanent_failure_is_logged_and_acknowledged(caplog):
    handler, sleeps = Recorder(PermanentError('IPA refused')), []
    with caplog.at_level(logging.ERROR, logger='notify'):
        result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.HANDLED and sleeps == []
    assert 'IPA refused' in caplog.text


def test_every_priority_reaches_the_same_handling():
    handler, sleeps = Recorder(), []
    ep = make(handler, sleeps)
    for priority in oslo_messaging.notify.dispatcher.PRIORITIES:
        assert getattr(ep, priority)({}, 'x', *payloads.versioned_delete('i', 'h', 'p'),
                                     {}) == endpoint.HANDLED
    assert len(handler.seen) == len(oslo_messaging.notify.dispatcher.PRIORITIES)


class Incoming:
    def __init__(self, message, ctxt=None):
        self.message = message
        self.ctxt = ctxt or {}


@pytest.mark.parametrize('message', [
    {'priority': None, 'event_type': 'instance.delete.end', 'payload': {}},
    {'priority': 7, 'event_type': 'instance.delete.end', 'payload': {}},
    {'priority': ['info'], 'event_type': 'instance.delete.end'},
])
def test_unreadable_envelope_is_acknowledged_not_requeued(message, caplog):
    handler, sleeps = Recorder(), []
    dispatcher = endpoint.SafeNotificationDispatcher([make(handler, sleeps)], None)
    with caplog.at_level(logging.ERROR, logger='notify'):
        assert dispatcher.dispatch(Incoming(message)) == endpoint.HANDLED
    assert handler.seen == []
    assert 'unreadable envelope' in caplog.text


def test_dispatcher_filters_and_dispatches():
    handler, sleeps = Recorder(), []
    dispatcher = endpoint.SafeNotificationDispatcher([make(handler, sleeps)], None)
    event_type, payload = payloads.versioned_delete('i-9', 'h', 'p')
    for et in ('instance.create.end', event_type):
        result = dispatcher.dispatch(Incoming({'priority': 'INFO', 'event_type': et,
                                               'payload': payload, 'publisher_id': 'x'}))
        assert result == endpoint.HANDLED
    assert [e.instance_id for e in handler.seen] == ['i-9']
