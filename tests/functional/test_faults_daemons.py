"""Fault tests: daemons stopped mid-burst (two on one queue, one SIGKILLed; SIGTERM
while busy or while IPA is down). Lost, wrong and duplicates as in
tests/functional/faults_lib.py; figures go to the session's fault report."""

import signal
import subprocess
import time

import pytest

from tests.functional import faults_lib
from tests.functional.faults_lib import (HANDBACK, PREFETCH, Workload, drained, duplicates,
                                         fast_retries, publish, wait_all_removed)
from tests.harness import wait_for

_secrets_in_every_output = faults_lib.secrets_in_every_output   # autouse


# ---------------------------------------------------------------------------
# two daemons on one queue, one SIGKILLed mid-burst

def test_two_daemons_one_killed(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                                fault_report):
    work = Workload(ipa, cloud, 'tk').enrolled(300)
    ipa.latency, cloud.latency = 0.5, 0.3   # keep work in flight on both
    extra = fast_retries(tmp_path) + '[DEFAULT]\ndebug = False\n'
    first = start_daemon(extra=extra, name='first')
    second = start_daemon(extra=extra, name='second')
    wait_for(lambda: (rabbit.queues().get(f'{topic}.info') or {}).get('consumers') == 2,
             timeout=30, what='two consumers')
    publish(nova, work.events)
    wait_for(lambda: work.gone() >= 60, timeout=60, interval=0.1, what='60 removed')
    first.kill()
    gone_at_kill = work.gone()
    ipa.latency = cloud.latency = 0
    wait_all_removed(work, timeout=120)
    drained(rabbit, topic)
    lost = work.lost()
    by_first = first.log().count('removed IPA host')
    by_second = second.log().count('removed IPA host')
    already = second.log().count('already gone')
    dups = duplicates(ipa)
    fault_report.record(
        'two_daemons_one_killed', events=len(work.events), faults='SIGKILL 1 of 2 daemons',
        lost=len(lost), wrong=0, duplicates=dups,
        extra=f'{gone_at_kill} done at kill; removed by killed {by_first}, by survivor '
              f'{by_second}; survivor "already gone" {already}; keystone tokens issued '
              f'{cloud.stats["token_issues"]}')
    assert second.process.poll() is None, 'the survivor died'
    assert lost == []
    assert dups <= PREFETCH, 'more duplicates than the killed daemon could hold unacked'



# ---------------------------------------------------------------------------
# SIGTERM mid-burst: exit 0 within shutdown_timeout, nothing lost after a restart

@pytest.mark.parametrize('state', ['busy', 'ipa-down'])
def test_sigterm_mid_burst(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path, state,
                           fault_report):
    shutdown_timeout = 4.0
    work = Workload(ipa, cloud, 'st').enrolled(300 if state == 'busy' else 100)
    extra = (fast_retries(tmp_path, requeue_delay=2.0 if state == 'ipa-down' else 0.5)
             + f'[listener]\nshutdown_timeout = {shutdown_timeout}\n[DEFAULT]\ndebug = False\n')
    if state == 'busy':
        ipa.latency, cloud.latency = 0.3, 0.2   # work in flight when SIGTERM comes
    else:
        ipa.down = True
    daemon = start_daemon(extra=extra, name='before')
    publish(nova, work.events)
    if state == 'busy':
        wait_for(lambda: work.gone() >= 40, timeout=60, interval=0.1, what='40 removed')
    else:
        wait_for(lambda: daemon.log().count(HANDBACK) >= 10, timeout=60, what='hand-backs')
    gone_at_term = work.gone()
    t0 = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.process.wait(shutdown_timeout + 20)
    except subprocess.TimeoutExpired:
        pass
    stop_s = time.monotonic() - t0
    rc = daemon.process.poll()
    ipa.down = False
    ipa.latency = cloud.latency = 0
    after = start_daemon(extra=extra, name='after')
    wait_all_removed(work, timeout=90)
    drained(rabbit, topic)
    lost = work.lost()
    fault_report.record(
        f'sigterm_mid_burst[{state}]', events=len(work.events),
        faults=f'SIGTERM ({"IPA down, work in flight" if state != "busy" else "busy"})',
        lost=len(lost), wrong=0, duplicates=duplicates(ipa),
        extra=f'exit {rc} after {stop_s:.1f}s (timeout {shutdown_timeout:.0f}s); '
              f'{gone_at_term} done before SIGTERM')
    assert rc == 0, f'exit status {rc}'
    assert stop_s <= shutdown_timeout + 5, f'took {stop_s:.1f}s to stop'
    assert lost == []
    assert after.process.poll() is None
