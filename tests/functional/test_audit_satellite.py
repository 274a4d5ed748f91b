"""``novajoin-notify audit`` with ``[satellite] url``: Satellite (Foreman) hosts whose
UUID fact names no instance nova has are listed and, with --apply, removed; hosts
without a UUID fact are unknown and stay; every safety abort holds (exit status
3, nothing changed in IPA or Satellite)."""

import json
import subprocess
import uuid

import pytest

from tests import harness
from tests.functional.conftest import PROJECT
from tests.functional.test_audit import NO_BROKER, aborted, findings, unchanged

ORPHANS = [f'orphan{i}.example.test' for i in (1, 2, 3)]      # the estate's IPA orphans


def swapped(value):
    """The UUID as SMBIOS before 2.6 reports it: first three groups byte-swapped."""
    return str(uuid.UUID(bytes_le=uuid.UUID(value).bytes))


@pytest.fixture
def satellite(foreman, cloud, estate):
    """Satellite hosts beside the estate: its two live instances (one reporting
    the old SMBIOS form), a soft-deleted instance, an orphan, a host without a
    UUID fact. {name: Satellite id}."""
    live1, live2 = estate['live1'], estate['live2']
    resting = cloud.add_server(str(uuid.uuid4()), 'resting', PROJECT,
                               status='SOFT_DELETED')['id']
    gone, metal = str(uuid.uuid4()), str(uuid.uuid4())
    return {
        'live1': foreman.add_host('live1.example.test', {'virt::uuid': live1,
                                                         'dmi::system::uuid': live1.upper()}),
        'live2': foreman.add_host('live2.example.test',
                                  {'dmi::system::uuid': swapped(live2).upper()}),
        'resting': foreman.add_host('resting.example.test', {'virt::uuid': resting}),
        'gone': foreman.add_host('gone.example.test', {'virt::uuid': gone,
                                                       'dmi::system::uuid': gone.upper(),
                                                       PRODUCT: 'OpenStack Nova'}),
        # a physical server: its UUID names no instance, nova never made it
        'metal': foreman.add_host('metal.example.test', {'dmi::system::uuid': metal,
                                                         PRODUCT: 'PowerEdge R640'}),
        'capsule': foreman.add_host('capsule.example.test', {'memory::memtotal': '8192'}),
    }


PRODUCT = 'dmi::system::product_name'


def audit(tmp_path, ipa, cloud, foreman, *args, url=None):
    section = (f'[satellite]\nurl = {url or foreman.url}\nusername = {foreman.username}\n'
               f'password = {foreman.password}\nca_cert = {foreman.ca_path}\ntimeout = 5\n'
               f'[audit]\npage_size = 2\n')
    config = harness.write_config(str(tmp_path / 'audit.conf'), NO_BROKER, ipa, cloud,
                                  'unused', section)
    proc = subprocess.run(harness.daemon_command() + ['--config-file', config, 'audit',
                                                      *args],
                          capture_output=True, text=True, timeout=120)
    assert foreman.password not in proc.stdout + proc.stderr
    return proc


def reasons(report):
    return {f['name']: f['reason'] for f in report['findings'] if f['kind'] == 'satellite'}


def test_report_lists_the_orphan_and_the_unknown_host(tmp_path, ipa, cloud, foreman,
                                                      satellite):
    proc = audit(tmp_path, ipa, cloud, foreman, '--format', 'json')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    gone = f'gone.example.test (id {satellite["gone"]})'
    assert findings(report, 'satellite', 'remove') == [gone]
    assert findings(report, 'host', 'remove') == ORPHANS
    why = reasons(report)
    assert why[f'capsule.example.test (id {satellite["capsule"]})'] == 'unknown: no UUID fact'
    for name in ('live1', 'live2', 'resting'):
        assert 'live instance' in why[f'{name}.example.test (id {satellite[name]})']
    metal = why[f'metal.example.test (id {satellite["metal"]})']
    assert metal.startswith('not an instance of this cloud by its SMBIOS product name')
    assert report['summary']['satellites_remove'] == 1
    assert report['summary']['satellites_keep'] == 5
    assert foreman.calls('hosts#destroy') == [] and unchanged(ipa)
    # Every host page was read, per_page 2, until subtotal (6 hosts: 3 pages).
    assert [c.params['page'] for c in foreman.calls('hosts#index')] == ['1', '2', '3']


