"""Scenarios 2 and 3 (burst), deletes: enrolled deletes drained from a preloaded
queue by (a) the daemon, batching off, against the IPA-bound ideal
max_connections / (2 x (ipa_latency + ipa_entry_latency)) (a delete is two
dependent IPA requests, each a command);
(b) the daemon, batching on, against (c) the old novajoin call pattern
(bench/baseline_old.py). Interleaved rounds; the figures are medians. The IPA
requests per delete of 2b are scenario 3's burst figure."""

import statistics

from tests import harness

from bench.measure import cloud_snapshot, cpu_per_event, hook_rate, log, stats_snapshot
from bench.processes import consumer_warnings, stop
from bench.report import TARGETS, rate_cell


def deletes_run(bench, label, start_consumer, n):
    """Preload ``n`` enrolled deletes, start a consumer, time the host removals."""
    topic = harness.unique_topic(f'bench_{label}')
    queue = f'{topic}.info'
    hosts = bench.hosts(label, n)
    bench.bus.prime(topic)
    bench.bus.publish(topic, (bench.payloads.delete(h) for h in hosts))
    bench.bus.wait_depth(queue, lambda i: i is not None and i[0] >= n + 1, 120, 'preload')
    bench.ipa.reset_stats()
    bench.cloud.reset_stats()
    mark = len(bench.ipa.host_removed_at)
    log(f'  {label}: {n} deletes preloaded on {queue}')
    proc = start_consumer(topic)
    try:
        removed = bench.wait_removed([h.fqdn for h in hosts], mark, 60 + n / 20, [proc],
                                     f'{label}: hosts removed')
        cpu_ms = cpu_per_event(bench.cpu_first[1], bench.cpu_last[1],
                               bench.cpu_last[0] - bench.cpu_first[0])
        ipa_stats = stats_snapshot(bench.ipa.stats)
        cloud_stats = cloud_snapshot(bench.cloud)
    finally:
        status, cpu = stop(proc)
    rate = hook_rate(removed.values())
    requests = ipa_stats['http_requests'] - ipa_stats['logins']
    run = {'deletes': n, 'rate': rate,
           'seconds': round(max(removed.values()) - min(removed.values()), 4),
           'ipa': ipa_stats, 'ipa_requests_per_delete': requests / n,
           # what one request took at the IPA emulator, from request read to answer
           'ipa_ms_per_request': (1000 * ipa_stats['busy_seconds'] / ipa_stats['http_requests']
                                  if ipa_stats['http_requests'] else None),
           'ipa_requests_per_delete_with_logins': ipa_stats['http_requests'] / n,
           'openstack': cloud_stats, 'exit_status': status,
           'consumer_cpu_seconds_total': cpu, 'cpu_ms_per_delete': cpu_ms,
           # what one consumer process could do if only its own CPU (one core:
           # the GIL) limited it
           'one_core_ceiling_rate': (1000 / cpu_ms['consumers']
                                     if cpu_ms and cpu_ms['consumers'] else None),
           'consumer_warnings': consumer_warnings(proc),
           'hosts_left': sum(1 for h in hosts if bench.ipa.has_host(h.fqdn))}
    log(f'  {label}: {rate:.1f} deletes/s, {requests / n:.3f} IPA requests per delete '
        f'(+{ipa_stats["logins"]} logins); CPU ms per delete {cpu_ms}')
    return run


