"""Satellite (Foreman) hosts of deleted instances, end to end: real broker, real
daemon process, emulated Foreman, IPA and cloud."""

import os
import uuid

import pytest

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness, payloads
from tests.functional.conftest import PROJECT
from tests.harness import wait_for

ENROLLED = {'ipa_enroll': 'true'}


def swapped(value):
    """The UUID as SMBIOS before 2.6 reports it: first three groups byte-swapped."""
    return str(uuid.UUID(bytes_le=uuid.UUID(value).bytes))


@pytest.fixture
def satellite_daemon(start_daemon, foreman, tmp_path):
    """start_daemon with [satellite] pointing at the Foreman emulator; afterwards
    the Satellite password must not be in the daemon's output."""
    started = []

    def start(extra='', **settings):
        values = dict(url=foreman.url, username=foreman.username,
                      password=foreman.password, ca_cert=foreman.ca_path, timeout=5)
        values.update(settings)
        section = '[satellite]\n' + ''.join(f'{k} = {v}\n' for k, v in values.items())
        started.append(start_daemon(extra=section + extra))
        return started[-1]

    yield start
    for daemon in started:
        assert foreman.password not in daemon.log() + daemon.stdout()


def drained(rabbit, topic, timeout=30):
    """Every message on the daemon's queue has been acknowledged."""
    rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0,
                      timeout=timeout)


def spooled(tmp_path):
    directory = tmp_path / 'failed'
    return os.listdir(directory) if directory.exists() else []


def destroyed(foreman):
    return sorted(int(c.path.rsplit('/', 1)[1]) for c in foreman.calls('hosts#destroy')
                  if c.status == 200)


def test_a_deleted_instances_satellite_host_goes(satellite_daemon, nova, foreman, ipa):
    instance = str(uuid.uuid4())
    host_id = foreman.add_host('web1.example.test', {'virt::uuid': instance,
                                                     'dmi::system::uuid': instance.upper()})
    daemon = satellite_daemon()
    # Not enrolled in IPA: subscription-manager registration does not depend on it.
    nova.send(*payloads.versioned_delete(instance, 'web1', PROJECT))
    wait_for(lambda: not foreman.has_host(host_id), what='Satellite host removed')
    wait_for(lambda: 'removed Satellite host' in daemon.log(), what='its log line')
    [line] = [line for line in daemon.log().splitlines() if 'removed Satellite host' in line]
    assert f'web1.example.test (id {host_id})' in line and instance in line
    assert ipa.stats['http_requests'] == 0


def test_a_live_instances_host_stays(satellite_daemon, nova, foreman, cloud, rabbit, topic):
    instance = cloud.add_server(str(uuid.uuid4()), 'web2', PROJECT)['id']
    host_id = foreman.add_host('web2.example.test', {'virt::uuid': instance})
    daemon = satellite_daemon()
    nova.send(*payloads.versioned_delete(instance, 'web2', PROJECT))
    drained(rabbit, topic)
    wait_for(lambda: 'nova still has the instance' in daemon.log(), what='the keep line')
    assert foreman.has_host(host_id) and foreman.calls('hosts#destroy') == []


def test_only_hosts_whose_uuid_fact_names_the_instance_go(satellite_daemon, nova, foreman,
                                                          rabbit, topic):
    instance = str(uuid.uuid4())
    old_smbios = foreman.add_host('web3.example.test',
                                  {'dmi::system::uuid': swapped(instance).upper()})
    other = foreman.add_host('web3-other.example.test', {'virt::uuid': str(uuid.uuid4())})
    # Same name as the instance, but no UUID fact at all: never touched.
    no_fact = foreman.add_host('web3.example.test.', {'memory::memtotal': '2048'})
    elsewhere = foreman.add_host('note.example.test', {'custom::note': instance})
    satellite_daemon()
    nova.send(*payloads.legacy_delete(instance, 'web3', PROJECT))
    wait_for(lambda: not foreman.has_host(old_smbios), what='web3 removed')
    drained(rabbit, topic)
    assert all(foreman.has_host(h) for h in (other, no_fact, elsewhere))
    assert destroyed(foreman) == [old_smbios]


def test_satellite_down_during_a_delete_then_back(satellite_daemon, nova, foreman, rabbit,
                                                  topic, tmp_path):
    instance = str(uuid.uuid4())
    host_id = foreman.add_host('web4.example.test', {'virt::uuid': instance})
    daemon = satellite_daemon()
    foreman.pause_listening()
    nova.send(*payloads.versioned_delete(instance, 'web4', PROJECT))
    wait_for(lambda: daemon.log().count('Satellite unreachable') >= 2,
             what='the delete failing while Satellite is down')
    assert foreman.has_host(host_id)
    foreman.resume_listening()
    wait_for(lambda: not foreman.has_host(host_id), what='web4 removed once Satellite is back')
    drained(rabbit, topic)
    assert spooled(tmp_path) == [] and destroyed(foreman) == [host_id]
    assert harness.log_lines(daemon.log(), 'ERROR') == []


def test_ipa_and_satellite_both_act_and_an_outage_does_not_redo_ipa(
        satellite_daemon, nova, foreman, ipa, rabbit, topic, tmp_path):
    instance = str(uuid.uuid4())
    ipa.add_host('web5.example.test', description=MARKER)
    host_id = foreman.add_host('web5.example.test', {'virt::uuid': instance})
    daemon = satellite_daemon()
    foreman.down = True
    nova.send(*payloads.versioned_delete(instance, 'web5', PROJECT, metadata=ENROLLED))
    wait_for(lambda: not ipa.has_host('web5.example.test'), what='the IPA host removed')
    # Handed back more than once while Satellite answers 503...
    wait_for(lambda: daemon.log().count('handing back') >= 2, what='hand-backs')
    assert foreman.has_host(host_id)
    foreman.down = False
    wait_for(lambda: not foreman.has_host(host_id), what='the Satellite host removed')
    drained(rabbit, topic)
    # ...and the IPA handler ran exactly once: one look at the host, one delete.
    calls = [c[0] for c in ipa.call_log]
    assert calls.count('host_show') == 1 and calls.count('host_del') == 1
    assert spooled(tmp_path) == []


def test_a_user_without_destroy_permission_is_one_error_and_the_delete_waits(
        satellite_daemon, nova, foreman, rabbit, topic, tmp_path):
    foreman.add_user('viewer', 'Viewer-Pass-7', permissions={'view_hosts', 'view_facts'})
    instance = str(uuid.uuid4())
    host_id = foreman.add_host('web6.example.test', {'virt::uuid': instance})
    daemon = satellite_daemon(username='viewer', password='Viewer-Pass-7')
    nova.send(*payloads.versioned_delete(instance, 'web6', PROJECT))
    wait_for(lambda: 'handing back' in daemon.log(), what='the delete handed back')
    errors = harness.log_lines(daemon.log(), 'ERROR')
    assert errors and all('refused user viewer (403' in line for line in errors)
    assert foreman.has_host(host_id) and spooled(tmp_path) == []
    assert 'Viewer-Pass-7' not in daemon.log()
