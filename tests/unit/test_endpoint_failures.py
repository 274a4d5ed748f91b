"""Nothing escapes the endpoint: whatever fails (the parser, a handler, the spool,
logging), the message ends in the same bounded path: handed back after
requeue_delay, spooled after the limits. An exception reaching oslo.messaging would
be requeued at once, with no pause and no count: a hot loop."""

import json
import logging

import pytest

from notify import endpoint, parse
from notify.deadletter import Spool
from notify.errors import PermanentError
from tests import payloads
from tests.unit.test_endpoint import Flaky, Recorder, call, make


@pytest.fixture
def spool(tmp_path):
    return Spool(str(tmp_path / 'failed'))


def spooled(spool):
    return [json.load(open(p)) for p in spool.paths()]


def deep(depth=5000):
    value = {}
    for _ in range(depth):
        value = [value]
    return value


def rounds(ep, message, count, message_id='m-1'):
    return [call(ep, *message, message_id=message_id) for _ in range(count)]


@pytest.mark.parametrize('error', [TypeError("unhashable type: 'list'"),
                                   RecursionError('maximum recursion depth exceeded'),
                                   KeyError('address')])
def test_parser_failure_takes_the_bounded_path(monkeypatch, spool, error, caplog):
    def broken(event_type, payload):
        raise error
    monkeypatch.setattr(parse, 'parse', broken)
    handler, sleeps = Recorder(), []
    ep = make(handler, sleeps, spool, max_unexpected=3)
    message = payloads.versioned_delete('i-1', 'web1', 'p')
    with caplog.at_level(logging.WARNING, logger='notify'):
        assert rounds(ep, message, 3) == [endpoint.REQUEUE, endpoint.REQUEUE,
                                          endpoint.HANDLED]
    assert sleeps == [2.5, 2.5] and handler.seen == []
    [record] = spooled(spool)
    assert type(error).__name__ in record['reason'] and record['attempts'] == 3
    assert 'handing back in 2.5s' in caplog.text


def test_handler_recursion_error_takes_the_bounded_path(spool):
    handler, sleeps = Flaky(*[RecursionError('deep')] * 5), []
    ep = make(handler, sleeps, spool, max_unexpected=2)
    message = payloads.versioned_delete('i-1', 'web1', 'p')
    assert rounds(ep, message, 2) == [endpoint.REQUEUE, endpoint.HANDLED]
    assert 'RecursionError' in spooled(spool)[0]['reason']


class Unprintable(Exception):
    def __str__(self):
        raise ValueError('no text for you')


def test_exception_that_cannot_be_printed(spool):
    handler, sleeps = Flaky(Unprintable(), Unprintable()), []
    ep = make(handler, sleeps, spool, max_unexpected=2)
    message = payloads.versioned_delete('i-1', 'web1', 'p')
    assert rounds(ep, message, 2) == [endpoint.REQUEUE, endpoint.HANDLED]
    assert 'Unprintable' in spooled(spool)[0]['reason']


def test_message_without_id_and_too_deep_to_serialise(spool):
    """Its key (for counting rounds) and its spool record must still be made."""
    handler, sleeps = Flaky(*[RuntimeError('bug')] * 5), []
    ep = make(handler, sleeps, spool, max_unexpected=2)
    event_type, payload = payloads.versioned_delete('i-1', 'web1', 'p')
    payload['nova_object.data']['junk'] = deep()
    results = [getattr(ep, 'info')({}, 'compute.host1', event_type, payload, {})
               for _ in range(2)]
    assert results == [endpoint.REQUEUE, endpoint.HANDLED]
    [record] = spooled(spool)
    assert record['event_type'] == event_type and 'RuntimeError: bug' in record['reason']


def test_bad_input_too_deep_to_spool_as_json_is_still_kept(spool):
    handler, sleeps = Recorder(), []
    ep = make(handler, sleeps, spool)
    assert call(ep, 'floatingip.update.end', deep(5000)) == endpoint.HANDLED
    assert sleeps == []
    [record] = spooled(spool)
    assert record['reason'].startswith('bad input') and record['payload'] is None
    assert 'list' in record['not_kept']['payload']


def test_id_that_cannot_be_printed(spool):
    handler, sleeps = Recorder(PermanentError('IPA refused')), []
    ep = make(handler, sleeps, spool)
    event_type, payload = payloads.versioned_delete('i-1', 'web1', 'p')
    result = ep.info({}, 'compute.host1', event_type, payload,
                     {'message_id': deep(), 'timestamp': deep()})
    assert result == endpoint.HANDLED and len(spooled(spool)) == 1


class BrokenSpool:
    def __init__(self, error):
        self.error = error
        self.calls = 0

    def put(self, **record):
        self.calls += 1
        raise self.error


@pytest.mark.parametrize('error', [RuntimeError('disk on fire'), RecursionError('deep'),
                                   MemoryError()])
def test_spool_failing_in_any_way_means_hand_back(error):
    handler, sleeps = Recorder(PermanentError('IPA refused')), []
    broken = BrokenSpool(error)
    ep = make(handler, sleeps, broken)
    assert call(ep, *payloads.versioned_delete('i-1', 'web1', 'p')) == endpoint.REQUEUE
    assert broken.calls == 1 and sleeps == [2.5]


class Exploding(logging.Filter):
    def filter(self, record):
        raise RuntimeError('log handler broken')


@pytest.fixture
def broken_logging():
    logger = logging.getLogger('notify.endpoint')
    blocker = Exploding()
    logger.addFilter(blocker)
    yield
    logger.removeFilter(blocker)


@pytest.mark.parametrize('fail, expected', [
    (None, endpoint.HANDLED),
    (PermanentError('IPA refused'), endpoint.HANDLED),
    (RuntimeError('bug'), endpoint.REQUEUE),
])
def test_logging_that_raises_changes_nothing(broken_logging, spool, fail, expected):
    handler, sleeps = Recorder(fail), []
    ep = make(handler, sleeps, spool)
    assert call(ep, *payloads.versioned_delete('i-1', 'web1', 'p')) == expected
    bad = payloads.legacy_delete('i-2', None, 'p')
    assert call(ep, *bad, message_id='m-2') == endpoint.HANDLED


def test_own_failure_is_handed_back_after_the_pause(monkeypatch, caplog):
    def broken(self, message):
        raise AttributeError('a bug in the endpoint itself')
    monkeypatch.setattr(endpoint.NotificationEndpoint, '_process', broken)
    handler, sleeps = Recorder(), []
    ep = make(handler, sleeps)
    with caplog.at_level(logging.ERROR, logger='notify'):
        assert call(ep, *payloads.versioned_delete('i-1', 'web1', 'p')) == \
            endpoint.REQUEUE
    assert sleeps == [2.5] and ep.progress.in_flight == 0
    assert 'AttributeError' in caplog.text and 'm-1' in caplog.text


def test_metadata_that_is_not_an_object():
    handler, sleeps = Recorder(), []
    ep = make(handler, sleeps)
    event_type, payload = payloads.versioned_delete('i-1', 'web1', 'p')
    assert ep.info({}, 'compute.host1', event_type, payload, ['odd']) == endpoint.HANDLED
    assert [e.instance_id for e in handler.seen] == ['i-1']



class Incoming:
    def __init__(self, message):
        self.message = message
        self.ctxt = {}


def test_unreadable_envelope_too_deep_to_print(broken_logging):
    dispatcher = endpoint.SafeNotificationDispatcher([make(Recorder(), [])], None)
    message = {'priority': deep(), 'event_type': deep(), 'message_id': deep()}
    assert dispatcher.dispatch(Incoming(message)) == endpoint.HANDLED
