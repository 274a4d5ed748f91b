"""novajoin-notify benchmark: the real daemon against a private RabbitMQ and the
IPA and OpenStack emulators, with side-by-side references measured in the same
run (a plain oslo.messaging listener, the old novajoin call pattern, the IPA-bound
ideal).

Scenarios:
  1 ignored   notifications the daemon must skip: daemon vs a plain oslo.messaging
              listener with a do-nothing endpoint, each draining a preloaded queue
  2 deletes   enrolled deletes from a preloaded queue: (a) batching off vs the
              IPA-bound ideal max_connections / ipa_latency, (b) batching on vs
              (c) the old novajoin call pattern (bench/baseline_old.py)
  3 requests  IPA requests per enrolled delete: a lone event, and the burst of 2b
  4 latency   publish -> host gone in IPA at a steady rate: p50, p99
  5 memory    daemon RSS before and after many events (mostly ignored traffic)
  6 scale     two daemons on one queue vs one (batching on, deletes)

Rates are ratios of figures measured side by side in one run on a shared, noisy
machine; no figure is a timed assertion. Run through ``bench/run``.

Exit status: 0 every target met, 1 some target not met, 2 some scenario failed
(timed out, a process died); the table and the JSON say which.
"""

import argparse
import collections
import datetime
import itertools
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

import amqp

from tests import harness, payloads
from tests.emulators.ipa import IPAEmulator
from tests.emulators.openstack import OpenStackEmulator
from tests.fixtures.rabbitmq import RabbitNode

from bench import common

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOMAIN = harness.IPA_DOMAIN
ZONE = DOMAIN + '.'
# 198.18.0.0/15 is set aside for benchmarks (RFC 2544); the records only live in
# the emulator, nothing is ever sent to these addresses.
REVERSE_ZONE = '18.198.in-addr.arpa.'
PROJECT = 'b3e7c0ffee5a4d6e9b7c2f00d1e2f3a4'
IMAGE = '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f'
LEGACY_PUBLISHER = 'compute.compute-0'
VERSIONED_PUBLISHER = 'nova-compute:compute-0'
IGNORED_TYPES = ('compute.instance.update', 'compute.instance.exists', 'instance.update',
                 'compute.instance.power_off.end', 'instance.power_on.end')

SIZES = {
    'full': {'ignored': 20_000, 'deletes': 2_000, 'lone': 5, 'steady_rate': 50.0,
             'steady_seconds': 20.0, 'memory_events': 100_000, 'memory_warmup': 2_000,
             'memory_delete_every': 50, 'scale_deletes': 2_000, 'ignored_rounds': 3,
             'rounds': 2},
    'quick': {'ignored': 2_000, 'deletes': 200, 'lone': 3, 'steady_rate': 50.0,
              'steady_seconds': 4.0, 'memory_events': 10_000, 'memory_warmup': 200,
              'memory_delete_every': 50, 'scale_deletes': 200, 'ignored_rounds': 1,
              'rounds': 1},
}

TARGETS = {
    'ignored_ratio': 0.9,          # daemon rate / plain listener rate >=
    'unbatched_vs_ideal': 0.8,     # 2a / (max_connections / ipa_latency) >=
    'batched_vs_old': 5.0,         # 2b / 2c >=
    'lone_requests': 1.0,          # IPA requests per lone delete <=
    'burst_requests': 0.2,         # IPA requests per delete under the 2b burst <=
    'steady_p99': 0.5,             # seconds, publish -> host gone, p99 <=
    'memory_growth_mb': 20.0,      # RSS growth over the memory run <
}


def log(text):
    print(f'[{time.strftime("%H:%M:%S")}] {text}', flush=True)


class ScenarioError(Exception):
    """A scenario could not finish (timed out, a process died); the run goes on."""


# ---------------------------------------------------------------------------
# the bus: preloading with raw publishes in oslo's messagingv2 envelope

def envelope(event_type, payload, publisher_id, priority='INFO'):
    """A notification exactly as oslo.messaging's messagingv2 driver puts it on the
    wire (the same fields, the context packed as _context_* keys)."""
    message = {
        'message_id': str(uuid.uuid4()),
        'publisher_id': publisher_id,
        'event_type': event_type,
        'priority': priority,
        'payload': payload,
        'timestamp': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M:%S.%f'),
        '_unique_id': uuid.uuid4().hex,
        '_context_user_id': 'admin',
        '_context_project_id': 'service',
        '_context_request_id': 'req-' + str(uuid.uuid4()),
    }
    return json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps(message)})


class Bus:
    """One AMQP connection of the benchmark itself: raw publishes (fast preloading)
    and passive queue declarations (cheap queue depth polling)."""

    def __init__(self, rabbit):
        self.rabbit = rabbit
        self._conn = amqp.Connection(f'127.0.0.1:{rabbit.port}', userid='guest',
                                     password='guest', virtual_host='/', connect_timeout=10)
        self._conn.connect()
        self._pub = self._conn.channel()
        self._inspect = self._conn.channel()

    def close(self):
        try:
            self._conn.close()
        except Exception:
            pass

    def prime(self, topic):
        """Declare the topic's queue as nova does: one notification sent with
        oslo.messaging's own Notifier (an ignored event type)."""
        publisher = harness.Publisher(self.rabbit.transport_url, 'nova', topic,
                                      publisher_id=LEGACY_PUBLISHER)
        try:
            publisher.send('compute.instance.exists', {'instance_id': str(uuid.uuid4()),
                                                        'state': 'active'})
        finally:
            publisher.close()

    def publish(self, topic, bodies, exchange='nova'):
        """Publish pre-built bodies to <topic>.info; returns how many."""
        count = 0
        routing_key = f'{topic}.info'
        for body in bodies:
            self._pub.basic_publish(
                amqp.Message(body, content_type='application/json', content_encoding='utf-8',
                             delivery_mode=2),
                exchange=exchange, routing_key=routing_key)
            count += 1
        return count

    def depth(self, queue):
        """(messages ready, consumers) of a queue, or None when it does not exist."""
        try:
            ok = self._inspect.queue_declare(queue=queue, passive=True)
        except amqp.exceptions.NotFound:
            self._inspect = self._conn.channel()
            return None
        return ok.message_count, ok.consumer_count

    def wait_depth(self, queue, predicate, timeout, what, interval=0.05):
        deadline = time.monotonic() + timeout
        while True:
            info = self.depth(queue)
            if predicate(info):
                return info
            if time.monotonic() > deadline:
                raise ScenarioError(f'{what}: not reached after {timeout:.0f}s '
                                    f'(queue {queue}: {info})')
            time.sleep(interval)