def test_apply_removes_only_the_orphan(tmp_path, ipa, cloud, foreman, satellite):
    proc = audit(tmp_path, ipa, cloud, foreman, '--apply')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'gone.example.test' in proc.stdout                  # the table
    assert foreman.deleted == [(satellite['gone'], 'gone.example.test')]
    assert all(not ipa.has_host(name) for name in ORPHANS)
    again = json.loads(audit(tmp_path, ipa, cloud, foreman, '--format', 'json').stdout)
    assert findings(again, 'satellite', 'remove') == []
    assert len(findings(again, 'satellite', 'keep')) == 5   # metal stays too


def test_satellite_orphans_count_toward_max_removals(tmp_path, ipa, cloud, foreman,
                                                     satellite):
    proc = audit(tmp_path, ipa, cloud, foreman, '--apply', '--format', 'json',
                 '--max-removals', '3')
    data = aborted(proc, '4 hosts to remove, more than max_removals 3')
    assert findings(data, 'satellite', 'remove') == [
        f'gone.example.test (id {satellite["gone"]})']
    assert foreman.calls('hosts#destroy') == [] and unchanged(ipa)


def test_satellite_down_aborts_and_changes_nothing(tmp_path, ipa, cloud, foreman, satellite):
    foreman.down = True
    data = aborted(audit(tmp_path, ipa, cloud, foreman, '--apply', '--format', 'json'),
                   'a listing failed')
    assert data['findings'] == [] and '503' in data['summary']['aborted']
    assert unchanged(ipa) and all(ipa.has_host(name) for name in ORPHANS)
    assert foreman.has_host(satellite['gone'])


def test_nova_with_no_servers_while_satellite_has_hosts_aborts(tmp_path, ipa, cloud,
                                                               foreman):
    host_id = foreman.add_host('web.example.test', {'virt::uuid': str(uuid.uuid4())})
    aborted(audit(tmp_path, ipa, cloud, foreman, '--apply', '--format', 'json'),
            'nova listed no servers at all while IPA has 0 enrolled hosts and Satellite 1')
    assert foreman.has_host(host_id) and foreman.calls('hosts#destroy') == []


@pytest.mark.parametrize('action, words', [
    ('hosts#index', 'Satellite host listing ended early'),
    ('fact_values#index', 'Satellite fact listing ended early'),
])
def test_a_listing_cut_short_aborts(tmp_path, ipa, cloud, foreman, satellite, action, words):
    foreman.truncate_lists[action] = 2    # of 6 hosts; of 3-4 values of each UUID fact
    aborted(audit(tmp_path, ipa, cloud, foreman, '--apply', '--format', 'json'), words)
    assert unchanged(ipa) and foreman.calls('hosts#destroy') == []


def test_an_instance_back_in_nova_before_removal_keeps_its_host(tmp_path, ipa, cloud,
                                                                foreman, satellite):
    from notify import cmd, service
    from notify.audit.build import build_audit
    audit(tmp_path, ipa, cloud, foreman)                       # writes audit.conf
    conf = cmd.parse_config(['--config-file', str(tmp_path / 'audit.conf')])
    the_audit = build_audit(conf, service.protection(conf))
    snapshot = the_audit.snapshot

    def snapshot_then_restore():
        taken = snapshot()
        gone = dict(foreman.host(satellite['gone'])['facts'])['virt::uuid']
        cloud.add_server(gone, 'gone', PROJECT)                # back meanwhile
        return taken

    the_audit.snapshot = snapshot_then_restore
    result = the_audit.run(apply=True)
    kept = {f.name: f.reason for f in result.findings if f.kind == 'satellite'}
    assert 'asked again before removal' in kept[f'gone.example.test (id {satellite["gone"]})']
    assert foreman.has_host(satellite['gone']) and foreman.calls('hosts#destroy') == []


def test_a_satellite_url_that_is_not_https_is_a_configuration_error(tmp_path, ipa, cloud,
                                                                    foreman):
    proc = audit(tmp_path, ipa, cloud, foreman, url=f'http://localhost:{foreman.port}')
    assert proc.returncode == 2
    assert 'configuration: [satellite] url must be an https:// URL' in proc.stdout + proc.stderr
