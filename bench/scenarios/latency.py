"""Scenario 4, latency: enrolled deletes published at a steady rate, after a
warm-up delete; p50 and p99 of publish -> host gone in IPA."""

import time

from tests import harness

from bench.measure import log, percentile, stats_snapshot
from bench.processes import stop
from bench.report import TARGETS


def scenario(bench):
    report = bench.report
    rate, seconds = bench.sizes['steady_rate'], bench.sizes['steady_seconds']
    count = int(rate * seconds)
    topic = harness.unique_topic('bench_s4')
    daemon = bench.daemon('s4-daemon', topic, batching=True)
    try:
        warm = bench.hosts('s4warm', 1)
        mark = len(bench.ipa.host_removed_at)
        bench.bus.publish(topic, [bench.payloads.delete(warm[0])])
        bench.wait_removed([warm[0].fqdn], mark, 30, [daemon], 'warm-up delete')
        hosts = bench.hosts('s4', count)
        bodies = [bench.payloads.delete(h) for h in hosts]
        bench.ipa.reset_stats()
        mark = len(bench.ipa.host_removed_at)
        published = {}
        start = time.monotonic()
        for i, (host, body) in enumerate(zip(hosts, bodies)):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            published[host.fqdn] = time.monotonic()
            bench.bus.publish(topic, [body])
        publish_seconds = time.monotonic() - start
        removed = bench.wait_removed(list(published), mark, 60, [daemon],
                                     'steady deletes')
        stats = stats_snapshot(bench.ipa.stats)
    finally:
        status, cpu = stop(daemon)
    latencies = [removed[f] - published[f] for f in published]
    p50, p90, p99 = (percentile(latencies, q) for q in (0.5, 0.9, 0.99))
    report.results['4_latency'] = {
        'deletes': count, 'target_rate': rate, 'achieved_publish_rate':
            count / publish_seconds if publish_seconds > 0 else None,
        'p50': p50, 'p90': p90, 'p99': p99, 'max': max(latencies),
        'min': min(latencies), 'mean': sum(latencies) / len(latencies),
        'ipa': stats, 'ipa_requests_per_delete':
            (stats['http_requests'] - stats['logins']) / count,
        'daemon_cpu_seconds': cpu, 'exit_status': status}
    log(f'  4: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max '
        f'{max(latencies) * 1000:.0f} ms at {rate:g}/s')
    report.row(f'4 latency publish->host gone, p50 at {rate:g}/s', f'{p50 * 1000:.0f} ms',
               f'IPA call {bench.args.ipa_latency * 1000:.0f} ms', None, '-', None)
    report.row(f'4 latency publish->host gone, p99 at {rate:g}/s', f'{p99 * 1000:.0f} ms',
               f'{TARGETS["steady_p99"] * 1000:.0f} ms', p99 / TARGETS['steady_p99'],
               f'<= {TARGETS["steady_p99"] * 1000:.0f} ms', p99 <= TARGETS['steady_p99'])
