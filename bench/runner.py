"""novajoin-notify benchmark: the real daemon against a private RabbitMQ and the
IPA and OpenStack emulators, with side-by-side references measured in the same
run (a plain oslo.messaging listener, the old novajoin call pattern, the IPA-bound
ideal).

Scenarios:
  1 ignored   notifications the daemon must skip: daemon vs a plain oslo.messaging
              listener with a do-nothing endpoint, each draining a preloaded queue
  2 deletes   enrolled deletes from a preloaded queue: (a) batching off vs the
              IPA-bound ideal max_connections / (2 x (latency + entry latency)),
              (b) batching on vs
              (c) the old novajoin call pattern (bench/baseline_old.py)
  3 requests  IPA requests per enrolled delete: a lone event, and the burst of 2b
  4 latency   publish -> host gone in IPA at a steady rate: p50, p99
  5 memory    daemon RSS before and after many events (mostly ignored traffic), and
              before and after many deletes with every worker busy
  6 scale     two daemons on one queue vs one (batching on, deletes)
  7 audit     ``novajoin-notify audit`` on a large estate (20,000 instances, 2,000
              orphans, 5,000 floating IPs): nova paging, wall vs the bare listings,
              --apply removals/s vs the daemon's, peak RSS
  8 scrape    the delete burst with /metrics scraped every second vs not (< 5%)

Rates are ratios of figures measured side by side in one run on a shared, noisy
machine; no figure is a timed assertion. Run through ``bench/run``.

Exit status: 0 every target met, 1 some target not met, 2 some scenario failed
(timed out, a process died); the table and the JSON say which.
"""

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid

from tests.emulators.ipa import IPAEmulator
from tests.emulators.openstack import OpenStackEmulator
from tests.fixtures.rabbitmq import RabbitNode

from bench.context import Bench, batching_supported
from bench.measure import log
from bench.processes import REPO
from bench.report import Report, environment
from bench.scenarios import (audit, deletes, ignored, latency, memory, requests, scale,
                             scrape)
from bench.traffic import DOMAIN, IMAGE, PROJECT, REVERSE_ZONE, ZONE

SIZES = {
    'full': {'ignored': 20_000, 'deletes': 2_000, 'lone': 5, 'steady_rate': 50.0,
             'steady_seconds': 20.0, 'memory_events': 100_000, 'memory_warmup': 2_000,
             'memory_delete_every': 50, 'memory_busy_deletes': 10_000,
             'memory_busy_warmup': 1_000, 'scale_deletes': 2_000, 'ignored_rounds': 3,
             'audit_live': 20_000, 'audit_orphans': 2_000, 'audit_projects': 200,
             'audit_fips': 5_000, 'rounds': 2},
    'quick': {'ignored': 2_000, 'deletes': 200, 'lone': 3, 'steady_rate': 50.0,
              'steady_seconds': 4.0, 'memory_events': 10_000, 'memory_warmup': 200,
              'memory_delete_every': 50, 'memory_busy_deletes': 1_000,
              'memory_busy_warmup': 200, 'scale_deletes': 200, 'ignored_rounds': 1,
              'audit_live': 2_000, 'audit_orphans': 200, 'audit_projects': 20,
              'audit_fips': 500, 'rounds': 1},
}

SCENARIOS = {'1': ('ignored', ignored.scenario), '2': ('deletes', deletes.scenario),
             '3': ('requests', requests.scenario), '4': ('latency', latency.scenario),
             '5': ('memory', memory.scenario), '6': ('scale', scale.scenario),
             '7': ('audit', audit.scenario), '8': ('scrape', scrape.scenario)}
BY_NAME = {name: key for key, (name, _) in SCENARIOS.items()}


