"""What the audit scenario (7) builds and runs: the estate it seeds straight into
the emulators through their Python helpers (no API round trips), the
configuration the audit and its baselines read, and a child process run to its
end with its wall time and peak RSS."""

import os
import subprocess
import sys
import time
import uuid

from tests import harness

from bench.measure import proc_cpu_seconds
from bench.processes import REPO
from bench.traffic import DOMAIN, ZONE
from notify.decide import NOVAJOIN_MARKER as MARKER

OLD = '20250101000000Z'              # enrolled long ago (krblastpwdchange), as test_audit
# 198.19.0.0/16 (RFC 2544 benchmark space, the other half of bench.traffic's /15):
# floating IPs from 198.19.0.1, the orphans' addresses from 198.19.128.1, the
# host_del baseline's from 198.19.192.1, the daemon baseline's from 198.19.224.1.
# Nothing is ever sent to them.
REVERSE_ZONE = '19.198.in-addr.arpa.'
FIP_BASE, ORPHAN_BASE, SPARE_BASE, DAEMON_BASE = 0, 128 * 250, 192 * 250, 224 * 250


def address(seq):
    """The seq-th benchmark address of 198.19.0.0/16 and its PTR name in REVERSE_ZONE."""
    c, d = divmod(seq, 250)
    return f'198.19.{c}.{d + 1}', f'{d + 1}.{c}'


class Estate:
    """The audit's world: ``live`` enrolled instances over ``projects`` projects,
    each with its marked IPA host; ``orphans`` marked hosts whose instance is gone
    (with the A/PTR records of their old address); floating IPs on the first
    ``fips`` instances, each with its neutron port and its A/PTR records."""

    def __init__(self, live, orphans, projects, fips):
        self.live, self.orphans, self.projects, self.fips = live, orphans, projects, fips
        self.live_fqdns = []
        self.orphan_fqdns = []
        self.spare_fqdns = []
        self.seed_seconds = None

    def seed(self, ipa, cloud):
        started = time.monotonic()
        ipa.add_zone(REVERSE_ZONE)
        projects = [uuid.UUID(int=0xA0D17 << 96 | p).hex for p in range(self.projects)]
        for p, project in enumerate(projects):
            cloud.add_project(project, f'audit-{p:03d}')
        for i in range(self.live):
            name = f'vm-{i:06d}'
            fqdn = f'{name}.{DOMAIN}'
            ipa.add_host(fqdn, description=MARKER, krblastpwdchange=OLD)
            project = projects[i % self.projects]
            server = str(uuid.uuid4())
            cloud.add_server(server, name, project, metadata={'ipa_enroll': 'true'})
            if i < self.fips:
                fip, ptr = address(FIP_BASE + i)
                port = str(uuid.uuid4())
                cloud.add_port(port, server, 'compute:nova',
                               fixed_ips=[f'10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}'],
                               project_id=project)
                cloud.add_floatingip(str(uuid.uuid4()), fip, port, project_id=project)
                ipa.add_record(ZONE, name, 'A', fip)
                ipa.add_record(REVERSE_ZONE, ptr, 'PTR', fqdn + '.')
            self.live_fqdns.append(fqdn)
        self.orphan_fqdns = self.marked_hosts(ipa, 'gone', self.orphans, ORPHAN_BASE)
        self.seed_seconds = time.monotonic() - started
        return self

    @staticmethod
    def marked_hosts(ipa, label, count, base):
        """``count`` marked, long-enrolled hosts with no instance, each with the
        A and PTR records of an address (host_del --updatedns removes them)."""
        fqdns = []
        for i in range(count):
            name = f'{label}-{i:06d}'
            fqdn = f'{name}.{DOMAIN}'
            ip, ptr = address(base + i)
            ipa.add_host(fqdn, description=MARKER, krblastpwdchange=OLD)
            ipa.add_record(ZONE, name, 'A', ip)
            ipa.add_record(REVERSE_ZONE, ptr, 'PTR', fqdn + '.')
            fqdns.append(fqdn)
        return fqdns


def write_config(bench, directory, workers):
    """The configuration the audit and the baselines read: the daemon's (as the
    bench writes it for scenario 2b: IPA batching, max_connections), [audit]
    defaults but for ``workers``."""
    os.makedirs(directory, exist_ok=True)
    args = bench.args
    extra = (f'[DEFAULT]\ndebug = False\n'
             f'[ipa]\nmax_connections = {args.max_connections}\n'
             f'batch_window = {args.batch_window}\nbatch_size = {args.batch_size}\n'
             f'[audit]\nworkers = {workers}\n')
    return harness.write_config(os.path.join(directory, 'novajoin-notify.conf'),
                                bench.rabbit.transport_url, bench.ipa, bench.cloud,
                                'unused', extra)


class Measured:
    """A child process run to its end: ``seconds`` (wall, start to exit, with
    the interpreter's start-up), ``peak_rss_kb`` (its ru_maxrss from wait4),
    ``cpu_seconds`` (its user + system time), ``returncode``, ``samples``
    [(time.monotonic(), CPU seconds of this process: the emulators)] every 0.1 s;
    stdout and stderr in files of ``directory``."""

    def __init__(self, argv, directory, label, timeout):
        self.argv, self.timeout = argv, timeout
        self.stdout_path = os.path.join(directory, f'{label}.out')
        self.stderr_path = os.path.join(directory, f'{label}.log')
        self.seconds = self.peak_rss_kb = self.cpu_seconds = self.returncode = None
        self.samples = []

    def run(self):
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        env.pop('REQUESTS_CA_BUNDLE', None)
        with open(self.stdout_path, 'wb') as out, open(self.stderr_path, 'wb') as err:
            started = time.monotonic()
            proc = subprocess.Popen(self.argv, stdout=out, stderr=err, cwd=REPO, env=env,
                                    start_new_session=True)
            deadline = started + self.timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    self.seconds = time.monotonic() - started
                    raise TimeoutError(f'{self.argv[-1]}: still running after '
                                       f'{self.timeout:.0f}s; log {self.stderr_path}')
                now = time.monotonic()
                if not self.samples or now - self.samples[-1][0] >= 0.1:
                    self.samples.append((now, proc_cpu_seconds(os.getpid())))
                time.sleep(0.01)
            self.seconds = time.monotonic() - started
        proc.returncode = self.returncode = os.waitstatus_to_exitcode(status)
        self.peak_rss_kb = usage.ru_maxrss          # kilobytes on Linux
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        return self

    def cpu_between(self, start, end):
        """CPU seconds this process (the emulators) used from ``start`` to ``end``
        (monotonic times), from the samples nearest them."""
        first = min(self.samples, key=lambda x: abs(x[0] - start))
        last = min(self.samples, key=lambda x: abs(x[0] - end))
        return last[1] - first[1]

    def stdout(self):
        with open(self.stdout_path, errors='replace') as f:
            return f.read()

    def stderr_tail(self, size=1500):
        with open(self.stderr_path, errors='replace') as f:
            return f.read()[-size:]


def audit_command(config, *args):
    return harness.daemon_command() + ['--config-file', config, 'audit', *args]


def baseline_command(config, what, *args):
    return [sys.executable, '-m', 'bench.audit_baseline', '--config-file', config, what,
            *args]
