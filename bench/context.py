"""What the scenarios share: the RabbitMQ node, the IPA and OpenStack emulators,
the bus, the payload builders, the enrolled hosts they seed, and the consumers
they start (the daemon under test, the plain listener, the old-novajoin
baseline), each stopped by PID."""

import os
import time

from tests import harness

from bench.measure import ScenarioError, proc_cpu_seconds
from bench.processes import Helper, stop
from bench.traffic import DOMAIN, REVERSE_ZONE, ZONE, Bus, Host, Payloads
from notify.decide import NOVAJOIN_MARKER as MARKER


def batching_supported():
    """Whether the daemon has the [ipa] batch_window and batch_size options."""
    try:
        from notify import opts
        return {o.name for o in opts.ipa_opts} >= {'batch_window', 'batch_size'}
    except Exception:
        return False


class Bench:
    """The state of one run the scenarios read and extend: ``args`` (the command
    line), ``sizes``, ``report`` (rows and raw figures), and once ``connect`` is
    called ``rabbit``, ``ipa``, ``cloud``, ``bus`` and ``payloads``."""

    def __init__(self, args, sizes, work, report, batching):
        self.args = args
        self.sizes = sizes
        self.report = report
        self.batching_supported = batching
        self.procs = []
        self._ip_seq = 0
        self._work = work

    def connect(self, rabbit, ipa, cloud):
        self.rabbit, self.ipa, self.cloud = rabbit, ipa, cloud
        self.payloads = Payloads()
        self.bus = Bus(rabbit)
        self.rabbit_pids = rabbit.pids()

    def cpu(self, procs):
        """CPU seconds used so far by the consumers, this process (emulators and
        driver) and the RabbitMQ node."""
        consumers = [proc_cpu_seconds(p.process.pid) for p in procs]
        return {'consumers': sum(c for c in consumers if c is not None),
                'bench_and_emulators': proc_cpu_seconds(os.getpid()),
                'rabbitmq': sum(c for c in (proc_cpu_seconds(pid) for pid in self.rabbit_pids)
                                if c is not None)}

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
            self.ipa.add_host(fqdn, description=MARKER)
            self.ipa.add_record(ZONE, name, 'A', ip)
            self.ipa.add_record(REVERSE_ZONE, f'{d + 1}.{c}', 'PTR', fqdn + '.')
            hosts.append(Host(name, fqdn, ip))
        return hosts

    def wait_removed(self, fqdns, mark, timeout, procs=(), what='hosts removed'):
        """{fqdn: time removed} once every fqdn is gone (IPA emulator hook, entries
        from index ``mark`` on); ScenarioError on timeout or a dead process. Leaves
        (hosts removed, cpu()) at the first and the last removal in ``cpu_first``
        and ``cpu_last``."""
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

    def daemon(self, name, topic, batching=True, start=True, wait_ready=True, prefetch=None):
        """The daemon under test on ``topic``, its configuration and log in the work
        directory ``name``; started unless ``start`` is false."""
        directory = os.path.join(self._work, name)
        os.makedirs(directory, exist_ok=True)
        window = self.args.batch_window if batching else 0
        extra = (f'[DEFAULT]\ndebug = False\nexecutor_thread_pool_size = {self.args.workers}\n'
                 f'[oslo_messaging_rabbit]\nrabbit_qos_prefetch_count = {prefetch or self.args.prefetch}\n'
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

    def stop_leftovers(self):
        """Stop the consumers a scenario left running; forget the stopped ones."""
        for proc in self.procs:
            if proc.process is not None and proc.process.poll() is None:
                stop(proc)
        self.procs = [p for p in self.procs
                      if p.process is not None and p.process.poll() is None]

    def stop_all(self):
        for proc in self.procs:
            stop(proc)