def run(args):
    """Start RabbitMQ and the emulators, run the ``--only`` scenarios (default all)
    in turn, print the table and write the JSON; returns the exit status."""
    mode = 'quick' if args.quick else 'full'
    batching = batching_supported()
    started = time.monotonic()
    wanted = ([BY_NAME.get(s.strip(), s.strip()) for s in args.only.split(',')]
              if args.only else list(SCENARIOS))
    work = tempfile.mkdtemp(prefix='novajoin-bench-')
    report = Report()
    bench = Bench(args, dict(SIZES[mode]), work, report, batching)
    load_before = os.getloadavg()
    log(f'novajoin-notify benchmark ({mode} size, IPA latency {args.ipa_latency * 1000:.0f} '
        f'ms per request + {args.ipa_entry_latency * 1000:.0f} ms per command, '
        f'batching option {"present" if batching else "ABSENT"}); work directory '
        f'{work}')
    try:
        with RabbitNode(base_dir=os.path.join(work, 'rabbit')) as rabbit, \
                IPAEmulator(domain=DOMAIN, latency=args.ipa_latency,
                            entry_latency=args.ipa_entry_latency) as ipa, \
                OpenStackEmulator() as cloud:
            cloud.latency = args.openstack_latency
            ipa.add_zone(ZONE)
            ipa.add_zone(REVERSE_ZONE)
            cloud.add_project(PROJECT, 'bench')
            cloud.add_image(IMAGE, name='rhel-ipa', ipa_enroll='True')
            for i in range(20):   # live instances nova lists, none carrying a name
                cloud.add_server(str(uuid.uuid4()), f'live-{i:03d}', PROJECT,
                                 metadata={'ipa_enroll': 'true'})
            bench.connect(rabbit, ipa, cloud)
            log(f'RabbitMQ up in {rabbit.last_start_seconds:.1f}s on port {rabbit.port}')
            try:
                run_scenarios(bench, wanted)
            finally:
                bench.bus.close()
    finally:
        bench.stop_all()
    wall = time.monotonic() - started
    report.publish(args.json, wall, mode, {
        'started': datetime.datetime.now().isoformat(timespec='seconds'),
        'sizes': bench.sizes,
        'options': {k: v for k, v in vars(args).items() if k != 'json'},
        'environment': environment(load_before),
        'batching_option_present': batching,
        'work_directory': work if args.keep else None,
    })
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f'work directory kept: {work}')
    return report.exit_status()


def run_scenarios(bench, wanted):
    """Each scenario in turn; one that fails gets a FAILED row and the run goes on.
    Whatever consumer a scenario leaves running is stopped before the next."""
    report = bench.report
    burst = 'not run'
    for key in wanted:
        entry = SCENARIOS.get(key)
        if entry is None:
            raise SystemExit(f'unknown scenario {key!r}')
        name, scenario = entry
        log(f'scenario {key}: {name}')
        t0 = time.monotonic()
        try:
            if key == '2':
                burst = scenario(bench)
            elif key == '3':
                scenario(bench, burst)
            else:
                scenario(bench)
        except Exception as exc:
            error = f'{type(exc).__name__}: {exc}'
            log(f'scenario {key} FAILED: {error}')
            report.results[f'{key}_error'] = {
                'error': error, 'traceback': traceback.format_exc()}
            report.row(f'{key} {name}', '', '-', None, '-', False, error)
        finally:
            bench.stop_leftovers()
        report.results.setdefault('wall_seconds', {})[key] = round(time.monotonic() - t0, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='bench/run', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='10x fewer events (a smoke run of every scenario)')
    parser.add_argument('--ipa-latency', type=float, default=0.020,
                        help='seconds the IPA emulator takes per JSON-RPC call (0.020)')
    parser.add_argument('--ipa-entry-latency', type=float, default=0.0,
                        help='seconds the IPA emulator takes per command, on top of '
                             '--ipa-latency per request: once for a lone command, once '
                             "per entry of a batch, as real IPA runs a batch's entries "
                             'one after another (0)')
    parser.add_argument('--openstack-latency', type=float, default=0.0,
                        help='seconds the keystone/nova/glance emulator takes per request')
    parser.add_argument('--json', default=os.path.join(REPO, 'bench', 'results',
                                                       'latest.json'),
                        help='where to write the raw figures (bench/results/latest.json)')
    parser.add_argument('--only', default='',
                        help='comma-separated scenarios to run, by number or name, e.g. '
                             '1,2,3 or audit (default: all)')
    parser.add_argument('--workers', type=int, default=64,
                        help='[DEFAULT] executor_thread_pool_size of the daemon and the '
                             'plain listener (64)')
    parser.add_argument('--prefetch', type=int, default=64,
                        help='[oslo_messaging_rabbit] rabbit_qos_prefetch_count (64)')
    parser.add_argument('--max-connections', type=int, default=8,
                        help='[ipa] max_connections, and the old baseline\'s workers (8)')
    parser.add_argument('--batch-window', type=float, default=0.01,
                        help='[ipa] batch_window when batching is on (0.01)')
    parser.add_argument('--batch-size', type=int, default=50, help='[ipa] batch_size (50)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work directory (configs and logs)')
    args = parser.parse_args(argv)
    if args.ipa_latency <= 0:
        parser.error('--ipa-latency must be > 0 (the ideal rate divides by it)')
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
