"""Scenario 3, IPA requests per delete: a lone enrolled delete at a time, after a
warm-up delete, with a quiet pause after each; and the row of the 2b burst
measured by scenario 2."""

import time

from tests import harness

from bench.measure import log, stats_snapshot
from bench.processes import stop
from bench.report import TARGETS


def scenario(bench, burst):
    report = bench.report
    count = bench.sizes['lone']
    topic = harness.unique_topic('bench_s3')
    daemon = bench.daemon('s3-daemon', topic, batching=True)
    result = report.results.setdefault('3_requests', {})
    try:
        warm = bench.hosts('s3warm', 1)
        mark = len(bench.ipa.host_removed_at)
        bench.bus.publish(topic, [bench.payloads.delete(warm[0])])
        bench.wait_removed([warm[0].fqdn], mark, 30, [daemon], 'warm-up delete')
        time.sleep(0.5)
        hosts = bench.hosts('s3lone', count)
        bodies = [bench.payloads.delete(h) for h in hosts]
        bench.ipa.reset_stats()
        latencies = []
        for host, body in zip(hosts, bodies):
            mark = len(bench.ipa.host_removed_at)
            published = time.monotonic()
            bench.bus.publish(topic, [body])
            removed = bench.wait_removed([host.fqdn], mark, 30, [daemon], 'lone delete')
            latencies.append(removed[host.fqdn] - published)
            time.sleep(0.3)   # quiet: anything the delete still sends is counted
        stats = stats_snapshot(bench.ipa.stats)
    finally:
        stop(daemon)
    lone = (stats['http_requests'] - stats['logins']) / count
    result['lone'] = {'events': count, 'ipa': stats, 'requests_per_delete': lone,
                      'requests_per_delete_with_logins': stats['http_requests'] / count,
                      'latency_seconds': [round(x, 4) for x in latencies]}
    log(f'  3 lone: {lone:.2f} IPA requests per delete ({stats["logins"]} logins), '
        f'latency {", ".join(f"{x * 1000:.0f} ms" for x in latencies)}')
    report.row('3 IPA requests per lone delete (no logins)', f'{lone:.2f}',
               f'{stats["http_requests"] / count:.2f} with logins', None,
               f'<= {TARGETS["lone_requests"]:g}', lone <= TARGETS['lone_requests'])
    if isinstance(burst, float):
        report.row('3 IPA requests per delete, 2b burst (no logins)', f'{burst:.3f}', '-',
                   None, f'<= {TARGETS["burst_requests"]}',
                   burst <= TARGETS['burst_requests'])
    elif burst != 'not run':
        report.row('3 IPA requests per delete, 2b burst', 'n/a (2b failed)', '-', None,
                   f'<= {TARGETS["burst_requests"]}', False)
