"""Fault tests: what the daemon does not do at once (dead letters spooled, then
--replay) or at all (--dry-run). Lost, wrong and duplicates as in
tests/functional/faults_lib.py; figures go to the session's fault report."""

import time
import uuid

from tests import harness, payloads
from tests.functional import faults_lib
from tests.functional.conftest import PROJECT
from tests.functional.faults_lib import (ENROLLED, MARKER, SPOOL_KEYS, ZONE, Workload,
                                         drained, duplicates, envelope, fast_retries,
                                         publish, read_spool, spooled)
from tests.harness import wait_for

_secrets_in_every_output = faults_lib.secrets_in_every_output   # autouse


# ---------------------------------------------------------------------------
# dead letters: a permanent refusal, a bad message, a transient timeout; replay

def test_dead_letters_and_replay(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                                 fault_report):
    refused = 'refused1.example.test'
    ipa.add_host(refused, description=MARKER)
    outage = 'outage1.example.test'
    ipa.add_host(outage, description=MARKER)
    extra = fast_retries(tmp_path) + '[dead_letter]\ntransient_timeout = 2\n'
    daemon = start_daemon(extra=extra)
    # 1. IPA refuses the delete itself: spooled at once, acknowledged.
    ipa.fail_next('host_del', 3009, 'ValidationError',
                  "invalid 'hostname': refused by a test policy")
    refused_event = payloads.legacy_delete(str(uuid.uuid4()), 'refused1', PROJECT,
                                           metadata=ENROLLED)
    nova.send(*refused_event)
    wait_for(lambda: len(spooled(tmp_path)) == 1, timeout=30, what='refusal spooled')
    # 2. bad input: spooled at once, acknowledged.
    bad_payload = dict(refused_event[1], hostname=None)
    harness.publish_raw(rabbit.transport_url, 'nova', f'{topic}.info',
                        envelope('dl-bad', 'compute.instance.delete.end', bad_payload))
    wait_for(lambda: len(spooled(tmp_path)) == 2, timeout=30, what='bad input spooled')
    # 3. IPA down for longer than transient_timeout: spooled after some rounds.
    ipa.down = True
    t0 = time.monotonic()
    nova.send(*payloads.versioned_delete(str(uuid.uuid4()), 'outage1', PROJECT,
                                         metadata=ENROLLED))
    wait_for(lambda: len(spooled(tmp_path)) == 3, timeout=40, what='outage spooled')
    outage_s = time.monotonic() - t0
    drained(rabbit, topic)
    ipa.down = False
    records = [read_spool(p) for p in spooled(tmp_path)]
    by_kind = {}
    for record in records:
        if record['message_id'] == 'dl-bad':
            by_kind['bad'] = record
        elif record['event_type'] == 'instance.delete.end':
            by_kind['transient'] = record
        else:
            by_kind['refused'] = record
    assert set(by_kind) == {'bad', 'transient', 'refused'}, records
    for record in records:
        assert SPOOL_KEYS <= set(record), set(record)
        assert record['exchange'] == 'nova'
        assert isinstance(record['attempts'], int) and record['attempts'] >= 1
    assert 'ValidationError' in by_kind['refused']['reason'] or \
        'refused' in by_kind['refused']['reason']
    assert by_kind['refused']['payload'] == refused_event[1]
    assert 'bad input' in by_kind['bad']['reason'] and by_kind['bad']['payload'] == bad_payload
    assert 'still failing' in by_kind['transient']['reason']
    assert ipa.has_host(refused) and ipa.has_host(outage)

    # The causes are gone (one-shot refusal, IPA back): replay.
    before = set(spooled(tmp_path))
    replay = start_daemon(args=['--replay'], extra=extra, name='replay', wait_ready=False)
    replay.process.wait(60)
    replay_rc = replay.process.returncode
    wait_for(lambda: not ipa.has_host(refused) and not ipa.has_host(outage), timeout=30,
             what='replayed deletes done')
    # The bad message is bad again: spooled anew; the originals are gone.
    wait_for(lambda: len(spooled(tmp_path)) == 1, timeout=30, what='bad message spooled again')
    after = set(spooled(tmp_path))
    drained(rabbit, topic)
    lost = int(ipa.has_host(refused)) + int(ipa.has_host(outage))
    retries = [line for line in harness.log_lines(daemon.log(), 'DEBUG') if 'retry ' in line]
    fault_report.record(
        'dead_letters_and_replay', events=3, faults='IPA ValidationError, bad input, IPA down',
        lost=lost, wrong=0, duplicates=duplicates(ipa) - 1,   # the refused host_del
        extra=f'spooled 3 (transient after {outage_s:.1f}s, {by_kind["transient"]["attempts"]} '
              f'rounds); replay rc {replay_rc}; re-spooled {len(after)}')
    assert replay_rc == 0, replay.log()[-2000:]
    assert before.isdisjoint(after)
    assert read_spool(after.pop())['reason'].startswith('bad input')
    assert retries, 'no DEBUG "retry " line for the in-process retries'
    assert daemon.process.poll() is None


# ---------------------------------------------------------------------------
# --dry-run changes nothing in IPA

def test_dry_run(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path, fault_report):
    work = Workload(ipa, cloud, 'dr').enrolled(20, address=True).not_enrolled(5).carried(3)
    # An instance whose host is gone but whose name still has a DNS record: with the
    # host gone nothing is removed by name alone, not even planned.
    ipa.add_record(ZONE, 'drghost', 'A', '192.0.2.251')
    events = work.events + [payloads.legacy_delete(str(uuid.uuid4()), 'drghost', PROJECT,
                                                   metadata=ENROLLED)]
    hosts, dns = ipa.hosts(), ipa.all_records()
    daemon = start_daemon(args=['--dry-run'], extra=fast_retries(tmp_path))
    publish(nova, events)
    drained(rabbit, topic)
    wait_for(lambda: daemon.log().count('dry-run: would call host_del') >= 20, timeout=30,
             what='dry-run lines')
    log = daemon.log()
    # batch sub-calls are in the call log too (in_batch): a batch of reads is fine.
    writes = [c[0] for c in ipa.call_log if str(c[0]).endswith(('_add', '_del', '_mod'))]
    would_host_del = log.count('dry-run: would call host_del')
    changed = hosts != ipa.hosts() or dns != ipa.all_records()
    fault_report.record(
        'dry_run', events=len(events), faults='--dry-run', lost=0, wrong=int(changed),
        duplicates=0,
        extra=f'"would call host_del" {would_host_del}/20, other dry-run lines '
              f'{log.count("dry-run: would call") - would_host_del}, IPA writes {len(writes)}')
    assert not changed, 'IPA changed in dry-run'
    assert writes == []
    assert would_host_del == 20
    assert 'dnsrecord_del' not in log                   # drghost's record is not ours
