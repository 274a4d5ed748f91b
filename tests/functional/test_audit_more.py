"""The audit, continued: TripleO orphans, the re-check before each removal, and the
daemon's periodic audit (report only, apply, one at a time across daemons); a
stop while the coordination backend is gone."""

import logging
import time
import uuid

import pytest

from notify import cmd, service
from notify.audit.periodic import LOCK, PeriodicAudit
from notify.audit.run import Result
from notify.coordination import DistributedLocks
from notify.audit.build import build_audit
from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness
from tests.fixtures.redis import RedisServer
from tests.functional.conftest import PROJECT
from tests.functional.conftest import enrolled
from tests.functional.test_audit import NO_BROKER, audit


def test_orphan_tripleo_node_takes_what_it_alone_manages(tmp_path, ipa, cloud, estate):
    node = enrolled(ipa, 'ctl-9')
    sub = 'ctl-9.internalapi.example.test'
    ipa.add_host(sub, managedby=[node])
    ipa.add_service(f'HTTP/{sub}', managed_by=[node])
    shared_vip = 'vip.example.test'
    ipa.add_host(shared_vip, description=MARKER, managedby=[node, 'live1.example.test'])
    ipa.add_service(f'HTTP/{shared_vip}', managed_by=[node, 'live1.example.test'])
    proc = audit(tmp_path, ipa, cloud, '--apply', '--max-removals', '10')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not ipa.has_host(node) and not ipa.has_host(sub)
    assert not ipa.has_service(f'HTTP/{sub}')
    assert ipa.has_host(shared_vip)                 # live1 still manages it
    assert ipa.has_service(f'HTTP/{shared_vip}')    # and this service


def test_relations_are_read_again_only_for_hosts_that_manage_something(
        tmp_path, ipa, cloud, estate):
    node = enrolled(ipa, 'ctl-8')
    ipa.add_service(f'HTTP/{node}', managed_by=[node])    # manages a service only
    ipa.reset_stats()
    proc = audit(tmp_path, ipa, cloud, '--apply', '--max-removals', '10')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not any(ipa.has_host(f'orphan{i}.example.test') for i in (1, 2, 3))
    assert not ipa.has_host(node) and not ipa.has_service(f'HTTP/{node}')
    calls = ipa.stats['calls'] + ipa.stats['batch_calls']
    # the snapshot's listing and one relation read for ctl-8; none for the orphans
    assert calls['host_find'] == 2, calls
    assert calls['service_find'] == 2, calls     # the snapshot's index, then ctl-8


def test_instance_appearing_meanwhile_keeps_its_host(tmp_path, ipa, cloud, estate):
    config = harness.write_config(str(tmp_path / 'a.conf'), NO_BROKER, ipa, cloud, 'x')
    conf = cmd.parse_config(['--config-file', config])
    the_audit = build_audit(conf, service.protection(conf))
    snapshot = the_audit.snapshot

    def snapshot_then_boot():
        taken = snapshot()
        cloud.add_server(str(uuid.uuid4()), 'orphan2', PROJECT)   # booted meanwhile
        return taken

    the_audit.snapshot = snapshot_then_boot
    result = the_audit.run(apply=True)
    kept = {f.name: f.reason for f in result.findings if f.action == 'keep'}
    assert 'appeared meanwhile' in kept['orphan2.example.test']
    assert ipa.has_host('orphan2.example.test')
    assert not ipa.has_host('orphan1.example.test')


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(str(tmp_path)).start()
    yield server
    server.stop()


def test_periodic_audit_reports_then_applies(start_daemon, ipa, cloud, estate, redis):
    extra = f'[audit]\ninterval = 1\n[coordination]\nbackend_url = {redis.url}\n'
    reporting = start_daemon(extra=extra, name='reporter')
    harness.wait_for(lambda: 'audit finished' in reporting.log(), timeout=60,
                     what='a periodic report')
    assert 'would remove host (report only): orphan1.example.test' in reporting.log()
    assert ipa.has_host('orphan1.example.test')
    start_daemon(extra=extra + '[audit]\napply = True\n', name='applier')
    harness.wait_for(lambda: not ipa.has_host('orphan1.example.test'), timeout=90,
                     what='orphans removed by the periodic audit')
    assert ipa.has_host('live1.example.test') and ipa.has_host('hv1.example.test')


def test_one_audit_at_a_time_across_daemons(redis, caplog):
    """Two daemons' locks on one real redis-server: while one audits, the other's
    periodic run is skipped, and runs once the first is done."""
    first = DistributedLocks(redis.url, member_id='daemon-1')
    second = DistributedLocks(redis.url, member_id='daemon-2')
    ran = []

    class Audit:
        def run(self, apply):
            ran.append(apply)
            return Result([], 0)

    periodic = PeriodicAudit(Audit, interval=3600, apply=False, try_lock=second.try_lock)
    try:
        with first.try_lock(LOCK) as mine:
            assert mine
            with caplog.at_level(logging.INFO, logger='notify.audit.periodic'):
                assert periodic.run_once() is None
            assert ran == []
            assert 'another daemon is auditing' in caplog.text
        assert periodic.run_once() is not None and ran == [False]
    finally:
        first.stop()
        second.stop()


def test_a_stop_does_not_hang_on_a_coordination_backend_that_is_gone(redis, caplog):
    """tooz's stop joins its heartbeat thread, which retries a redis that went away
    (about 16 s here): a daemon's stop waits for it only so long."""
    locks = DistributedLocks(redis.url, member_id='daemon-1')
    with locks('web1'):
        pass
    redis.stop()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger='notify.coordination'):
        locks.stop(timeout=2)
    assert time.monotonic() - started < 10
    assert 'coordination backend did not answer at stop within 2s' in caplog.text
