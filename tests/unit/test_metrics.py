"""notify.metrics: what the daemon's code records, read back from the registry."""

import subprocess
import sys
import threading
import uuid

import pytest
from novaclient import exceptions as nova_exc

from notify.adapters.ipa_hosts import IPAHosts
from notify import endpoint, metrics
from notify.adapters import openstack
from notify.adapters.ipa import IPAClient
from notify.deadletter import Spool
from notify.errors import PermanentError, TransientError
from notify.events import InstanceDeleted
from notify.handlers import Handler
from tests import payloads
from tests.emulators.ipa import IPAEmulator

DELETE = 'compute.instance.delete.end'


def value(name, **labels):
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Sample values read before and after a block."""

    def __init__(self, *series):
        self.series = series
        self.before = [value(n, **lab) for n, lab in series]

    def __call__(self):
        return [value(n, **lab) - b for (n, lab), b in zip(self.series, self.before)]


def notifications(event_type, outcome):
    return ('novajoin_notify_notifications_total',
            {'event_type': event_type, 'outcome': outcome})


class Outcome(Handler):
    events = (InstanceDeleted,)

    def __init__(self, say=None, fail=None):
        self.say, self.fail, self.in_flight_seen = say, fail, None

    def handle(self, event):
        self.in_flight_seen = value('novajoin_notify_notifications_in_flight')
        if self.say:
            metrics.outcome(self.say)
        if self.fail:
            raise self.fail


def deliver(handler, event_type=DELETE, payload=None, spool=None, attempts=1):
    ep = endpoint.NotificationEndpoint(
        [handler], policy=endpoint.RetryPolicy(attempts=attempts, requeue_delay=0,
                                               max_unexpected=1),
        spool=spool, sleep=lambda s: None)
    if payload is None:
        payload = payloads.legacy_delete(str(uuid.uuid4()), 'web1', 'p1')[1]
    if not ep.filter_rule.match({}, 'compute.c1', event_type, {}, payload):
        return None
    return ep.info({}, 'compute.c1', event_type, payload, {'message_id': 'm-1'})


@pytest.mark.parametrize('say, fail, outcome', [
    (None, None, 'done'),
    ('not_enrolled', None, 'not_enrolled'),
    ('kept_live', None, 'kept_live'),
    (None, TransientError('IPA unreachable'), 'requeued'),
    ('kept_live', TransientError('IPA unreachable'), 'requeued'),
])
def test_each_message_counts_once_with_its_outcome(say, fail, outcome):
    delta = Delta(notifications(DELETE, outcome), notifications(DELETE, 'done'))
    handler = Outcome(say, fail)
    deliver(handler)
    assert delta()[0] == 1
    assert delta()[1] == (1 if outcome == 'done' else 0)
    assert handler.in_flight_seen >= 1
    assert value('novajoin_notify_notifications_in_flight') == 0


def test_bad_input_and_spooled_outcomes(tmp_path):
    delta = Delta(notifications(DELETE, 'bad_input'), notifications(DELETE, 'spooled'))
    deliver(Outcome(), payload={'instance_id': 'x'}, spool=Spool(str(tmp_path)))
    assert delta() == [1, 0]
    deliver(Outcome(fail=PermanentError('IPA refused')), spool=Spool(str(tmp_path)))
    assert delta() == [1, 1]
    assert value('novajoin_notify_dead_letters') == 2


def test_not_ours_is_counted_under_other_never_under_its_own_name():
    delta = Delta(notifications('other', 'not_ours'))
    assert deliver(Outcome(), event_type='evil.web1.example.test', payload={}) is None
    assert delta() == [1]
    text = metrics_text()
    assert 'evil.web1' not in text


def test_unknown_outcome_is_a_bug():
    with pytest.raises(ValueError):
        metrics.outcome('maybe')


def metrics_text():
    from prometheus_client import generate_latest
    return generate_latest(metrics.REGISTRY).decode()


def test_every_alerted_series_exists_from_the_start():
    text = metrics_text()
    for line in ('novajoin_notify_notifications_total{event_type="instance.delete.end",'
                 'outcome="done"}',
                 'novajoin_notify_last_removal_timestamp_seconds',
                 'novajoin_notify_dead_letters',
                 'novajoin_notify_ipa_calls_total{method="host_del",result="unavailable"}',
                 'novajoin_notify_audit_findings_total{kind="host"}'):
        assert line in text


def test_importing_metrics_starts_nothing():
    code = ('import threading, socket\n'
            'opened = []\n'
            'real = socket.socket.__init__\n'
            'def spy(self, *a, **k):\n'
            '    opened.append(a)\n'
            '    real(self, *a, **k)\n'
            'socket.socket.__init__ = spy\n'
            'import notify.metrics\n'
            'print(threading.active_count(), len(opened))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ['1', '0']


# -- IPA, against the emulator ------------------------------------------------------

@pytest.fixture
def ipa(monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    with IPAEmulator() as emulator:
        yield emulator


def client(emu, **kw):
    return IPAClient([emu.server], emu.ca_path, emu.username, emu.password, timeout=5, **kw)


def ipa_calls(method, result):
    return ('novajoin_notify_ipa_calls_total', {'method': method, 'result': result})


def test_ipa_calls_results_logins_and_removal_time(ipa):
    ipa.add_host('web1.example.test')
    delta = Delta(ipa_calls('host_del', 'ok'), ipa_calls('host_del', 'not_found'),
                  ('novajoin_notify_ipa_logins_total', {'result': 'ok'}),
                  ('novajoin_notify_ipa_request_duration_seconds_count',
                   {'method': 'host_del'}),
                  ('novajoin_notify_ipa_hosts_removed_total', {}))
    ipa_client = client(ipa)
    assert IPAHosts(ipa_client).remove('web1.example.test') is True
    assert IPAHosts(ipa_client).remove('web1.example.test') is False
    assert delta() == [1, 1, 1, 2, 1]
    assert value('novajoin_notify_last_removal_timestamp_seconds') > 0
    assert metrics.IPA.down_for() == 0


def test_ipa_batch_counts_each_command_and_the_batch_size(ipa):
    ipa.add_host('a.example.test')
    delta = Delta(ipa_calls('host_del', 'ok'), ipa_calls('host_del', 'not_found'),
                  ('novajoin_notify_ipa_batch_size_count', {}),
                  ('novajoin_notify_ipa_batch_size_sum', {}),
                  ('novajoin_notify_ipa_request_duration_seconds_count',
                   {'method': 'batch'}))
    ipa_client = client(ipa)
    ipa_client._call_batch([('host_del', ('a.example.test',), {}),
                            ('host_del', ('gone.example.test',), {})])
    assert delta() == [1, 1, 1, 2, 1]


def test_ipa_unreachable_is_unavailable_and_marks_ipa_down(ipa):
    delta = Delta(ipa_calls('host_del', 'unavailable'),
                  ('novajoin_notify_ipa_logins_total', {'result': 'failed'}))
    ipa.down = True
    with pytest.raises(TransientError):
        IPAHosts(client(ipa)).remove('web1.example.test')
    assert delta() == [1, 1]
    assert metrics.IPA.reason and 'password' not in metrics.IPA.reason.lower()
    assert metrics.IPA.down_for() >= 0 and metrics.IPA.last_failure is not None
    ipa.down = False
    client(ipa).call('ping')
    assert metrics.IPA.down_for() == 0


def test_liveness_down_for_and_idle_for():
    now = [100.0]
    live = metrics.Liveness(clock=lambda: now[0])
    now[0] = 110.0
    assert live.down_for() == 0 and live.idle_for() == 10
    live.failed('IPA unreachable: ConnectionError')
    now[0] = 130.0
    assert live.down_for() == 30 and live.idle_for() == 20
    live.answered()
    assert live.down_for() == 0 and live.idle_for() == 0


# -- OpenStack, dead letters, audit ---------------------------------------------------

def openstack_calls(result):
    return ('novajoin_notify_openstack_calls_total', {'service': 'nova', 'result': result})


def test_openstack_calls_by_result():
    delta = Delta(openstack_calls('ok'), openstack_calls('unavailable'),
                  openstack_calls('error'),
                  ('novajoin_notify_openstack_request_duration_seconds_count',
                   {'service': 'nova'}))
    with openstack.translated_errors('nova'):
        pass
    with openstack.translated_errors('nova'):   # a 404 the adapter expects
        try:
            raise nova_exc.NotFound(404)
        except nova_exc.NotFound:
            pass
    with pytest.raises(TransientError):
        with openstack.translated_errors('nova'):
            raise nova_exc.ClientException(503)
    with pytest.raises(PermanentError):
        with openstack.translated_errors('nova'):
            raise nova_exc.BadRequest(400)
    with pytest.raises(KeyError):
        with openstack.translated_errors('nova'):
            raise KeyError('bug')
    assert delta() == [2, 1, 2, 5]


def test_spool_size_is_read_at_scrape(tmp_path):
    spool = Spool(str(tmp_path / 'failed'))
    assert value('novajoin_notify_dead_letters') == 0
    for i in range(3):
        spool.put(reason='r', event_type=DELETE, payload={}, message_id=str(i),
                  timestamp=None, publisher_id='p', priority='info', exchange='nova',
                  attempts=1)
    assert value('novajoin_notify_dead_letters') == 3


def test_audit_run_records_bounded_kinds():
    delta = Delta(('novajoin_notify_audit_runs_total', {'result': 'ok'}),
                  ('novajoin_notify_audit_findings_total', {'kind': 'host'}),
                  ('novajoin_notify_audit_removals_total', {'kind': 'record'}),
                  ('novajoin_notify_audit_findings_total', {'kind': 'other'}))
    metrics.audit_run('ok', findings={'host': 3, 'web1.example.test': 1},
                      removals={'record': 2})
    assert delta() == [1, 3, 2, 1]
    assert value('novajoin_notify_audit_last_run_timestamp_seconds') > 0
    assert 'web1.example.test' not in metrics_text()


def test_in_flight_counts_concurrent_messages():
    entered, release = threading.Barrier(3), threading.Event()

    class Slow(Handler):
        events = (InstanceDeleted,)

        def handle(self, event):
            entered.wait(5)
            release.wait(5)

    threads = [threading.Thread(target=deliver, args=(Slow(),)) for _ in range(2)]
    [t.start() for t in threads]
    entered.wait(5)
    assert value('novajoin_notify_notifications_in_flight') == 2
    release.set()
    [t.join(5) for t in threads]
    assert value('novajoin_notify_notifications_in_flight') == 0


def test_ipa_values_already_as_wanted_are_unchanged_not_errors(ipa):
    ipa.add_zone('example.test')
    ipa.add_record('example.test.', 'web1', 'A', '192.0.2.1')
    delta = Delta(ipa_calls('dnsrecord_add', 'unchanged'), ipa_calls('dnsrecord_add', 'error'))
    ipa_client = client(ipa)
    for call in (lambda: ipa_client.call('dnsrecord_add', 'example.test.', 'web1',
                                         a_part_ip_address='192.0.2.1'),
                 lambda: ipa_client._call_batch([('dnsrecord_add', ('example.test.', 'web1'),
                                                  {'a_part_ip_address': '192.0.2.1'})] * 2)):
        try:
            call()
        except Exception as exc:
            assert getattr(exc, 'code', None) == 4202
    assert delta() == [3, 0]
