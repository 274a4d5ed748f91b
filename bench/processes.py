"""The benchmark's child processes (the daemon under test and the helper
consumers): starting a helper, stopping any of them by PID, reading what they
logged."""

import os
import signal
import subprocess
import sys

from tests import harness

from bench import common
from bench.measure import ScenarioError, proc_cpu_seconds

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def consumer_warnings(proc):
    """WARNING/ERROR lines a consumer logged (first few), to spot trouble under load."""
    try:
        lines = [line for line in proc.log().splitlines()
                 if ' WARNING ' in line[:80] or ' ERROR ' in line[:80] or 'Traceback' in line]
    except OSError:
        return None
    return {'count': len(lines), 'first': lines[:5]}
