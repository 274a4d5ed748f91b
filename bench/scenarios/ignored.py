"""Scenario 1, ignored traffic: notifications the daemon must skip. The daemon
and a plain oslo.messaging listener with a do-nothing endpoint
(bench/plain_listener.py) each drain a preloaded queue, in interleaved rounds;
the figure is the ratio of their median rates."""

import statistics
import time

from tests import harness

from bench.measure import ScenarioError, cpu_per_event, log
from bench.processes import stop
from bench.report import TARGETS


def drain_rate(bench, queue, total, timeout, proc):
    """Time a consumer (started just before) draining ``total`` preloaded messages:
    rate between the first poll that sees the queue shrink and the first that sees
    no message ready (passive declares every 20 ms), then confirm with
    rabbitmqctl that nothing is left unacknowledged either."""
    deadline = time.monotonic() + timeout
    first = None
    polls = 0
    while True:
        info = bench.bus.depth(queue)
        now = time.monotonic()
        polls += 1
        ready = info[0] if info else total
        if first is None and ready < total:
            first = (now, ready)
            cpu_first = bench.cpu([proc])
        if ready == 0:
            break
        if proc.process.poll() is not None:
            raise ScenarioError(f'consumer exited with {proc.process.returncode} with '
                                f'{ready} messages ready; log {proc.log_path}')
        if now > deadline:
            raise ScenarioError(f'{ready} of {total} messages still ready after '
                                f'{timeout:.0f}s')
        time.sleep(0.02)
    empty_at = now
    cpu_last = bench.cpu([proc])
    bench.rabbit.wait_queue(queue, lambda q: q is not None and q['messages'] == 0,
                            timeout=60)
    drained_at = time.monotonic()
    seconds = empty_at - first[0]
    if seconds <= 0:
        raise ScenarioError('the queue was empty at the first poll: too few messages '
                            'to time')
    return {'messages': total, 'counted': first[1], 'seconds': round(seconds, 4),
            'rate': first[1] / seconds,
            'drained_confirmed_after': round(drained_at - first[0], 3), 'polls': polls,
            'cpu_ms_per_message': cpu_per_event(cpu_first, cpu_last, first[1])}


def scenario(bench):
    report = bench.report
    n, rounds = bench.sizes['ignored'], bench.sizes['ignored_rounds']
    runs = {'daemon': [], 'plain': []}
    for r in range(rounds):
        for who in ('plain', 'daemon'):
            topic = harness.unique_topic(f'bench_s1{who[0]}{r}')
            queue = f'{topic}.info'
            bench.bus.prime(topic)
            bench.bus.publish(topic, (bench.payloads.ignored() for _ in range(n - 1)))
            bench.bus.wait_depth(queue, lambda i: i is not None and i[0] >= n, 120,
                                 'preload')
            log(f'  1/{who} round {r + 1}: {n} notifications preloaded on {queue}')
            proc = (bench.daemon(f's1-daemon-{r}', topic, wait_ready=False)
                    if who == 'daemon' else bench.plain_listener(f's1-plain-{r}', topic))
            try:
                run = drain_rate(bench, queue, n, 60 + n / 250, proc)
                run['consumers'] = (bench.bus.depth(queue) or (None, None))[1]
            finally:
                status, cpu = stop(proc)
            run['exit_status'] = status
            run['consumer_cpu_seconds_total'] = cpu
            runs[who].append(run)
            log(f'  1/{who} round {r + 1}: {run["rate"]:.0f} msg/s; CPU ms per message '
                f'{run["cpu_ms_per_message"]}')
    best = {who: max(x['rate'] for x in v) for who, v in runs.items()}
    median = {who: statistics.median(x['rate'] for x in v) for who, v in runs.items()}
    ratio = median['daemon'] / median['plain']
    report.results['1_ignored'] = {
        'runs': runs, 'median_rate': median, 'best_rate': best, 'ratio': ratio,
        'ratio_of_best': best['daemon'] / best['plain'],
        'note': f'ratio of the medians of {rounds} interleaved round(s) each'}
    med = f' (median of {rounds})' if rounds > 1 else ''
    report.row(f'1 ignored traffic: daemon vs plain oslo listener{med}',
               f'{median["daemon"]:.0f} msg/s', f'{median["plain"]:.0f} msg/s', ratio,
               f'>= {TARGETS["ignored_ratio"]}', ratio >= TARGETS['ignored_ratio'])
