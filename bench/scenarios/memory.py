"""Scenario 5, memory: the daemon's RSS before and after many events (mostly
ignored traffic, every ``memory_delete_every``-th an enrolled delete, legacy and
versioned in turn), after a warm-up run; 5b: before and after many deletes
drained with every worker busy (prefetch twice the workers, so a backlog waits
in the daemon and the watchdog never finds a worker free)."""

import itertools
import time

from tests import harness

from bench.measure import ScenarioError, log, proc_cpu_seconds, proc_rss_kb
from bench.processes import stop
from bench.report import TARGETS


def scenario(bench):
    report = bench.report
    total, warmup = bench.sizes['memory_events'], bench.sizes['memory_warmup']
    every = bench.sizes['memory_delete_every']
    topic = harness.unique_topic('bench_s5')
    queue = f'{topic}.info'
    daemon = bench.daemon('s5-daemon', topic, batching=True)
    pid = daemon.process.pid
    samples = []
    try:
        rss_ready = proc_rss_kb(pid)

        def bodies(count, hosts):
            k = 0
            for i in range(count):
                if i % every == every - 1 and k < len(hosts):
                    yield bench.payloads.delete(hosts[k], versioned=k % 2 == 1)
                    k += 1
                else:
                    yield bench.payloads.ignored()

        def run(count, label, timeout):
            hosts = bench.hosts(label, count // every)
            mark = len(bench.ipa.host_removed_at)
            started = time.monotonic()
            stream = bodies(count, hosts)
            while bench.bus.publish(topic, itertools.islice(stream, 5000)):
                samples.append((round(time.monotonic() - started, 2), proc_rss_kb(pid)))
            deadline = time.monotonic() + timeout
            while True:
                bench.wait_removed([h.fqdn for h in hosts], mark,
                                   max(1, deadline - time.monotonic()), [daemon],
                                   f'{label}: deletes')
                info = bench.bus.depth(queue)
                samples.append((round(time.monotonic() - started, 2), proc_rss_kb(pid)))
                if info is not None and info[0] == 0:
                    break
                if time.monotonic() > deadline:
                    raise ScenarioError(f'{label}: queue not drained: {info}')
                time.sleep(0.5)
            bench.rabbit.wait_queue(queue, lambda q: q is not None and q['messages'] == 0,
                                    timeout=60)
            return time.monotonic() - started, len(hosts)

        warm_seconds, _ = run(warmup, 's5warm', 120)
        time.sleep(2)
        rss_before = proc_rss_kb(pid)
        cpu_before = proc_cpu_seconds(pid)
        log(f'  5: RSS {rss_ready / 1024:.1f} MB at start, {rss_before / 1024:.1f} MB '
            f'after {warmup} warm-up events; sending {total}')
        samples.clear()
        seconds, deletes = run(total, 's5', 60 + total / 250)
        time.sleep(2)
        rss_after = proc_rss_kb(pid)
        cpu = proc_cpu_seconds(pid) - cpu_before
    finally:
        status, _ = stop(daemon)
    growth_mb = (rss_after - rss_before) / 1024
    peak = max([kb for _, kb in samples if kb] + [rss_after])
    report.results['5_memory'] = {
        'events': total, 'deletes': deletes, 'warmup_events': warmup,
        'rss_kb_at_start': rss_ready, 'rss_kb_before': rss_before,
        'rss_kb_after': rss_after, 'rss_kb_peak': peak, 'growth_mb': growth_mb,
        'growth_since_start_mb': (rss_after - rss_ready) / 1024,
        'seconds': seconds, 'events_per_second': total / seconds,
        'daemon_cpu_seconds': cpu, 'rss_samples': samples[:400], 'exit_status': status}
    log(f'  5: RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MB (peak '
        f'{peak / 1024:.1f}) over {total} events in {seconds:.0f}s')
    growth_row(report, f'5 daemon RSS growth over {total:,} events', rss_before, growth_mb)
    busy(bench)


def busy(bench):
    report = bench.report
    total, warmup = bench.sizes['memory_busy_deletes'], bench.sizes['memory_busy_warmup']
    prefetch = 2 * bench.args.workers
    topic = harness.unique_topic('bench_s5b')
    queue = f'{topic}.info'
    daemon = bench.daemon('s5b-daemon', topic, batching=True, prefetch=prefetch)
    pid = daemon.process.pid

    def drain(label, count):
        hosts = bench.hosts(label, count)
        mark = len(bench.ipa.host_removed_at)
        bench.bus.publish(topic, (bench.payloads.delete(h, versioned=i % 2 == 1)
                                  for i, h in enumerate(hosts)))
        bench.wait_removed([h.fqdn for h in hosts], mark, 60 + count / 20, [daemon],
                           f'{label}: deletes')
        bench.rabbit.wait_queue(queue, lambda q: q is not None and q['messages'] == 0,
                                timeout=60)

    try:
        drain('s5bwarm', warmup)
        time.sleep(2)
        rss_before = proc_rss_kb(pid)
        started = time.monotonic()
        drain('s5b', total)
        seconds = time.monotonic() - started
        time.sleep(2)
        rss_after = proc_rss_kb(pid)
    finally:
        status, _ = stop(daemon)
    growth_mb = (rss_after - rss_before) / 1024
    report.results['5b_memory_busy'] = {
        'deletes': total, 'warmup_deletes': warmup, 'prefetch': prefetch,
        'workers': bench.args.workers, 'rss_kb_before': rss_before,
        'rss_kb_after': rss_after, 'growth_mb': growth_mb, 'seconds': seconds,
        'deletes_per_second': total / seconds, 'exit_status': status}
    log(f'  5b: RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MB over {total} '
        f'deletes in {seconds:.0f}s (prefetch {prefetch}, {bench.args.workers} workers)')
    growth_row(report, f'5b daemon RSS growth over {total:,} deletes, every worker busy '
               f'(prefetch {prefetch})', rss_before, growth_mb)


def growth_row(report, label, rss_before, growth_mb):
    report.row(label, f'{growth_mb:+.1f} MB', f'{rss_before / 1024:.1f} MB before', None,
               f'< {TARGETS["memory_growth_mb"]:g} MB',
               growth_mb < TARGETS['memory_growth_mb'])
