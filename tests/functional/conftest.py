"""Real components for the functional tests: a private RabbitMQ node, the IPA and
OpenStack emulators (HTTPS, test CA), and the daemon as a real process.

If RabbitMQ cannot start, every test here fails (RabbitStartError): never skipped.
"""

import os
import uuid

import pytest

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness
from tests.emulators.ipa import IPAEmulator
from tests.emulators.openstack import OpenStackEmulator
from tests.fixtures.rabbitmq import RabbitNode
from tests.functional.fault_report import FaultReport, write_summary

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
        if (os.sep + 'functional' + os.sep in str(item.fspath)
                and item.get_closest_marker('timeout') is None):
            item.add_marker(pytest.mark.timeout(240))


# ---------------------------------------------------------------------------
# Fault-test report (tests/functional/fault_report.py): the fixture and the hooks.

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
    if 'fault_report' not in getattr(item, 'fixturenames', ()):
        return
    name = item.name[len('test_'):] if item.name.startswith('test_') else item.name
    _FAULT_REPORT.set_outcome(name, report.when, report.outcome, report.failed)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    factory = getattr(config, '_tmp_path_factory', None)
    basetemp = str(factory.getbasetemp()) if factory is not None else None
    write_summary(_FAULT_REPORT, terminalreporter.write_sep, terminalreporter.write_line,
                  basetemp)


# Floating-IP tests: neutron publishing, and the reverse zones they use.
REV4 = '100.51.198.in-addr.arpa.'          # served: PTRs for 198.51.100.0/24
REV6 = '8.b.d.0.1.0.0.2.ip6.arpa.'         # served: PTRs for 2001:db8::/32


@pytest.fixture
def neutron(rabbit, topic):
    publisher = harness.Publisher(rabbit.transport_url, 'neutron', topic,
                                  publisher_id='network.controller-0')
    yield publisher
    publisher.close()


@pytest.fixture
def zones(ipa):
    ipa.add_zone(REV4)
    ipa.add_zone(REV6)


# Audit tests: an estate of enrolled hosts, live instances and orphans.
OLD = '20250101000000Z'           # enrolled long ago (krblastpwdchange)


def enrolled(ipa, name, when=OLD, **attrs):
    fqdn = f'{name}.example.test'
    ipa.add_host(fqdn, description=MARKER, krblastpwdchange=when, **attrs)
    return fqdn


@pytest.fixture
def estate(ipa, cloud):
    """Two live enrolled instances, three orphans, a look-alike, a young host."""
    ipa.add_zone(REV4)
    live = {}
    for name, project in (('live1', PROJECT), ('live2', OTHER_PROJECT)):
        enrolled(ipa, name)
        live[name] = cloud.add_server(str(uuid.uuid4()), name, project,
                                      metadata={'ipa_enroll': 'true'})['id']
    for name in ('orphan1', 'orphan2', 'orphan3'):
        enrolled(ipa, name)
    ipa.add_host('hv1.example.test', krblastpwdchange=OLD)        # the operator's
    enrolled(ipa, 'young1', when='29991231000000Z')               # booting right now
    return live