# ---------------------------------------------------------------------------
# notifications

class Host:
    __slots__ = ('name', 'fqdn', 'ip')

    def __init__(self, name, fqdn, ip):
        self.name, self.fqdn, self.ip = name, fqdn, ip


class Payloads:
    """Builders of the notification bodies of the benchmark."""

    def __init__(self):
        _, self.legacy = payloads.legacy_delete(str(uuid.uuid4()), 'busy-1', PROJECT,
                                                image_id=IMAGE, addresses=['198.18.255.1'])
        self.legacy = dict(self.legacy, state='active', state_description='')
        try:
            _, self.versioned = payloads.versioned_delete(str(uuid.uuid4()), 'busy-2',
                                                          PROJECT, image_id=IMAGE)
        except Exception as exc:   # no ../shared/samples: legacy payloads only
            log(f'note: nova versioned samples not available ({exc}); legacy payloads only')
            self.versioned = None
        self._n = 0

    def ignored(self):
        """The next notification the daemon must skip (event types in turn)."""
        self._n += 1
        event_type = IGNORED_TYPES[self._n % len(IGNORED_TYPES)]
        if event_type.startswith('compute.') or self.versioned is None:
            return envelope(event_type, self.legacy, LEGACY_PUBLISHER)
        return envelope(event_type, self.versioned, VERSIONED_PUBLISHER)

    def delete(self, host, versioned=False):
        """The delete of an enrolled instance: legacy, enrolled by metadata; or
        versioned, enrolled by its glance image."""
        if versioned and self.versioned is not None:
            event_type, payload = payloads.versioned_delete(
                str(uuid.uuid4()), host.name, PROJECT, image_id=IMAGE, addresses=[host.ip])
            return envelope(event_type, payload, VERSIONED_PUBLISHER)
        event_type, payload = payloads.legacy_delete(
            str(uuid.uuid4()), host.name, PROJECT, metadata={'ipa_enroll': 'true'},
            image_id=IMAGE, addresses=[host.ip])
        return envelope(event_type, payload, LEGACY_PUBLISHER)


# ---------------------------------------------------------------------------
# processes

