"""Fault tests: IPA failing under the running daemon (down for a window, sessions
expiring, the first replica down). Lost, wrong and duplicates as in
tests/functional/faults_lib.py; figures go to the session's fault report."""

import time

import pytest

from tests.emulators.ipa import IPAEmulator
from tests.functional import faults_lib
from tests.functional.faults_lib import (DOMAIN, HANDBACK, PREFETCH, Workload, drained,
                                         duplicates, fast_retries, host_del_fqdns,
                                         log_stamps, max_per_window, publish, spooled,
                                         wait_all_removed)
from tests.harness import wait_for

_secrets_in_every_output = faults_lib.secrets_in_every_output   # autouse


# ---------------------------------------------------------------------------
# IPA down for a window in the middle of a burst

def test_ipa_down_window(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                         fault_report):
    work = Workload(ipa, cloud, 'dw').enrolled(400).not_enrolled(50).carried(50).shuffle()
    requeue_delay = 0.5
    bound = PREFETCH / requeue_delay
    daemon = start_daemon(extra=fast_retries(tmp_path, requeue_delay)
                          + '[DEFAULT]\ndebug = False\n')
    publish(nova, work.events)
    wait_for(lambda: work.gone() >= 100, timeout=60, interval=0.2, what='100 hosts removed')
    ipa.down = True
    down_at = time.time()
    gone_at_down = work.gone()
    time.sleep(8)
    ipa.down = False
    up_at = time.time()
    wait_all_removed(work, timeout=120)
    drained(rabbit, topic, timeout=60)
    log = daemon.log()
    stamps = log_stamps(log, HANDBACK)
    in_window = [t for t in stamps if down_at - 1 <= t <= up_at + 1]
    peak = max_per_window(stamps)
    mean = len(in_window) / max(up_at - down_at, 0.001)
    lost, wrong = work.lost(), work.wrong()
    fault_report.record(
        'ipa_down_window', events=len(work.events), faults=f'IPA 503 for {up_at - down_at:.0f}s',
        lost=len(lost), wrong=len(wrong), duplicates=duplicates(ipa),
        extra=f'handbacks {len(stamps)}, mean {mean:.1f}/s, peak {peak}/s (bound {bound:.0f}); '
              f'{gone_at_down} done before outage; keystone tokens issued '
              f'{cloud.stats["token_issues"]}')
    assert daemon.process.poll() is None, 'the daemon died'
    assert lost == [] and wrong == []
    assert stamps, 'no hand-back was logged while IPA was down'
    assert peak <= bound, f'{peak} hand-backs in one second, bound {bound}'
    assert spooled(tmp_path) == [], 'a transient outage must not spool anything'


# ---------------------------------------------------------------------------
# IPA sessions expiring every 7 calls

def test_session_expiry(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                        fault_report):
    work = Workload(ipa, cloud, 'se').enrolled(200)
    ipa.session_max_calls = 7
    daemon = start_daemon(extra=fast_retries(tmp_path))
    publish(nova, work.events)
    wait_all_removed(work, timeout=90)
    drained(rabbit, topic)
    lost = work.lost()
    logins, unauthorized = ipa.stats['logins'], ipa.stats['unauthorized']
    handbacks = daemon.log().count(HANDBACK)
    fault_report.record(
        'session_expiry', events=len(work.events), faults='IPA session dies every 7 calls',
        lost=len(lost), wrong=0, duplicates=duplicates(ipa),
        extra=f'logins {logins}, 401s {unauthorized}, hand-backs {handbacks}')
    assert lost == []
    assert logins > 1 and unauthorized > 0
    assert handbacks == 0, 'a 401 must be healed by one new login, not by a hand-back'


# ---------------------------------------------------------------------------
# the first IPA replica is down: the second is used

@pytest.mark.parametrize('how', ['refused', '503'])
def test_first_replica_down(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path, how,
                            fault_report):
    second = IPAEmulator(domain=DOMAIN).start()
    try:
        second.add_zone(DOMAIN)
        work = Workload(second, cloud, 'rp').enrolled(30)
        if how == 'refused':
            ipa.pause_listening()
        else:
            ipa.down = True
        daemon = start_daemon(extra=fast_retries(tmp_path) +
                              f'[ipa]\nserver = {ipa.server}, {second.server}\n')
        publish(nova, work.events)
        wait_all_removed(work, timeout=60)
        drained(rabbit, topic)
        lost = work.lost()
        switched = daemon.log().count('is unavailable')
        fault_report.record(
            f'first_replica_down[{how}]', events=len(work.events),
            faults=f'IPA replica 1 {"refuses connections" if how == "refused" else "answers 503"}',
            lost=len(lost), wrong=0, duplicates=duplicates(second),
            extra=f'replica 1 tried {switched}x, logins on replica 2 {second.stats["logins"]}, '
                  f'hand-backs {daemon.log().count(HANDBACK)}')
        assert lost == []
        assert host_del_fqdns(ipa) == []
        assert second.stats['logins'] >= 1
    finally:
        second.stop()
