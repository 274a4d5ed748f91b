"""Benchmark scenario: scraping /metrics every second while a delete burst runs
changes the delete rate by less than 5%.

Rounds of the same burst (enrolled deletes preloaded on a queue, the real daemon
started with its HTTP side on, host removals timed in the IPA emulator): the
burst alone, and the burst with a scraper asking GET /metrics every second.
The two kinds alternate (ABBA...) and the figure is the ratio of their medians.

Standalone: ``python -m bench.scrape [--quick]`` (root, after tools/setup-dev)
starts its own RabbitMQ node and emulators. From the benchmark runner, with the
runner's node and emulators::

    from bench import scrape
    result = scrape.scenario_scrape(rabbit, ipa, cloud, work_dir,
                                    **scrape.SIZES['quick' if quick else 'full'],
                                    daemon_extra=..., log=log)
    results['7_scrape'] = result          # raw figures
    row(**result['row'])                  # scenario, measured, reference, ratio,
                                          # target, met (the runner's table row)
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid

import amqp

from notify import broker
from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness, payloads

PROJECT = 'c4f8d0ffee5a4d6e9b7c2f00d1e2f3a5'
PUBLISHER = 'compute.compute-0'
TARGET = 0.05      # |scraped rate / plain rate - 1| <
SIZES = {'full': {'deletes': 3000, 'rounds': 3}, 'quick': {'deletes': 400, 'rounds': 1}}


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Scraper:
    """GET /metrics every ``every`` seconds in a thread, until stopped."""

    def __init__(self, port, every=1.0):
        self.port, self.every = port, every
        self.scrapes, self.failures, self.bytes, self.last = 0, 0, 0, ''
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='scraper', daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(30)

    def _run(self):
        while True:
            try:
                conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
                conn.request('GET', '/metrics')
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status != 200:
                    raise OSError(f'status {response.status}')
                self.scrapes += 1
                self.bytes += len(body)
                self.last = body.decode()
            except OSError:
                self.failures += 1
            if self._stop.wait(self.every):
                return


def _publish(rabbit, topic, bodies):
    conn = amqp.Connection(f'127.0.0.1:{rabbit.port}', userid='guest', password='guest',
                           virtual_host='/', connect_timeout=10)
    conn.connect()
    try:
        channel = conn.channel()
        for body in bodies:
            channel.basic_publish(amqp.Message(body, content_type='application/json',
                                               content_encoding='utf-8'),
                                  exchange='nova', routing_key=f'{topic}.info')
    finally:
        conn.close()


def burst(rabbit, ipa, cloud, work_dir, label, deletes, scraped, daemon_extra='',
          timeout=None):
    """One burst of ``deletes``; returns its figures."""
    topic = harness.unique_topic(f'bench_scrape_{label}')
    names = [f'{label}-{i:06d}' for i in range(deletes)]
    for name in names:
        ipa.add_host(f'{name}.{harness.IPA_DOMAIN}', description=MARKER)
    prime = harness.Publisher(rabbit.transport_url, 'nova', topic, publisher_id=PUBLISHER)
    try:       # the topic's queue exists once nova's notifier has sent on it
        prime.send('compute.instance.exists', {'instance_id': str(uuid.uuid4())})
    finally:
        prime.close()
    _publish(rabbit, topic, (json.dumps(broker.envelope(
        *payloads.legacy_delete(str(uuid.uuid4()), name, PROJECT,
                                metadata={'ipa_enroll': 'true'}), PUBLISHER, 'info'))
        for name in names))
    port = _free_port()
    directory = os.path.join(work_dir, label)
    os.makedirs(directory, exist_ok=True)
    config = harness.write_config(
        os.path.join(directory, 'novajoin-notify.conf'), rabbit.transport_url, ipa, cloud,
        topic, f'[DEFAULT]\ndebug = False\n[http]\nlisten = 127.0.0.1:{port}\n'
        + daemon_extra)
    wanted = {f'{name}.{harness.IPA_DOMAIN}' for name in names}
    mark = len(ipa.host_removed_at)
    daemon = harness.Daemon(config, os.path.join(directory, 'novajoin-notify.log'))
    scraper = Scraper(port) if scraped else None
    try:
        daemon.start(wait_ready=True, timeout=90)
        if scraper:
            scraper.start()
        removed = {}
        deadline = time.monotonic() + (timeout or 60 + deletes / 20)
        while len(removed) < len(wanted):
            for when, fqdn in ipa.host_removed_at[mark:]:
                if fqdn in wanted:
                    removed.setdefault(fqdn, when)
            if daemon.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f'{label}: {len(removed)} of {deletes} removed; log '
                                   f'{daemon.log_path}')
            time.sleep(0.02)
    finally:
        if scraper:
            scraper.stop()
        daemon.stop()
    times = sorted(removed.values())
    run = {'label': label, 'scraped': scraped, 'deletes': deletes,
           'seconds': round(times[-1] - times[0], 4),
           'rate': (len(times) - 1) / (times[-1] - times[0])}
    if scraper:
        run.update(scrapes=scraper.scrapes, scrape_failures=scraper.failures,
                   scrape_bytes=scraper.bytes)
    return run


def scenario_scrape(rabbit, ipa, cloud, work_dir, deletes=3000, rounds=3, daemon_extra='',
                    log=print):
    """Alternating bursts without and with a scraper; the runner's row and figures."""
    warm = burst(rabbit, ipa, cloud, work_dir, 's7warm', min(200, deletes), False,
                 daemon_extra)    # first-burst costs (emulators, caches) are not counted
    log(f'  warm-up: {warm["rate"]:.1f} deletes/s (not counted)')
    runs = []
    for r in range(rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        for scraped in order:
            label = f's7{"s" if scraped else "p"}r{r}'
            run = burst(rabbit, ipa, cloud, work_dir, label, deletes, scraped, daemon_extra)
            log(f'  {label}: {run["rate"]:.1f} deletes/s'
                + (f', {run["scrapes"]} scrapes' if scraped else ''))
            runs.append(run)
    plain = statistics.median(x['rate'] for x in runs if not x['scraped'])
    scraped = statistics.median(x['rate'] for x in runs if x['scraped'])
    change = scraped / plain - 1
    med = f' (median of {rounds})' if rounds > 1 else ''
    return {
        'runs': runs, 'plain_rate': plain, 'scraped_rate': scraped, 'change': change,
        'scrapes': sum(x.get('scrapes', 0) for x in runs),
        'scrape_failures': sum(x.get('scrape_failures', 0) for x in runs),
        'row': {'scenario': f'7 deletes while /metrics is scraped every 1 s vs not{med}',
                'measured': f'{scraped:.1f}/s', 'reference': f'{plain:.1f}/s',
                'ratio': scraped / plain, 'target': f'change < {TARGET:.0%}',
                'met': abs(change) < TARGET},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m bench.scrape', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='one small round')
    parser.add_argument('--ipa-latency', type=float, default=0.020)
    args = parser.parse_args(argv)
    from tests.emulators.ipa import IPAEmulator
    from tests.emulators.openstack import OpenStackEmulator
    from tests.fixtures.rabbitmq import RabbitNode
    work = tempfile.mkdtemp(prefix='novajoin-bench-scrape-')
    with RabbitNode(base_dir=os.path.join(work, 'rabbit')) as rabbit, \
            IPAEmulator(domain=harness.IPA_DOMAIN, latency=args.ipa_latency) as ipa, \
            OpenStackEmulator() as cloud:
        ipa.add_zone(harness.IPA_DOMAIN + '.')
        cloud.add_project(PROJECT, 'bench')
        result = scenario_scrape(rabbit, ipa, cloud, work,
                                 **SIZES['quick' if args.quick else 'full'])
    row = result['row']
    print(f'{row["scenario"]}: {row["measured"]} vs {row["reference"]}, ratio '
          f'{row["ratio"]:.3f}, target {row["target"]}: {"met" if row["met"] else "NOT met"}'
          f' ({result["scrapes"]} scrapes, {result["scrape_failures"]} failed)')
    print(json.dumps({k: v for k, v in result.items() if k != 'row'}, indent=2))
    return 0 if row['met'] else 1


if __name__ == '__main__':
    sys.exit(main())