def proc_cpu_seconds(pid):
    """user + system CPU seconds of a process, from /proc (None when gone)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, IndexError, ValueError):
        return None


def proc_rss_kb(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Helper:
    """A helper process of the benchmark (plain listener, old-novajoin baseline)."""

    def __init__(self, module, args, log_path):
        self.argv = [sys.executable, '-m', module] + list(args)
        self.log_path = log_path
        self.process = None

    def start(self, wait_ready=True, timeout=60):
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        env.pop('REQUESTS_CA_BUNDLE', None)
        self._log = open(self.log_path, 'ab')
        self.process = subprocess.Popen(self.argv, stdout=self._log, stderr=self._log,
                                        cwd=REPO, env=env, start_new_session=True)
        if wait_ready:
            harness.wait_for(lambda: self.ready() or self.process.poll() is not None,
                             timeout, what=f'{self.argv[2]} start')
            if self.process.poll() is not None:
                raise ScenarioError(f'{self.argv[2]} exited with {self.process.returncode}: '
                                    + self.log()[-2000:])
        return self

    def ready(self):
        return common.READY_LINE in self.log()

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def stop(self, timeout=30):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        return self.process.returncode


# ---------------------------------------------------------------------------
# the benchmark

def percentile(values, q):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def hook_rate(times):
    """Deletes per second between the first and the last host removal."""
    times = sorted(times)
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])


def stats_snapshot(stats):
    return {key: (dict(value) if isinstance(value, collections.Counter) else value)
            for key, value in stats.items()}


def cloud_snapshot(cloud):
    with cloud._lock:
        return {'requests': dict(cloud.stats['requests']),
                'token_issues': cloud.stats['token_issues']}


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = dict(SIZES['quick' if args.quick else 'full'])
        self.results = {}
        self.rows = []
        self.procs = []
        self._ip_seq = 0
        self._work = None
        self.batching_supported = self._batching_supported()

    @staticmethod
    def _batching_supported():
        try:
            from notify import opts
            return {o.name for o in opts.ipa_opts} >= {'batch_window', 'batch_size'}
        except Exception:
            return False

    # -- fixtures -------------------------------------------------------------

    def cpu(self, procs):
        """CPU seconds used so far by the consumers, this process (emulators and
        driver) and the RabbitMQ node."""
        consumers = [proc_cpu_seconds(p.process.pid) for p in procs]
        return {'consumers': sum(c for c in consumers if c is not None),
                'bench_and_emulators': proc_cpu_seconds(os.getpid()),
                'rabbitmq': sum(c for c in (proc_cpu_seconds(pid) for pid in self.rabbit_pids)
                                if c is not None)}

    @staticmethod
    def cpu_per_event(first, last, events):
        """Milliseconds of CPU per event of each party between two cpu() snapshots."""
        if not first or not last or events <= 0:
            return None
        return {k: round((last[k] - first[k]) * 1000 / events, 3) for k in first}

    def hosts(self, label, count):
        """``count`` enrolled hosts in IPA with their A and PTR records."""
        hosts = []
        for i in range(count):
            seq = self._ip_seq
            self._ip_seq += 1
            c, d = divmod(seq, 254)
            ip = f'198.18.{c}.{d + 1}'
            name = f'{label}-{i:06d}'
            fqdn = f'{name}.{DOMAIN}'
            self.ipa.add_host(fqdn)
            self.ipa.add_record(ZONE, name, 'A', ip)
            self.ipa.add_record(REVERSE_ZONE, f'{d + 1}.{c}', 'PTR', fqdn + '.')
            hosts.append(Host(name, fqdn, ip))
        return hosts

    def wait_removed(self, fqdns, mark, timeout, procs=(), what='hosts removed'):
        """{fqdn: time removed} once every fqdn is gone (IPA emulator hook, entries
        from index ``mark`` on); ScenarioError on timeout or a dead process."""
        wanted = set(fqdns)
        found = {}
        self.cpu_first = self.cpu_last = None
        seen = mark
        deadline = time.monotonic() + timeout
        removed = self.ipa.host_removed_at
        while True:
            end = len(removed)
            for when, fqdn in removed[seen:end]:
                if fqdn in wanted and fqdn not in found:
                    found[fqdn] = when
            seen = end
            if found and self.cpu_first is None:
                self.cpu_first = (len(found), self.cpu(procs))
            if len(found) == len(wanted):
                self.cpu_last = (len(found), self.cpu(procs))
                return found
            for proc in procs:
                if proc.process.poll() is not None:
                    raise ScenarioError(f'{what}: a consumer exited with '
                                        f'{proc.process.returncode} after {len(found)} of '
                                        f'{len(wanted)}; log {proc.log_path}')
            if time.monotonic() > deadline:
                raise ScenarioError(f'{what}: only {len(found)} of {len(wanted)} after '
                                    f'{timeout:.0f}s')
            time.sleep(0.02)

    def daemon(self, name, topic, batching=True, start=True, wait_ready=True):
        directory = os.path.join(self._work, name)
        os.makedirs(directory, exist_ok=True)
        window = self.args.batch_window if batching else 0
        extra = (f'[DEFAULT]\ndebug = False\nexecutor_thread_pool_size = {self.args.workers}\n'
                 f'[oslo_messaging_rabbit]\nrabbit_qos_prefetch_count = {self.args.prefetch}\n'
                 f'[ipa]\nmax_connections = {self.args.max_connections}\n'
                 f'batch_window = {window}\nbatch_size = {self.args.batch_size}\n')
        config = harness.write_config(os.path.join(directory, 'novajoin-notify.conf'),
                                      self.rabbit.transport_url, self.ipa, self.cloud, topic,
                                      extra)
        daemon = harness.Daemon(config, os.path.join(directory, 'novajoin-notify.log'))
        self.procs.append(daemon)
        if start:
            daemon.start(wait_ready=wait_ready, timeout=90)
        return daemon

    def oslo_conf(self, name, pool_size):
        path = os.path.join(self._work, f'{name}.conf')
        with open(path, 'w') as f:
            f.write(f'[DEFAULT]\ntransport_url = {self.rabbit.transport_url}\n'
                    f'executor_thread_pool_size = {pool_size}\n'
                    f'[oslo_messaging_rabbit]\n'
                    f'rabbit_qos_prefetch_count = {self.args.prefetch}\n')
        return path

    def plain_listener(self, name, topic):
        helper = Helper('bench.plain_listener',
                        ['--config-file', self.oslo_conf(name, self.args.workers),
                         '--topic', topic],
                        os.path.join(self._work, f'{name}.log'))
        self.procs.append(helper)
        return helper.start(wait_ready=False)

    def old_novajoin(self, name, topic):
        ipa, cloud = self.ipa, self.cloud
        helper = Helper('bench.baseline_old', [
            '--config-file', self.oslo_conf(name, self.args.max_connections),
            '--topic', topic, '--ipa-server', ipa.server, '--ipa-ca', ipa.ca_path,
            '--ipa-user', ipa.username, '--ipa-password', ipa.password, '--domain', DOMAIN,
            '--auth-url', cloud.auth_url, '--os-username', cloud.username,
            '--os-password', cloud.password, '--os-project-name', cloud.project_name,
            '--cafile', cloud.ca_path], os.path.join(self._work, f'{name}.log'))
        self.procs.append(helper)
        return helper.start(wait_ready=False)

    @staticmethod
    def stop(proc):
        """Stop a daemon or helper by its PID; returns (exit status, CPU seconds)."""
        if proc is None or proc.process is None:
            return None, None
        cpu = proc_cpu_seconds(proc.process.pid)
        try:
            status = proc.stop(timeout=30)
        except Exception as exc:
            status = f'stop failed: {exc}'
        return status, cpu

    # -- scenario 1 -------------------------------------------------------------

    def drain_rate(self, queue, total, timeout, proc):
        """Time a consumer (started just before) draining ``total`` preloaded messages:
        rate between the first poll that sees the queue shrink and the first that sees
        no message ready (passive declares every 20 ms), then confirm with
        rabbitmqctl that nothing is left unacknowledged either."""
        deadline = time.monotonic() + timeout
        first = None
        polls = 0
        while True:
            info = self.bus.depth(queue)
            now = time.monotonic()
            polls += 1
            ready = info[0] if info else total
            if first is None and ready < total:
                first = (now, ready)
                cpu_first = self.cpu([proc])
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
        cpu_last = self.cpu([proc])
        self.rabbit.wait_queue(queue, lambda q: q is not None and q['messages'] == 0,
                               timeout=60)
        drained_at = time.monotonic()
        seconds = empty_at - first[0]
        if seconds <= 0:
            raise ScenarioError('the queue was empty at the first poll: too few messages '
                                'to time')
        return {'messages': total, 'counted': first[1], 'seconds': round(seconds, 4),
                'rate': first[1] / seconds,
                'drained_confirmed_after': round(drained_at - first[0], 3), 'polls': polls,
                'cpu_ms_per_message': self.cpu_per_event(cpu_first, cpu_last, first[1])}

    def scenario_ignored(self):
        n, rounds = self.sizes['ignored'], self.sizes['ignored_rounds']
        runs = {'daemon': [], 'plain': []}
        for r in range(rounds):
            for who in ('plain', 'daemon'):
                topic = harness.unique_topic(f'bench_s1{who[0]}{r}')
                queue = f'{topic}.info'
                self.bus.prime(topic)
                self.bus.publish(topic, (self.payloads.ignored() for _ in range(n - 1)))
                self.bus.wait_depth(queue, lambda i: i is not None and i[0] >= n, 120,
                                    'preload')
                log(f'  1/{who} round {r + 1}: {n} notifications preloaded on {queue}')
                proc = (self.daemon(f's1-daemon-{r}', topic, wait_ready=False)
                        if who == 'daemon' else self.plain_listener(f's1-plain-{r}', topic))
                try:
                    run = self.drain_rate(queue, n, 60 + n / 250, proc)
                    run['consumers'] = (self.bus.depth(queue) or (None, None))[1]
                finally:
                    status, cpu = self.stop(proc)
                run['exit_status'] = status
                run['consumer_cpu_seconds_total'] = cpu
                runs[who].append(run)
                log(f'  1/{who} round {r + 1}: {run["rate"]:.0f} msg/s; CPU ms per message '
                    f'{run["cpu_ms_per_message"]}')
        best = {who: max(x['rate'] for x in v) for who, v in runs.items()}
        median = {who: statistics.median(x['rate'] for x in v) for who, v in runs.items()}
        ratio = median['daemon'] / median['plain']
        self.results['1_ignored'] = {
            'runs': runs, 'median_rate': median, 'best_rate': best, 'ratio': ratio,
            'ratio_of_best': best['daemon'] / best['plain'],
            'note': f'ratio of the medians of {rounds} interleaved round(s) each'}
        med = f' (median of {rounds})' if rounds > 1 else ''
        self.row(f'1 ignored traffic: daemon vs plain oslo listener{med}',
                 f'{median["daemon"]:.0f} msg/s', f'{median["plain"]:.0f} msg/s', ratio,
                 f'>= {TARGETS["ignored_ratio"]}', ratio >= TARGETS['ignored_ratio'])

    # -- scenarios 2 and 3 ------------------------------------------------------

    def deletes_run(self, label, start_consumer, n):
        """Preload ``n`` enrolled deletes, start a consumer, time the host removals."""
        topic = harness.unique_topic(f'bench_{label}')
        queue = f'{topic}.info'
        hosts = self.hosts(label, n)
        self.bus.prime(topic)
        self.bus.publish(topic, (self.payloads.delete(h) for h in hosts))
        self.bus.wait_depth(queue, lambda i: i is not None and i[0] >= n + 1, 120, 'preload')
        self.ipa.reset_stats()
        self.cloud.reset_stats()
        mark = len(self.ipa.host_removed_at)
        log(f'  {label}: {n} deletes preloaded on {queue}')
        proc = start_consumer(topic)
        try:
            removed = self.wait_removed([h.fqdn for h in hosts], mark, 60 + n / 20, [proc],
                                        f'{label}: hosts removed')
            cpu_ms = self.cpu_per_event(self.cpu_first[1], self.cpu_last[1],
                                        self.cpu_last[0] - self.cpu_first[0])
            ipa_stats = stats_snapshot(self.ipa.stats)
            cloud_stats = cloud_snapshot(self.cloud)
        finally:
            status, cpu = self.stop(proc)
        rate = hook_rate(removed.values())
        requests = ipa_stats['http_requests'] - ipa_stats['logins']
        run = {'deletes': n, 'rate': rate,
               'seconds': round(max(removed.values()) - min(removed.values()), 4),
               'ipa': ipa_stats, 'ipa_requests_per_delete': requests / n,
               'ipa_requests_per_delete_with_logins': ipa_stats['http_requests'] / n,
               'openstack': cloud_stats, 'exit_status': status,
               'consumer_cpu_seconds_total': cpu, 'cpu_ms_per_delete': cpu_ms,
               # what one consumer process could do if only its own CPU (one core:
               # the GIL) limited it
               'one_core_ceiling_rate': (1000 / cpu_ms['consumers']
                                         if cpu_ms and cpu_ms['consumers'] else None),
               'consumer_warnings': _warnings(proc),
               'hosts_left': sum(1 for h in hosts if self.ipa.has_host(h.fqdn))}
        log(f'  {label}: {rate:.1f} deletes/s, {requests / n:.3f} IPA requests per delete '
            f'(+{ipa_stats["logins"]} logins); CPU ms per delete {cpu_ms}')
        return run

    def scenario_deletes(self):
        n, rounds = self.sizes['deletes'], self.sizes['rounds']
        ideal = self.args.max_connections / self.args.ipa_latency
        plans = (
            ('2c_old_novajoin', 's2c', lambda t, r: self.old_novajoin(f's2c-old-{r}', t)),
            ('2a_unbatched', 's2a', lambda t, r: self.daemon(f's2a-daemon-{r}', t,
                                                             batching=False,
                                                             wait_ready=False)),
            ('2b_batched', 's2b', lambda t, r: self.daemon(f's2b-daemon-{r}', t,
                                                           batching=True, wait_ready=False)),
        )
        runs = {key: {'rounds': []} for key, _, _ in plans}
        for r in range(rounds):      # interleaved: c, a, b, c, a, b, ...
            for key, label, starter in plans:
                try:
                    runs[key]['rounds'].append(self.deletes_run(
                        f'{label}r{r}', lambda t: starter(t, r), n))
                except Exception as exc:
                    runs[key]['error'] = f'{type(exc).__name__}: {exc}'
                    log(f'  {key}: FAILED {runs[key]["error"]}')
        for run in runs.values():
            done = [x for x in run['rounds'] if x.get('rate')]
            if not done or 'error' in run:
                continue
            run['rate'] = statistics.median(x['rate'] for x in done)
            for figure in ('ipa_requests_per_delete', 'ipa_requests_per_delete_with_logins',
                           'one_core_ceiling_rate'):
                values = [x[figure] for x in done if x.get(figure) is not None]
                run[figure] = statistics.median(values) if values else None
            cpu = [x['cpu_ms_per_delete']['consumers'] for x in done
                   if x.get('cpu_ms_per_delete')]
            run['consumer_cpu_ms_per_delete'] = statistics.median(cpu) if cpu else None
        self.results['2_deletes'] = dict(
            runs, ideal_rate=ideal, batching_supported=self.batching_supported,
            note=f'figures are medians of {rounds} interleaved round(s)')
        a, b, c = (runs[k].get('rate') for k in ('2a_unbatched', '2b_batched',
                                                  '2c_old_novajoin'))
        med = f' (median of {rounds})' if rounds > 1 else ''
        self.row(f'2a deletes, IPA batching off vs IPA-bound ideal{med}', _rate(a),
                 f'{ideal:.0f}/s ({self.args.max_connections} conn / '
                 f'{self.args.ipa_latency * 1000:g} ms)',
                 a / ideal if a else None, f'>= {TARGETS["unbatched_vs_ideal"]}',
                 a is not None and a / ideal >= TARGETS['unbatched_vs_ideal'],
                 runs['2a_unbatched'].get('error'))
        self.row(f'2b deletes, batching on vs old novajoin (2c){med}', _rate(b), _rate(c),
                 b / c if b and c else None, f'>= {TARGETS["batched_vs_old"]:g}x',
                 b is not None and c is not None and b / c >= TARGETS['batched_vs_old'],
                 runs['2b_batched'].get('error') or runs['2c_old_novajoin'].get('error'))
        self.row('2b deletes, batching on vs IPA-bound ideal (info)', _rate(b),
                 f'{ideal:.0f}/s', b / ideal if b else None, '-', None)
        for key in ('2a_unbatched', '2b_batched', '2c_old_novajoin'):
            run = runs[key]
            if run.get('consumer_cpu_ms_per_delete') and run.get('one_core_ceiling_rate'):
                self.row(f'{key[:2]} consumer CPU per delete (info)',
                         f'{run["consumer_cpu_ms_per_delete"]:.2f} ms',
                         f'one-core ceiling {run["one_core_ceiling_rate"]:.0f}/s',
                         run['rate'] / run['one_core_ceiling_rate'], '-', None)
        left = sum(x.get('hosts_left', 0) for run in runs.values() for x in run['rounds'])
        if left:
            self.row('2 hosts left in IPA after the deletes', str(left), '0', None, '0',
                     False)
        burst = runs['2b_batched'].get('ipa_requests_per_delete')
        self.results['3_requests'] = {'burst_2b': {
            'requests_per_delete': burst,
            'requests_per_delete_with_logins':
                runs['2b_batched'].get('ipa_requests_per_delete_with_logins')}}
        return burst

    def scenario_requests(self, burst):
        count = self.sizes['lone']
        topic = harness.unique_topic('bench_s3')
        daemon = self.daemon('s3-daemon', topic, batching=True)
        result = self.results.setdefault('3_requests', {})
        try:
            warm = self.hosts('s3warm', 1)
            mark = len(self.ipa.host_removed_at)
            self.bus.publish(topic, [self.payloads.delete(warm[0])])
            self.wait_removed([warm[0].fqdn], mark, 30, [daemon], 'warm-up delete')
            time.sleep(0.5)
            hosts = self.hosts('s3lone', count)
            bodies = [self.payloads.delete(h) for h in hosts]
            self.ipa.reset_stats()
            latencies = []
            for host, body in zip(hosts, bodies):
                mark = len(self.ipa.host_removed_at)
                published = time.monotonic()
                self.bus.publish(topic, [body])
                removed = self.wait_removed([host.fqdn], mark, 30, [daemon], 'lone delete')
                latencies.append(removed[host.fqdn] - published)
                time.sleep(0.3)   # quiet: anything the delete still sends is counted
            stats = stats_snapshot(self.ipa.stats)
        finally:
            self.stop(daemon)
        lone = (stats['http_requests'] - stats['logins']) / count
        result['lone'] = {'events': count, 'ipa': stats, 'requests_per_delete': lone,
                          'requests_per_delete_with_logins': stats['http_requests'] / count,
                          'latency_seconds': [round(x, 4) for x in latencies]}
        log(f'  3 lone: {lone:.2f} IPA requests per delete ({stats["logins"]} logins), '
            f'latency {", ".join(f"{x * 1000:.0f} ms" for x in latencies)}')
        self.row('3 IPA requests per lone delete (no logins)', f'{lone:.2f}',
                 f'{stats["http_requests"] / count:.2f} with logins', None,
                 f'<= {TARGETS["lone_requests"]:g}', lone <= TARGETS['lone_requests'])
        if isinstance(burst, float):
            self.row('3 IPA requests per delete, 2b burst (no logins)', f'{burst:.3f}', '-',
                     None, f'<= {TARGETS["burst_requests"]}',
                     burst <= TARGETS['burst_requests'])
        elif burst != 'not run':
            self.row('3 IPA requests per delete, 2b burst', 'n/a (2b failed)', '-', None,
                     f'<= {TARGETS["burst_requests"]}', False)

    # -- scenario 4 -------------------------------------------------------------

    def scenario_latency(self):
        rate, seconds = self.sizes['steady_rate'], self.sizes['steady_seconds']
        count = int(rate * seconds)
        topic = harness.unique_topic('bench_s4')
        daemon = self.daemon('s4-daemon', topic, batching=True)
        try:
            warm = self.hosts('s4warm', 1)
            mark = len(self.ipa.host_removed_at)
            self.bus.publish(topic, [self.payloads.delete(warm[0])])
            self.wait_removed([warm[0].fqdn], mark, 30, [daemon], 'warm-up delete')
            hosts = self.hosts('s4', count)
            bodies = [self.payloads.delete(h) for h in hosts]
            self.ipa.reset_stats()
            mark = len(self.ipa.host_removed_at)
            published = {}
            start = time.monotonic()
            for i, (host, body) in enumerate(zip(hosts, bodies)):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                published[host.fqdn] = time.monotonic()
                self.bus.publish(topic, [body])
            publish_seconds = time.monotonic() - start
            removed = self.wait_removed(list(published), mark, 60, [daemon],
                                        'steady deletes')
            stats = stats_snapshot(self.ipa.stats)
        finally:
            status, cpu = self.stop(daemon)
        latencies = [removed[f] - published[f] for f in published]
        p50, p90, p99 = (percentile(latencies, q) for q in (0.5, 0.9, 0.99))
        self.results['4_latency'] = {
            'deletes': count, 'target_rate': rate, 'achieved_publish_rate':
                count / publish_seconds if publish_seconds > 0 else None,
            'p50': p50, 'p90': p90, 'p99': p99, 'max': max(latencies),
            'min': min(latencies), 'mean': sum(latencies) / len(latencies),
            'ipa': stats, 'ipa_requests_per_delete':
                (stats['http_requests'] - stats['logins']) / count,
            'daemon_cpu_seconds': cpu, 'exit_status': status}
        log(f'  4: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max '
            f'{max(latencies) * 1000:.0f} ms at {rate:g}/s')
        self.row(f'4 latency publish->host gone, p50 at {rate:g}/s', f'{p50 * 1000:.0f} ms',
                 f'IPA call {self.args.ipa_latency * 1000:.0f} ms', None, '-', None)
        self.row(f'4 latency publish->host gone, p99 at {rate:g}/s', f'{p99 * 1000:.0f} ms',
                 f'{TARGETS["steady_p99"] * 1000:.0f} ms', p99 / TARGETS['steady_p99'],
                 f'<= {TARGETS["steady_p99"] * 1000:.0f} ms', p99 <= TARGETS['steady_p99'])

    # -- scenario 5 -------------------------------------------------------------

    def scenario_memory(self):
        total, warmup = self.sizes['memory_events'], self.sizes['memory_warmup']
        every = self.sizes['memory_delete_every']
        topic = harness.unique_topic('bench_s5')
        queue = f'{topic}.info'
        daemon = self.daemon('s5-daemon', topic, batching=True)
        pid = daemon.process.pid
        samples = []
        try:
            rss_ready = proc_rss_kb(pid)

            def bodies(count, hosts):
                k = 0
                for i in range(count):
                    if i % every == every - 1 and k < len(hosts):
                        yield self.payloads.delete(hosts[k], versioned=k % 2 == 1)
                        k += 1
                    else:
                        yield self.payloads.ignored()

            def run(count, label, timeout):
                hosts = self.hosts(label, count // every)
                mark = len(self.ipa.host_removed_at)
                started = time.monotonic()
                stream = bodies(count, hosts)
                while self.bus.publish(topic, itertools.islice(stream, 5000)):
                    samples.append((round(time.monotonic() - started, 2), proc_rss_kb(pid)))
                deadline = time.monotonic() + timeout
                while True:
                    self.wait_removed([h.fqdn for h in hosts], mark,
                                      max(1, deadline - time.monotonic()), [daemon],
                                      f'{label}: deletes')
                    info = self.bus.depth(queue)
                    samples.append((round(time.monotonic() - started, 2), proc_rss_kb(pid)))
                    if info is not None and info[0] == 0:
                        break
                    if time.monotonic() > deadline:
                        raise ScenarioError(f'{label}: queue not drained: {info}')
                    time.sleep(0.5)
                self.rabbit.wait_queue(queue, lambda q: q is not None and q['messages'] == 0,
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
            status, _ = self.stop(daemon)
        growth_mb = (rss_after - rss_before) / 1024
        peak = max([kb for _, kb in samples if kb] + [rss_after])
        self.results['5_memory'] = {
            'events': total, 'deletes': deletes, 'warmup_events': warmup,
            'rss_kb_at_start': rss_ready, 'rss_kb_before': rss_before,
            'rss_kb_after': rss_after, 'rss_kb_peak': peak, 'growth_mb': growth_mb,
            'growth_since_start_mb': (rss_after - rss_ready) / 1024,
            'seconds': seconds, 'events_per_second': total / seconds,
            'daemon_cpu_seconds': cpu, 'rss_samples': samples[:400], 'exit_status': status}
        log(f'  5: RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MB (peak '
            f'{peak / 1024:.1f}) over {total} events in {seconds:.0f}s')
        self.row(f'5 daemon RSS growth over {total:,} events', f'{growth_mb:+.1f} MB',
                 f'{rss_before / 1024:.1f} MB before', None,
                 f'< {TARGETS["memory_growth_mb"]:g} MB',
                 growth_mb < TARGETS['memory_growth_mb'])

    # -- scenario 6 -------------------------------------------------------------

    def scenario_scale(self):
        n, rounds = self.sizes['scale_deletes'], self.sizes['rounds']
        runs = {'1_daemons': {'rounds': []}, '2_daemons': {'rounds': []}}
        for r in range(rounds):      # interleaved: 1, 2, 1, 2, ...
            for k in (1, 2):
                runs[f'{k}_daemons']['rounds'].append(self.scale_run(k, n, r))
        for run in runs.values():
            run['rate'] = statistics.median(x['rate'] for x in run['rounds'])
        one, two = runs['1_daemons']['rate'], runs['2_daemons']['rate']
        self.results['6_scale'] = dict(runs, ratio=two / one,
                                       note=f'medians of {rounds} interleaved round(s)')
        med = f' (median of {rounds})' if rounds > 1 else ''
        self.row(f'6 two daemons vs one on one queue{med}', _rate(two), _rate(one),
                 two / one, 'info (2 cores)', None)

    def scale_run(self, k, n, r):
        """``k`` daemons (batching on) on one queue, idle and consuming; then a burst
        of ``n`` deletes published at once."""
        topic = harness.unique_topic(f'bench_s6_{k}')
        queue = f'{topic}.info'
        daemons = [self.daemon(f's6-{k}-r{r}-daemon{j}', topic, batching=True, start=False)
                   for j in range(k)]
        try:
            for d in daemons:
                d.start(wait_ready=False)
            for d in daemons:
                harness.wait_for(lambda: d.ready() or d.process.poll() is not None, 90,
                                 what='daemon start')
                if d.process.poll() is not None:
                    raise ScenarioError(f'daemon exited: {d.log()[-2000:]}')
            consumers = self.bus.wait_depth(queue, lambda i: i is not None and i[1] >= k,
                                            30, 'consumers')[1]
            hosts = self.hosts(f's6-{k}r{r}', n)
            bodies = [self.payloads.delete(h) for h in hosts]
            self.ipa.reset_stats()
            mark = len(self.ipa.host_removed_at)
            published = time.monotonic()
            self.bus.publish(topic, bodies)
            publish_seconds = time.monotonic() - published
            removed = self.wait_removed([h.fqdn for h in hosts], mark, 60 + n / 20,
                                        daemons, f'{k} daemon(s)')
            cpu_ms = self.cpu_per_event(self.cpu_first[1], self.cpu_last[1],
                                        self.cpu_last[0] - self.cpu_first[0])
            stats = stats_snapshot(self.ipa.stats)
        finally:
            cpus = [self.stop(d)[1] for d in daemons]
        rate = hook_rate(removed.values())
        log(f'  6: {k} daemon(s), round {r + 1}: {rate:.1f} deletes/s; CPU ms per delete '
            f'{cpu_ms}')
        return {'deletes': n, 'rate': rate, 'consumers_on_queue': consumers,
                'publish_seconds': publish_seconds,
                'from_publish_seconds': max(removed.values()) - published,
                'ipa_requests_per_delete': (stats['http_requests'] - stats['logins']) / n,
                'ipa': stats, 'daemon_cpu_seconds_total': cpus, 'cpu_ms_per_delete': cpu_ms,
                'hosts_left': sum(1 for h in hosts if self.ipa.has_host(h.fqdn))}

    # -- table ------------------------------------------------------------------

    def row(self, scenario, measured, reference, ratio, target, met, error=None):
        if error:
            measured, met = f'FAILED: {error[:60]}', False
        self.rows.append({'scenario': scenario, 'measured': measured, 'reference': reference,
                          'ratio': None if ratio is None else round(ratio, 3),
                          'target': target, 'met': met})

    def table(self):
        heads = ('scenario', 'measured', 'reference', 'ratio', 'target', 'met?')
        lines = []
        for r in self.rows:
            met = {True: 'yes', False: 'NO', None: '-'}[r['met']]
            ratio = '-' if r['ratio'] is None else f'{r["ratio"]:.2f}'
            lines.append((r['scenario'], str(r['measured']), str(r['reference']), ratio,
                          r['target'], met))
        widths = [max(len(h), *(len(x[i]) for x in lines)) if lines else len(h)
                  for i, h in enumerate(heads)]
        out = ['  '.join(h.ljust(w) for h, w in zip(heads, widths)),
               '  '.join('-' * w for w in widths)]
        out += ['  '.join(v.ljust(w) for v, w in zip(x, widths)) for x in lines]
        return out

    # -- run ----------------------------------------------------------------------

    SCENARIOS = {'1': 'scenario_ignored', '2': 'scenario_deletes', '3': 'scenario_requests',
                 '4': 'scenario_latency', '5': 'scenario_memory', '6': 'scenario_scale'}

    def run(self):
        started = time.monotonic()
        wanted = [s.strip() for s in self.args.only.split(',')] if self.args.only else \
            list(self.SCENARIOS)
        self._work = tempfile.mkdtemp(prefix='novajoin-bench-')
        load_before = os.getloadavg()
        log(f'novajoin-notify benchmark ({"quick" if self.args.quick else "full"} size, IPA '
            f'latency {self.args.ipa_latency * 1000:.0f} ms, batching option '
            f'{"present" if self.batching_supported else "ABSENT"}); work directory '
            f'{self._work}')
        burst = 'not run'
        try:
            with RabbitNode(base_dir=os.path.join(self._work, 'rabbit')) as rabbit, \
                    IPAEmulator(domain=DOMAIN, latency=self.args.ipa_latency) as ipa, \
                    OpenStackEmulator() as cloud:
                self.rabbit, self.ipa, self.cloud = rabbit, ipa, cloud
                cloud.latency = self.args.openstack_latency
                ipa.add_zone(ZONE)
                ipa.add_zone(REVERSE_ZONE)
                cloud.add_project(PROJECT, 'bench')
                cloud.add_image(IMAGE, name='rhel-ipa', ipa_enroll='True')
                for i in range(20):   # live instances nova lists, none carrying a name
                    cloud.add_server(str(uuid.uuid4()), f'live-{i:03d}', PROJECT,
                                     metadata={'ipa_enroll': 'true'})
                self.payloads = Payloads()
                self.bus = Bus(rabbit)
                self.rabbit_pids = rabbit.pids()
                log(f'RabbitMQ up in {rabbit.last_start_seconds:.1f}s on port {rabbit.port}')
                try:
                    for key in wanted:
                        name = self.SCENARIOS.get(key)
                        if name is None:
                            raise SystemExit(f'unknown scenario {key!r}')
                        log(f'scenario {key}: {name[len("scenario_"):]}')
                        t0 = time.monotonic()
                        try:
                            if key == '2':
                                burst = self.scenario_deletes()
                            elif key == '3':
                                self.scenario_requests(burst)
                            else:
                                getattr(self, name)()
                        except Exception as exc:
                            error = f'{type(exc).__name__}: {exc}'
                            log(f'scenario {key} FAILED: {error}')
                            self.results[f'{key}_error'] = {
                                'error': error, 'traceback': traceback.format_exc()}
                            self.row(f'{key} {name[len("scenario_"):]}', '', '-', None, '-',
                                     False, error)
                        finally:
                            for proc in self.procs:
                                if proc.process is not None and proc.process.poll() is None:
                                    self.stop(proc)
                            self.procs = [p for p in self.procs
                                          if p.process is not None and p.process.poll() is None]
                        self.results.setdefault('wall_seconds', {})[key] = round(
                            time.monotonic() - t0, 1)
                finally:
                    self.bus.close()
        finally:
            for proc in self.procs:
                self.stop(proc)
        wall = time.monotonic() - started
        report = {
            'started': datetime.datetime.now().isoformat(timespec='seconds'),
            'mode': 'quick' if self.args.quick else 'full',
            'total_wall_seconds': round(wall, 1),
            'sizes': self.sizes,
            'options': {k: v for k, v in vars(self.args).items() if k != 'json'},
            'targets': TARGETS,
            'environment': environment(load_before),
            'batching_option_present': self.batching_supported,
            'table': self.rows,
            'scenarios': self.results,
            'work_directory': self._work if self.args.keep else None,
        }
        print()
        for line in self.table():
            print(line)
        print(f'\ntotal wall time {wall:.0f}s '
              f'({"quick" if self.args.quick else "full"} size)')
        path = self.args.json
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(report, f, indent=2, sort_keys=True, default=str)
        print(f'raw figures written to {path}')
        if not self.args.keep:
            import shutil
            shutil.rmtree(self._work, ignore_errors=True)
        else:
            print(f'work directory kept: {self._work}')
        if any(key.endswith('_error') for key in self.results) or any(
                'error' in run for result in self.results.values() if isinstance(result, dict)
                for run in result.values() if isinstance(run, dict)):
            return 2
        return 0 if all(r['met'] is not False for r in self.rows) else 1


def _warnings(proc):
    """WARNING/ERROR lines a consumer logged (first few), to spot trouble under load."""
    try:
        lines = [line for line in proc.log().splitlines()
                 if ' WARNING ' in line[:80] or ' ERROR ' in line[:80] or 'Traceback' in line]
    except OSError:
        return None
    return {'count': len(lines), 'first': lines[:5]}


def _rate(value):
    return 'n/a' if value is None else f'{value:.1f}/s'


def environment(load_before):
    def version(name):
        try:
            from importlib import metadata
            return metadata.version(name)
        except Exception:
            return None

    commit = None
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'notify'], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        dirty = None
    return {'cpus': os.cpu_count(), 'python': platform.python_version(),
            'platform': platform.platform(), 'loadavg_before': load_before,
            'loadavg_after': os.getloadavg(), 'git_commit': commit,
            'notify_uncommitted_changes': bool(dirty) if dirty is not None else None,
            'versions': {n: version(n) for n in ('oslo.messaging', 'kombu', 'python-freeipa',
                                                 'python-novaclient', 'python-glanceclient',
                                                 'novajoin-notify')}}


def main(argv=None):
    parser = argparse.ArgumentParser(prog='bench/run', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='10x fewer events (a smoke run of every scenario)')
    parser.add_argument('--ipa-latency', type=float, default=0.020,
                        help='seconds the IPA emulator takes per JSON-RPC call (0.020)')
    parser.add_argument('--openstack-latency', type=float, default=0.0,
                        help='seconds the keystone/nova/glance emulator takes per request')
    parser.add_argument('--json', default=os.path.join(REPO, 'bench', 'results',
                                                       'latest.json'),
                        help='where to write the raw figures (bench/results/latest.json)')
    parser.add_argument('--only', default='',
                        help='comma-separated scenarios to run, e.g. 1,2,3 (default: all)')
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
    return Bench(args).run()


if __name__ == '__main__':
    sys.exit(main())
