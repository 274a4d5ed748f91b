"""What happens to a message: acknowledged, or handed back after a pause."""

import json
import logging

import oslo_messaging
import pytest

from notify import endpoint
from notify.deadletter import Spool
from notify.errors import PermanentError, TransientError
from notify.events import InstanceDeleted
from notify.handlers import Handler
from tests import payloads
from tests.unit.fakes import Clock


class Recorder(Handler):
    events = (InstanceDeleted,)

    def __init__(self, fail=None):
        self.seen = []
        self.fail = fail

    def handle(self, event):
        self.seen.append(event)
        if self.fail:
            raise self.fail


def make(handler, sleeps, spool=None, clock=None, **policy):
    defaults = dict(attempts=3, initial_delay=1.0, max_delay=30.0, requeue_delay=2.5,
                    max_unexpected=3, transient_timeout=60.0)
    defaults.update(policy)
    return endpoint.NotificationEndpoint(
        [handler], policy=endpoint.RetryPolicy(**defaults), spool=spool,
        sleep=sleeps.append, clock=clock or Clock())


def call(ep, event_type, payload, message_id='m-1', priority='info'):
    return getattr(ep, priority)({}, 'compute.host1', event_type, payload,
                                 {'message_id': message_id, 'timestamp': 't'})


class Flaky(Recorder):
    """Fails with ``errors`` in turn, then succeeds."""

    def __init__(self, *errors):
        super().__init__()
        self.errors = list(errors)

    def handle(self, event):
        self.seen.append(event)
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture
def spool(tmp_path):
    return Spool(str(tmp_path / 'failed'))


def spooled(spool):
    return [json.load(open(p)) for p in spool.paths()]


def test_done_is_acknowledged():
    handler, sleeps = Recorder(), []
    result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.HANDLED
    assert [e.instance_id for e in handler.seen] == ['i-1'] and sleeps == []


def test_other_event_types_are_acknowledged_untouched():
    handler, sleeps = Recorder(), []
    assert call(make(handler, sleeps), 'instance.create.end', {}) == endpoint.HANDLED
    assert handler.seen == []


def test_bad_input_is_one_error_line_spooled_and_acknowledged(caplog, spool):
    handler, sleeps = Recorder(), []
    event_type, payload = payloads.legacy_delete('i-1', None, 'p')
    with caplog.at_level(logging.ERROR, logger='notify'):
        result = call(make(handler, sleeps, spool), event_type, payload, message_id='msg-77')
    assert result == endpoint.HANDLED and handler.seen == [] and sleeps == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert 'compute.instance.delete.end' in line and 'msg-77' in line
    assert 'has no hostname' in line
    [record] = spooled(spool)
    assert record['reason'].startswith('bad input') and record['message_id'] == 'msg-77'
    assert record['payload'] == payload and record['exchange'] == 'nova'
    assert record['priority'] == 'info'


def test_transient_failure_is_retried_in_process_with_backoff():
    handler, sleeps = Flaky(TransientError('IPA unreachable')), []
    result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.HANDLED and len(handler.seen) == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1.0


def test_transient_failure_hands_back_after_its_attempts(caplog):
    handler = Flaky(*[TransientError('IPA unreachable')] * 3)
    sleeps = []
    with caplog.at_level(logging.WARNING, logger='notify'):
        result = call(make(handler, sleeps), *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.REQUEUE and len(handler.seen) == 3
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0 and sleeps[2] == 2.5
    assert 'handing back in 2.5s' in caplog.text


def test_transient_failure_past_the_timeout_is_spooled(spool):
    clock, sleeps = Clock(), []
    handler = Flaky(*[TransientError('IPA down')] * 100)
    ep = make(handler, sleeps, spool, clock, attempts=1, transient_timeout=60.0)
    message = payloads.versioned_delete('i-1', 'web1', 'p')
    assert call(ep, *message) == endpoint.REQUEUE
    clock.now += 30
    assert call(ep, *message) == endpoint.REQUEUE
    clock.now += 31
    assert call(ep, *message) == endpoint.HANDLED
    [record] = spooled(spool)
    assert 'still failing after 61s' in record['reason'] and record['attempts'] == 3


def test_unexpected_failure_is_not_retried_in_process_and_spooled_after_rounds(spool):
    handler, sleeps = Flaky(*[RuntimeError('bug')] * 10), []
    ep = make(handler, sleeps, spool, max_unexpected=3)
    message = payloads.versioned_delete('i-1', 'web1', 'p')
    assert [call(ep, *message) for _ in range(3)] == [endpoint.REQUEUE, endpoint.REQUEUE,
                                                      endpoint.HANDLED]
    assert len(handler.seen) == 3 and sleeps == [2.5, 2.5]
    [record] = spooled(spool)
    assert 'RuntimeError: bug' in record['reason']


def test_permanent_failure_is_spooled_and_acknowledged(caplog, spool):
    handler, sleeps = Recorder(PermanentError('IPA refused')), []
    with caplog.at_level(logging.ERROR, logger='notify'):
        result = call(make(handler, sleeps, spool),
                      *payloads.versioned_delete('i-1', 'web1', 'p'))
    assert result == endpoint.HANDLED and sleeps == [] and len(handler.seen) == 1
    assert 'IPA refused' in caplog.text
    assert spooled(spool)[0]['reason'] == 'IPA refused'


def test_unwritable_spool_means_hand_back(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    handler, sleeps = Recorder(PermanentError('IPA refused')), []
    ep = make(handler, sleeps, Spool(str(blocker / 'failed')))
    assert call(ep, *payloads.versioned_delete('i-1', 'web1', 'p')) == endpoint.REQUEUE


def test_every_priority_reaches_the_same_handling(spool):
    handler, sleeps = Recorder(), []
    ep = make(handler, sleeps, spool)
    for priority in oslo_messaging.notify.dispatcher.PRIORITIES:
        assert call(ep, *payloads.versioned_delete('i', 'h', 'p'),
                    priority=priority) == endpoint.HANDLED
    assert len(handler.seen) == len(oslo_messaging.notify.dispatcher.PRIORITIES)
    call(ep, 'floatingip.update.end', {'floatingip': 7}, priority='error')
    assert spooled(spool)[0]['priority'] == 'error'
    assert spooled(spool)[0]['exchange'] == 'neutron'


def test_backoff_is_bounded():
    policy = endpoint.RetryPolicy(initial_delay=1.0, max_delay=5.0)
    for attempt, bound in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (10, 5.0)):
        assert all(0 <= policy.backoff(attempt) <= bound for _ in range(50))


def test_progress_reports_a_stall():
    clock = Clock()
    progress = endpoint.Progress(clock)
    assert progress.stalled_for() == 0
    progress.started()
    clock.now += 40
    assert progress.stalled_for() == 40
    progress.finished()
    assert progress.stalled_for() == 0


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
