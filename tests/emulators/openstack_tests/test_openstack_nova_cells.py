"""Servers of a cell that does not answer, as nova shows them
(api-guide down_cells.rst, compute/api.py, views/servers.py)."""

import pytest
from novaclient import exceptions as nova_exc

from tests.emulators.openstack import OpenStackEmulator
from tests.emulators.openstack.clients import COMPUTE, IMAGE, make_session, nova, raw


@pytest.fixture
def emu():
    with OpenStackEmulator() as e:
        # the oldest: listed last if nova sorted it with the others
        e.add_server('gone', 'db1', e.project_id, image_id=IMAGE, cell_down=True)
        e.add_server('up-1', 'web1', e.project_id)
        e.add_server('up-2', 'web2', e.project_id)
        yield e


@pytest.fixture
def sess(emu):
    return make_session(emu)


def get(sess, path, version='2.69'):
    return sess.get(path, endpoint_filter=COMPUTE, raise_exc=False,
                    headers={'OpenStack-API-Version': 'compute ' + version})


def test_the_emulator_offers_microversion_2_69(emu):
    versions = {v['id']: v for v in raw(emu, '/compute/').json()['versions']}
    major, minor = versions['v2.1']['version'].split('.')
    assert (int(major), int(minor)) >= (2, 69)


def test_lists_from_2_69_carry_minimal_records_first(emu, sess):
    body = get(sess, '/servers/detail').json()
    assert [s['id'] for s in body['servers']] == ['gone', 'up-2', 'up-1']
    minimal = body['servers'][0]
    assert sorted(minimal) == ['created', 'id', 'links', 'security_groups', 'status',
                               'tenant_id']
    assert minimal['status'] == 'UNKNOWN' and minimal['tenant_id'] == emu.project_id
    [index] = [s for s in get(sess, '/servers').json()['servers'] if s['id'] == 'gone']
    assert sorted(index) == ['id', 'links', 'status'] and index['status'] == 'UNKNOWN'
    # all_tenants is the one filter that keeps them
    listed = get(sess, '/servers/detail?all_tenants=1').json()['servers']
    assert [s['id'] for s in listed] == ['gone', 'up-2', 'up-1']


def test_down_servers_are_skipped_by_filters_paging_and_old_versions(emu, sess):
    for path, version in (('/servers/detail', '2.68'), ('/servers/detail?hostname=db', '2.69'),
                          ('/servers/detail?all_tenants=1&hostname=db', '2.96'),
                          ('/servers/detail?limit=5', '2.69'),
                          ('/servers/detail?sort_key=display_name', '2.69'),
                          ('/servers/detail?status=ACTIVE', '2.69')):
        ids = [s['id'] for s in get(sess, path, version).json()['servers']]
        assert 'gone' not in ids, path
    # the daemon's query
    found = nova(sess).servers.list(search_opts={'all_tenants': True, 'hostname': '^db1$'},
                                    limit=-1)
    assert found == []


def test_other_projects_minimal_records_need_all_tenants(emu, sess):
    emu.add_server('theirs', 'x1', 'p-other', cell='cell-b')
    emu.set_cell_down('cell-b')
    ids = [s['id'] for s in get(sess, '/servers').json()['servers']]
    assert 'theirs' not in ids and 'gone' in ids
    ids = [s['id'] for s in get(sess, '/servers?all_tenants=true').json()['servers']]
    assert 'theirs' in ids


def test_refusing_to_skip_down_cells_fails_the_listing(emu, sess):
    emu.skip_down_cells = False     # [api] list_records_by_skipping_down_cells = False
    r = get(sess, '/servers/detail?hostname=web', '2.69')
    assert r.status_code == 500
    assert "nova.exception.NovaException" in r.json()['computeFault']['message']
    # with minimal records to give, the option does not matter
    assert get(sess, '/servers/detail', '2.69').status_code == 200
    emu.set_cell_down('gone', False)
    assert get(sess, '/servers/detail?hostname=web', '2.69').status_code == 200


def test_show_gives_a_partial_record_from_2_69_and_500_before(emu, sess):
    r = get(sess, '/servers/gone', '2.69')
    assert r.status_code == 200
    server = r.json()['server']
    assert server['status'] == 'UNKNOWN' and server['tenant_id'] == emu.project_id
    assert server['image']['id'] == IMAGE and server['OS-EXT-STS:power_state'] == 0
    assert server['user_id'] == emu.default_user_id and 'server_groups' not in server
    assert 'name' not in server and 'metadata' not in server
    assert 'OS-EXT-SRV-ATTR:hostname' not in server
    assert get(sess, '/servers/gone', '2.71').json()['server']['server_groups'] == []
    r = get(sess, '/servers/gone', '2.68')
    assert r.status_code == 500
    assert r.json()['computeFault']['message'].startswith('Unexpected API Error.')
    with pytest.raises(nova_exc.ClientException) as err:
        nova(sess).servers.get('gone')
    assert err.value.code == 500
    # a deleted server of a down cell is not found
    emu.delete_server('gone')
    assert get(sess, '/servers/gone', '2.69').status_code == 404
    assert 'gone' not in [s['id'] for s in get(sess, '/servers').json()['servers']]


def test_a_marker_in_a_down_cell_is_a_500(emu, sess):
    r = get(sess, '/servers/detail?marker=gone', '2.69')
    assert r.status_code == 500 and 'DBError' in r.json()['computeFault']['message']


def test_a_cell_comes_back(emu, sess):
    cell = {s['id']: s['cell'] for s in emu.servers()}['gone']
    emu.add_server('same-cell', 'db2', emu.project_id, cell=cell)
    assert emu.set_cell_down('same-cell') == cell
    listed = {s['id']: s for s in get(sess, '/servers/detail').json()['servers']}
    assert listed['same-cell']['status'] == 'UNKNOWN'
    emu.set_cell_down('gone', down=False)
    listed = {s['id']: s for s in get(sess, '/servers/detail').json()['servers']}
    assert listed['gone']['status'] == listed['same-cell']['status'] == 'ACTIVE'
    assert nova(sess).servers.get('gone').status == 'ACTIVE'
