"""The Prometheus alert rules in etc/prometheus: valid (promtool check rules), doing
what they say (promtool test rules), and reading only series the daemon exports.

promtool comes from Debian's prometheus package, which tools/setup-dev installs;
without it these tests fail: they are never skipped.
"""

import os
import re
import shutil
import subprocess

from prometheus_client import generate_latest

from notify import metrics
from tests.harness import ROOT

RULES_DIR = os.path.join(ROOT, 'etc', 'prometheus')
RULES = os.path.join(RULES_DIR, 'novajoin-notify-rules.yml')
RULES_TEST = os.path.join(RULES_DIR, 'novajoin-notify-rules.test.yml')


def promtool(*args):
    tool = shutil.which('promtool')
    assert tool, 'promtool is missing: run tools/setup-dev (Debian package prometheus)'
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=120,
                          cwd=RULES_DIR)


def test_rules_are_valid():
    done = promtool('check', 'rules', RULES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'SUCCESS: 5 rules found' in done.stdout


def test_rules_fire_when_and_only_when_they_should():
    done = promtool('test', 'rules', RULES_TEST)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_read_only_series_the_daemon_exports():
    with open(RULES) as f:
        used = set(re.findall(r'novajoin_notify_\w+', f.read()))
    exported = set(re.findall(r'^(novajoin_notify_\w+)', generate_latest(metrics.REGISTRY)
                              .decode(), re.M))
    assert used and used <= exported, used - exported
