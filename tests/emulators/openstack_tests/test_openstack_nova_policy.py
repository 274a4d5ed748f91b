"""nova's default policies for a service user without the admin role, as the
emulator's knobs reproduce them (nova/policies/servers.py,
extended_server_attributes.py, api/openstack/compute/servers.py)."""

import pytest
from novaclient import exceptions as nova_exc

from tests.emulators.openstack.clients import COMPUTE, nova

EXT_HOSTNAME = 'OS-EXT-SRV-ATTR:hostname'


def get(sess, path, version):
    return sess.get(path, endpoint_filter=COMPUTE, raise_exc=False,
                    headers={'OpenStack-API-Version': 'compute ' + version})


def test_extended_attributes_hidden_when_the_policy_denies(emu, sess):
    emu.add_server('s1', 'web1', emu.project_id)
    shown = get(sess, '/servers/s1', '2.53').json()['server']
    assert shown[EXT_HOSTNAME] == 'web1' and shown['host_status'] == 'UP'
    emu.hide_extended_attrs = True
    for version in ('2.1', '2.53', '2.89'):
        shown = get(sess, '/servers/s1', version).json()['server']
        [listed] = get(sess, '/servers/detail', version).json()['servers']
        for server in (shown, listed):
            assert not [k for k in server if k.startswith('OS-EXT-SRV-ATTR:')], version
            assert 'host_status' not in server
            assert server['OS-EXT-STS:vm_state'] == 'active'    # not an extended attr
    # 2.90 made the hostname visible to every user, the rest stays hidden
    shown = get(sess, '/servers/s1', '2.90').json()['server']
    assert [k for k in shown if k.startswith('OS-EXT-SRV-ATTR:')] == [EXT_HOSTNAME]
    assert shown[EXT_HOSTNAME] == 'web1'
    # what the daemon's client sees: no hostname at all
    assert getattr(nova(sess).servers.get('s1'), EXT_HOSTNAME, None) is None
    emu.hide_extended_attrs = False
    assert getattr(nova(sess).servers.get('s1'), EXT_HOSTNAME) == 'web1'


def test_admin_only_filters_are_dropped_silently(emu, sess):
    emu.add_project('p-2', 'other')
    emu.add_server('a', 'db1', emu.project_id)
    emu.add_server('b', 'web1', emu.project_id)
    emu.add_server('c', 'db1', 'p-2')

    def ids(query, version='2.53'):
        r = get(sess, '/servers/detail?' + query, version)
        assert r.status_code == 200, r.text
        return sorted(s['id'] for s in r.json()['servers'])

    assert ids('hostname=db1') == ['a']
    assert ids('all_tenants=1&tenant_id=p-2') == ['c']
    emu.ignore_admin_filters = True
    assert ids('hostname=db1') == ['a', 'b']                  # dropped before 2.90
    assert ids('hostname=db1', '2.90') == ['a']               # a filter for all from 2.90
    assert ids('all_tenants=1&tenant_id=p-2') == ['a', 'b', 'c']
    assert ids('all_tenants=1&hostname=%5Edb1%24') == ['a', 'b', 'c']
    assert ids('name=web') == ['b']                           # name is for everyone
    # and the deleted filter with them
    emu.delete_server('a')
    assert ids('deleted=true') == ['b']
    emu.ignore_admin_filters = False
    assert ids('deleted=true') == ['a']


def test_non_admins_may_not_list_deleted_or_sort_by_host(emu, sess):
    emu.add_server('a', 'db1', emu.project_id)
    emu.delete_server('a')
    r = get(sess, '/servers/detail?status=DELETED', '2.53')
    assert r.status_code == 200 and [s['status'] for s in r.json()['servers']] == ['DELETED']
    assert get(sess, '/servers?sort_key=host', '2.53').status_code == 200
    emu.ignore_admin_filters = True
    r = get(sess, '/servers/detail?status=DELETED', '2.53')
    assert r.status_code == 403
    assert r.json()['forbidden']['message'] == 'Only administrators may list deleted instances'
    r = get(sess, '/servers?sort_key=host', '2.53')
    assert r.status_code == 403 and 'sort servers by host' in r.json()['forbidden']['message']


def test_all_tenants_without_the_policy_is_forbidden(emu, sess):
    emu.add_server('mine', 'h1', emu.project_id)
    emu.add_server('theirs', 'h1', 'p-other')
    emu.deny_all_tenants = True
    r = get(sess, '/servers/detail?all_tenants=1', '2.53')
    assert r.status_code == 403
    assert r.json() == {'forbidden': {'code': 403, 'message': "Policy doesn't allow "
                                      "os_compute_api:servers:detail:get_all_tenants to be "
                                      "performed."}}
    r = get(sess, '/servers?all_tenants', '2.53')
    assert 'servers:index:get_all_tenants' in r.json()['forbidden']['message']
    # all_tenants=0 asks for nothing more than the own project
    r = get(sess, '/servers?all_tenants=0', '2.53')
    assert [s['id'] for s in r.json()['servers']] == ['mine']
    with pytest.raises(nova_exc.Forbidden):
        nova(sess).servers.list(search_opts={'all_tenants': True, 'hostname': '^h1$'},
                                limit=-1)


def test_set_nova_policy_sets_every_knob(emu, sess):
    emu.set_nova_policy(admin=False)
    assert emu.hide_extended_attrs and emu.ignore_admin_filters and emu.deny_all_tenants
    emu.set_nova_policy(admin=True)
    assert not (emu.hide_extended_attrs or emu.ignore_admin_filters or emu.deny_all_tenants)
