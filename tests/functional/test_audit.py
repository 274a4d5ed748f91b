"""``novajoin-notify audit`` against the emulators: report, apply, JSON, exit codes,
and every safety rule (each aborts with exit status 3 and changes nothing)."""

import json
import subprocess
import uuid

from tests import harness
from tests.functional.conftest import PROJECT, REV4

ZONE = 'example.test.'
NO_BROKER = 'rabbit://guest:guest@127.0.0.1:9/'


def audit(tmp_path, ipa, cloud, *args, extra=''):
    config = harness.write_config(str(tmp_path / 'audit.conf'), NO_BROKER, ipa, cloud,
                                  'unused', extra)
    proc = subprocess.run(harness.daemon_command() + ['--config-file', config, 'audit',
                                                      *args],
                          capture_output=True, text=True, timeout=120)
    return proc


def as_json(proc):
    return json.loads(proc.stdout)


def findings(report, kind='host', action=None):
    return sorted(f['name'] for f in report['findings']
                  if f['kind'] == kind and (action is None or f['action'] == action))


def test_report_then_apply(tmp_path, ipa, cloud, estate):
    report = audit(tmp_path, ipa, cloud, '--format', 'json')
    assert report.returncode == 1, report.stderr
    data = as_json(report)
    assert findings(data, action='remove') == [f'orphan{i}.example.test' for i in (1, 2, 3)]
    kept = {f['name']: f['reason'] for f in data['findings'] if f['action'] == 'keep'}
    assert live_reason(kept, 'live1', estate)
    assert 'look-alike kept' in kept['hv1.example.test']
    assert 'min_age' in kept['young1.example.test']
    assert data['summary']['hosts_remove'] == 3
    assert ipa.has_host('orphan1.example.test')          # report mode changes nothing
    assert not [c for c in ipa.call_log if c[0] in ('host_del', 'dnsrecord_del')]

    applied = audit(tmp_path, ipa, cloud, '--apply')
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert 'orphan1.example.test' in applied.stdout            # the table
    for name in ('orphan1', 'orphan2', 'orphan3'):
        assert not ipa.has_host(f'{name}.example.test')
    for name in ('live1', 'live2', 'young1'):
        assert ipa.has_host(f'{name}.example.test')
    assert ipa.has_host('hv1.example.test')
    again = audit(tmp_path, ipa, cloud, '--format', 'json')
    assert again.returncode == 0 and findings(as_json(again), action='remove') == []


def live_reason(kept, name, live):
    return live[name] in kept[f'{name}.example.test']


def test_floating_ip_records_stale_and_missing(tmp_path, ipa, cloud, estate):
    port = str(uuid.uuid4())
    cloud.add_port(port, estate['live1'], 'compute:nova', project_id=PROJECT)
    cloud.add_floatingip('fip-a', '198.51.100.70', port, None, PROJECT)      # record missing
    cloud.add_floatingip('fip-b', '198.51.100.71', None, None, PROJECT)      # released
    ipa.add_record(ZONE, 'live2', 'A', '198.51.100.71')                      # stale
    ipa.add_record(REV4, '71', 'PTR', 'live2.example.test.')
    ipa.add_record(ZONE, 'www', 'A', '198.51.100.71')                        # the operator's
    data = as_json(audit(tmp_path, ipa, cloud, '--format', 'json', '--max-removals', '5'))
    assert findings(data, 'record', 'remove') == ['live2.example.test -> 198.51.100.71']
    assert findings(data, 'record', 'add') == ['live1.example.test -> 198.51.100.70']
    assert audit(tmp_path, ipa, cloud, '--apply').returncode == 0
    assert ipa.records(ZONE, 'live1') == {'A': ['198.51.100.70']}
    assert ipa.records(REV4, '70') == {'PTR': ['live1.example.test.']}
    assert ipa.records(ZONE, 'live2') == {}
    assert ipa.records(REV4, '71') == {}
    assert ipa.records(ZONE, 'www') == {'A': ['198.51.100.71']}


def aborted(proc, words):
    assert proc.returncode == 3, proc.stdout + proc.stderr
    data = as_json(proc)
    assert words in data['summary']['aborted']
    return data


def unchanged(ipa):
    return not [c for c in ipa.call_log if c[0] in ('host_del', 'service_del',
                                                   'dnsrecord_del', 'dnsrecord_add')]


def test_more_removals_than_allowed_aborts_with_the_list(tmp_path, ipa, cloud, estate):
    proc = audit(tmp_path, ipa, cloud, '--apply', '--format', 'json', '--max-removals', '2')
    data = aborted(proc, 'more than max_removals 2')
    assert findings(data, action='remove') == [f'orphan{i}.example.test' for i in (1, 2, 3)]
    assert unchanged(ipa) and ipa.has_host('orphan1.example.test')


def test_truncated_ipa_listing_aborts(tmp_path, ipa, cloud, estate):
    ipa.fail_next('host_find', 4204, 'LimitsExceeded', 'limits exceeded for this query')
    proc = audit(tmp_path, ipa, cloud, '--apply', '--format', 'json')
    assert proc.returncode in (1, 3) and unchanged(ipa)


def test_nova_with_no_servers_while_ipa_has_marked_hosts_aborts(tmp_path, ipa, cloud, estate):
    for server_id in estate.values():
        cloud.delete_server(server_id)
    data = aborted(audit(tmp_path, ipa, cloud, '--apply', '--format', 'json'),
                   'nova listed no servers at all')
    assert data['findings'] == [] and unchanged(ipa)


def test_configuration_error_is_exit_2(tmp_path, ipa, cloud):
    proc = audit(tmp_path, ipa, cloud, extra='[ipa]\ndomain =\n')
    assert proc.returncode == 2
    assert audit(tmp_path, ipa, cloud, '--bogus').returncode == 2


def test_down_cell_aborts(tmp_path, ipa, cloud, estate):
    # orphan1's instance lives on in a cell that does not answer.
    cloud.add_server(str(uuid.uuid4()), 'orphan1', PROJECT, cell_down=True)
    # An unfiltered first page with room shows it as UNKNOWN (2.69)...
    cloud.page_size = 50
    data = aborted(audit(tmp_path, ipa, cloud, '--apply', '--format', 'json'),
                   'cell is down')
    assert data['findings'] == [] and unchanged(ipa)
    # ... a full one does not, so nova must not skip down cells in paged listings
    # ([api] list_records_by_skipping_down_cells = False, as the README asks).
    cloud.page_size = 2
    cloud.skip_down_cells = False
    aborted(audit(tmp_path, ipa, cloud, '--apply', '--format', 'json'), 'a listing failed')
    assert unchanged(ipa) and ipa.has_host('orphan1.example.test')


def test_nova_listing_cut_short_aborts(tmp_path, ipa, cloud, estate):
    for i in range(6):
        cloud.add_server(str(uuid.uuid4()), f'filler{i}', PROJECT)
    cloud.truncate_server_lists = 4
    aborted(audit(tmp_path, ipa, cloud, '--apply', '--format', 'json'),
            'nova paging stopped early')
    assert unchanged(ipa)


def test_hidden_hostnames_abort(tmp_path, ipa, cloud, estate):
    cloud.hide_extended_attrs = True
    aborted(audit(tmp_path, ipa, cloud, '--apply', '--format', 'json'),
            'os_compute_api:os-extended-server-attributes')
    assert unchanged(ipa)
