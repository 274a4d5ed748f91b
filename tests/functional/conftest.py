"""Real components for the functional tests: a private RabbitMQ node, the IPA and
OpenStack emulators (HTTPS, test CA), and the daemon as a real process.

If RabbitMQ cannot start, every test here fails (RabbitStartError): never skipped.
"""

import os

import pytest

from tests import harness
from tests.emulators.foreman import ForemanEmulator
from tests.emulators.ipa import IPAEmulator
from tests.emulators.openstack import OpenStackEmulator
from tests.fixtures.rabbitmq import RabbitNode

PROJECT = 'a5c0ffee5a1e4d6e9b7c2f00d1e2f3a4'
OTHER_PROJECT = 'b6d1aaaa6b2f4e7fa8c3a011e2f3a4b5'


@pytest.fixture(scope='session')
def rabbit(tmp_path_factory):
    node = RabbitNode(base_dir=str(tmp_path_factory.mktemp('rabbit')))
    node.start()
    yield node
    node.stop()


@pytest.fixture
def ipa():
    emulator = IPAEmulator(domain=harness.IPA_DOMAIN).start()
    emulator.add_zone(harness.IPA_DOMAIN)
    emulator.add_zone('2.0.192.in-addr.arpa.')
    yield emulator
    emulator.stop()


@pytest.fixture
def cloud():
    emulator = OpenStackEmulator(page_size=2).start()
    emulator.add_project(PROJECT, 'demo')
    emulator.add_project(OTHER_PROJECT, 'Team B')
    yield emulator
    emulator.stop()


@pytest.fixture
def foreman():
    """A Foreman (Satellite) emulator (tests/emulators/foreman)."""
    emulator = ForemanEmulator().start()
    yield emulator
    emulator.stop()
    assert emulator.errors == []


@pytest.fixture
def topic():
    return harness.unique_topic()


@pytest.fixture
def start_daemon(tmp_path, rabbit, ipa, cloud, topic):
    """start_daemon(extra='', args=(), name='daemon') -> a running harness.Daemon."""
    daemons = []

    def start(extra='', args=(), name='daemon', wait_ready=True, env=None):
        config = harness.write_config(str(tmp_path / f'{name}.conf'), rabbit.transport_url,
                                      ipa, cloud, topic, extra)
        daemon = harness.Daemon(config, str(tmp_path / f'{name}.log'), args, env)
        daemons.append(daemon)
        return daemon.start(wait_ready=wait_ready)

    yield start
    for daemon in daemons:
        daemon.stop()
        # Every log of every test is checked for secrets.
        assert_no_secrets(daemon.log() + daemon.stdout(), ipa, cloud, rabbit)


def assert_no_secrets(text, ipa, cloud, rabbit):
    secrets = [ipa.password, cloud.password]
    rabbit_password = rabbit.transport_url.split('//', 1)[1].split('@', 1)[0].split(':')[1]
    if len(rabbit_password) >= 8:
        secrets.append(rabbit_password)
    secrets += list(cloud._tokens)   # every keystone token the emulator issued
    for secret in secrets:
        assert secret not in text, 'a secret reached the daemon output'


@pytest.fixture
def nova(rabbit, topic):
    publisher = harness.Publisher(rabbit.transport_url, 'nova', topic)
    yield publisher
    publisher.close()


def pytest_collection_modifyitems(items):
    for item in items:
        if os.sep + 'functional' + os.sep in str(item.fspath):
            item.add_marker(pytest.mark.timeout(240))


# ---------------------------------------------------------------------------
# Fault-test report: figures recorded by tests/functional/test_faults.py, printed as
# a table at the end of the run and written as JSON ($NOVAJOIN_FAULT_REPORT, else
# fault-report.json in the session's temporary directory).

import json as _json
import time as _time

_FAULT_COLUMNS = ('test', 'events', 'faults', 'lost', 'wrong', 'duplicates', 'extra')


class FaultReport:
    """Per-test figures of the fault tests, in the order they were recorded."""

    def __init__(self):
        self.rows = {}
        self.outcomes = {}
        self.started = _time.monotonic()

    def record(self, name, events=None, faults='', lost=None, wrong=None, duplicates=None,
               extra='', **more):
        row = {'test': name, 'events': events, 'faults': faults, 'lost': lost,
               'wrong': wrong, 'duplicates': duplicates, 'extra': extra}
        row.update(more)
        self.rows[name] = row
        return row

    def table(self):
        rows = []
        names = list(self.rows) + [n for n in self.outcomes if n not in self.rows]
        for name in names:
            row = self.rows.get(name, {'test': name})
            outcome = self.outcomes.get(name)
            shown = dict(row)
            if outcome and outcome != 'passed':
                shown['test'] = f'{name} [{outcome.upper()}]'
            rows.append(['' if shown.get(c) is None else str(shown[c]) for c in _FAULT_COLUMNS])
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(_FAULT_COLUMNS)]
        line = '  '.join(c.ljust(w) for c, w in zip(_FAULT_COLUMNS, widths))
        out = [line, '  '.join('-' * w for w in widths)]
        out += ['  '.join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
        return out

    def as_json(self):
        names = list(self.rows) + [n for n in self.outcomes if n not in self.rows]
        return {'columns': list(_FAULT_COLUMNS),
                'rows': [dict(self.rows.get(name, {'test': name}),
                              outcome=self.outcomes.get(name)) for name in names],
                'wall_seconds': round(_time.monotonic() - self.started, 1)}


_FAULT_REPORT = FaultReport()


@pytest.fixture(scope='session')
def fault_report():
    """fault_report.record(name, events=..., faults=..., lost=..., wrong=...,
    duplicates=..., extra=...)."""
    return _FAULT_REPORT


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    name = item.name[len('test_'):] if item.name.startswith('test_') else item.name
    if 'fault_report' not in getattr(item, 'fixturenames', ()):
        return
    if report.when == 'call' or (report.when == 'setup' and report.failed):
        _FAULT_REPORT.outcomes[name] = report.outcome
    elif report.when == 'teardown' and report.failed:
        _FAULT_REPORT.outcomes[name] = 'teardown-failed'


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    report = _FAULT_REPORT
    if not report.rows and not report.outcomes:
        return
    path = os.environ.get('NOVAJOIN_FAULT_REPORT')
    if not path:
        factory = getattr(config, '_tmp_path_factory', None)
        base = str(factory.getbasetemp()) if factory is not None else None
        if base is None:
            import tempfile
            base = tempfile.mkdtemp(prefix='novajoin-fault-report-')
        path = os.path.join(base, 'fault-report.json')
    terminalreporter.write_sep('=', 'novajoin-notify fault tests')
    for line in report.table():
        terminalreporter.write_line(line)
    try:
        with open(path, 'w') as f:
            _json.dump(report.as_json(), f, indent=2, sort_keys=True)
        terminalreporter.write_line(f'fault report written to {path}')
    except OSError as exc:
        terminalreporter.write_line(f'fault report not written to {path}: {exc}')
