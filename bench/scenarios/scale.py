"""Scenario 6, scale: two daemons (batching on) on one queue vs one, each round a
burst of enrolled deletes published at once to daemons already consuming;
interleaved rounds, medians (information only: the machine has few cores)."""

import statistics
import time

from tests import harness

from bench.measure import ScenarioError, cpu_per_event, hook_rate, log, stats_snapshot
from bench.processes import stop
from bench.report import rate_cell


def scenario(bench):
    report = bench.report
    n, rounds = bench.sizes['scale_deletes'], bench.sizes['rounds']
    runs = {'1_daemons': {'rounds': []}, '2_daemons': {'rounds': []}}
    for r in range(rounds):      # interleaved: 1, 2, 1, 2, ...
        for k in (1, 2):
            runs[f'{k}_daemons']['rounds'].append(scale_run(bench, k, n, r))
    for run in runs.values():
        run['rate'] = statistics.median(x['rate'] for x in run['rounds'])
    one, two = runs['1_daemons']['rate'], runs['2_daemons']['rate']
    report.results['6_scale'] = dict(runs, ratio=two / one,
                                     note=f'medians of {rounds} interleaved round(s)')
    med = f' (median of {rounds})' if rounds > 1 else ''
    report.row(f'6 two daemons vs one on one queue{med}', rate_cell(two), rate_cell(one),
               two / one, 'info (2 cores)', None)


def scale_run(bench, k, n, r):
    """``k`` daemons (batching on) on one queue, idle and consuming; then a burst
    of ``n`` deletes published at once."""
    topic = harness.unique_topic(f'bench_s6_{k}')
    queue = f'{topic}.info'
    daemons = [bench.daemon(f's6-{k}-r{r}-daemon{j}', topic, batching=True, start=False)
               for j in range(k)]
    try:
        for d in daemons:
            d.start(wait_ready=False)
        for d in daemons:
            harness.wait_for(lambda: d.ready() or d.process.poll() is not None, 90,
                             what='daemon start')
            if d.process.poll() is not None:
                raise ScenarioError(f'daemon exited: {d.log()[-2000:]}')
        consumers = bench.bus.wait_depth(queue, lambda i: i is not None and i[1] >= k,
                                         30, 'consumers')[1]
        hosts = bench.hosts(f's6-{k}r{r}', n)
        bodies = [bench.payloads.delete(h) for h in hosts]
        bench.ipa.reset_stats()
        mark = len(bench.ipa.host_removed_at)
        published = time.monotonic()
        bench.bus.publish(topic, bodies)
        publish_seconds = time.monotonic() - published
        removed = bench.wait_removed([h.fqdn for h in hosts], mark, 60 + n / 20,
                                     daemons, f'{k} daemon(s)')
        cpu_ms = cpu_per_event(bench.cpu_first[1], bench.cpu_last[1],
                               bench.cpu_last[0] - bench.cpu_first[0])
        stats = stats_snapshot(bench.ipa.stats)
    finally:
        cpus = [stop(d)[1] for d in daemons]
    rate = hook_rate(removed.values())
    log(f'  6: {k} daemon(s), round {r + 1}: {rate:.1f} deletes/s; CPU ms per delete '
        f'{cpu_ms}')
    return {'deletes': n, 'rate': rate, 'consumers_on_queue': consumers,
            'publish_seconds': publish_seconds,
            'from_publish_seconds': max(removed.values()) - published,
            'ipa_requests_per_delete': (stats['http_requests'] - stats['logins']) / n,
            'ipa': stats, 'daemon_cpu_seconds_total': cpus, 'cpu_ms_per_delete': cpu_ms,
            'hosts_left': sum(1 for h in hosts if bench.ipa.has_host(h.fqdn))}