def scenario(bench):
    report = bench.report
    n, rounds = bench.sizes['deletes'], bench.sizes['rounds']
    # IPA-bound: every connection busy all the time. A delete is two dependent IPA
    # requests (the provenance read, then host_del: TARGETS['lone_requests']).
    per_delete = TARGETS['lone_requests']
    # A lone command costs the emulator's latency plus one entry's work.
    per_request = bench.args.ipa_latency + bench.args.ipa_entry_latency
    ideal = bench.args.max_connections / (per_request * per_delete)
    plans = (
        ('2c_old_novajoin', 's2c', lambda t, r: bench.old_novajoin(f's2c-old-{r}', t)),
        ('2a_unbatched', 's2a', lambda t, r: bench.daemon(f's2a-daemon-{r}', t,
                                                          batching=False,
                                                          wait_ready=False)),
        ('2b_batched', 's2b', lambda t, r: bench.daemon(f's2b-daemon-{r}', t,
                                                        batching=True, wait_ready=False)),
    )
    runs = {key: {'rounds': []} for key, _, _ in plans}
    for r in range(rounds):      # interleaved: c, a, b, c, a, b, ...
        for key, label, starter in plans:
            try:
                runs[key]['rounds'].append(deletes_run(
                    bench, f'{label}r{r}', lambda t: starter(t, r), n))
            except Exception as exc:
                runs[key]['error'] = f'{type(exc).__name__}: {exc}'
                log(f'  {key}: FAILED {runs[key]["error"]}')
    for run in runs.values():
        done = [x for x in run['rounds'] if x.get('rate')]
        if not done or 'error' in run:
            continue
        run['rate'] = statistics.median(x['rate'] for x in done)
        for figure in ('ipa_requests_per_delete', 'ipa_requests_per_delete_with_logins',
                       'one_core_ceiling_rate', 'ipa_ms_per_request'):
            values = [x[figure] for x in done if x.get(figure) is not None]
            run[figure] = statistics.median(values) if values else None
        cpu = [x['cpu_ms_per_delete']['consumers'] for x in done
               if x.get('cpu_ms_per_delete')]
        run['consumer_cpu_ms_per_delete'] = statistics.median(cpu) if cpu else None
    report.results['2_deletes'] = dict(
        runs, ideal_rate=ideal, batching_supported=bench.batching_supported,
        note=f'figures are medians of {rounds} interleaved round(s)')
    a, b, c = (runs[k].get('rate') for k in ('2a_unbatched', '2b_batched',
                                              '2c_old_novajoin'))
    med = f' (median of {rounds})' if rounds > 1 else ''
    report.row(f'2a deletes, IPA batching off vs IPA-bound ideal{med}', rate_cell(a),
               f'{ideal:.0f}/s ({bench.args.max_connections} conn / '
               f'{per_delete:g} x {per_request * 1000:g} ms)',
               a / ideal if a else None, f'>= {TARGETS["unbatched_vs_ideal"]}',
               a is not None and a / ideal >= TARGETS['unbatched_vs_ideal'],
               runs['2a_unbatched'].get('error'))
    report.row(f'2b deletes, batching on vs old novajoin (2c){med}', rate_cell(b),
               rate_cell(c), b / c if b and c else None,
               f'>= {TARGETS["batched_vs_old"]:g}x',
               b is not None and c is not None and b / c >= TARGETS['batched_vs_old'],
               runs['2b_batched'].get('error') or runs['2c_old_novajoin'].get('error'))
    report.row('2b deletes, batching on vs IPA-bound ideal (info)', rate_cell(b),
               f'{ideal:.0f}/s', b / ideal if b else None, '-', None)
    held = runs['2a_unbatched'].get('ipa_ms_per_request')
    if a and held:
        # the same ideal at the time the emulator really held each request (its
        # own processing, on this machine's shared cores, added to the latency)
        held_ideal = bench.args.max_connections / (held / 1000 * per_delete)
        report.row('2a vs the ideal at the emulator\'s measured time per request (info)',
                   rate_cell(a), f'{held_ideal:.0f}/s ({bench.args.max_connections} conn / '
                   f'{per_delete:g} x {held:.1f} ms)', a / held_ideal, '-', None)
    for key in ('2a_unbatched', '2b_batched', '2c_old_novajoin'):
        run = runs[key]
        if run.get('consumer_cpu_ms_per_delete') and run.get('one_core_ceiling_rate'):
            report.row(f'{key[:2]} consumer CPU per delete (info)',
                       f'{run["consumer_cpu_ms_per_delete"]:.2f} ms',
                       f'one-core ceiling {run["one_core_ceiling_rate"]:.0f}/s',
                       run['rate'] / run['one_core_ceiling_rate'], '-', None)
    left = sum(x.get('hosts_left', 0) for run in runs.values() for x in run['rounds'])
    if left:
        report.row('2 hosts left in IPA after the deletes', str(left), '0', None, '0',
                   False)
    burst = runs['2b_batched'].get('ipa_requests_per_delete')
    report.results['3_requests'] = {'burst_2b': {
        'requests_per_delete': burst,
        'requests_per_delete_with_logins':
            runs['2b_batched'].get('ipa_requests_per_delete_with_logins')}}
    return burst
