"""The IPA emulator, driven by the real python-freeipa client over HTTPS:
hosts and managedby.

The emulator is only worth something if it refuses what FreeIPA refuses, so
most tests here check a rejection: error codes, names and messages are the
ones from FreeIPA's ipalib/errors.py and plugins.
"""

import pytest
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa_testlib import HTTP_VIP, REVZONE, VIP, add_cluster, add_web1

# -- hosts ----------------------------------------------------------------------------

def test_host_del_updatedns_removes_a_and_ptr_and_leaves_the_rest(emu, client):
    add_web1(emu)
    result = client._request('host_del', ['web1.example.test'], {'updatedns': True})
    assert result == {'result': {'failed': []}, 'value': ['web1.example.test'],
                      'summary': 'Deleted host "web1.example.test"'}
    assert not emu.has_host('web1.example.test')
    assert emu.records('example.test', 'web1') == {'TXT': ['owner=ops']}
    assert emu.records(REVZONE, '10') == {'PTR': ['alias.example.test.']}
    assert emu.records('example.test', 'db1') == {'A': ['192.0.2.20']}
    assert emu.records(REVZONE, '20') == {'PTR': ['db1.example.test.']}


def test_host_del_removes_the_name_when_its_last_record_goes(emu, client):
    emu.add_host('web2.example.test')
    emu.add_record('example.test', 'web2', 'A', '192.0.2.12')
    emu.add_record('example.test', 'web2', 'SSHFP', '1 1 ' + 'ab' * 20)
    emu.add_record(REVZONE, '12', 'PTR', 'web2.example.test.')
    client._request('host_del', ['web2.example.test'], {'updatedns': True})
    assert 'web2' not in emu.records('example.test')
    assert '12' not in emu.records(REVZONE)


def test_host_del_without_updatedns_leaves_dns(emu, client):
    add_web1(emu)
    client._request('host_del', ['web1.example.test'], {})
    assert emu.records('example.test', 'web1')['A'] == ['192.0.2.10']


def test_host_del_without_records_warns(emu, client):
    emu.add_host('bare.example.test')
    result = client._request('host_del', ['bare.example.test'], {'updatedns': True})
    assert result['value'] == ['bare.example.test']
    assert [m['code'] for m in result['messages']] == [13020]
    assert result['messages'][0]['name'] == 'FailedToRemoveHostDNSRecords'
    assert not emu.has_host('bare.example.test')


def test_missing_host_is_not_found_or_failed_with_continue(emu, client):
    with pytest.raises(ipa_exc.NotFound) as info:
        client._request('host_del', ['gone.example.test'], {'updatedns': True})
    assert str(info.value) == 'gone.example.test: host not found' and info.value.code == 4001
    emu.add_host('here.example.test')
    result = client.host_del(['gone.example.test', 'here.example.test'], o_continue=True,
                             o_updatedns=True)
    assert result['result'] == {'failed': ['gone.example.test']}
    assert result['value'] == ['here.example.test']
    assert not emu.has_host('here.example.test')


def test_the_ipa_master_cannot_be_deleted_even_with_continue(emu, client):
    for options in ({}, {'continue': True}):
        with pytest.raises(ipa_exc.ValidationError) as info:
            client._request('host_del', [emu.master], options)
        assert info.value.message == ("invalid 'hostname': An IPA master host cannot be "
                                      "deleted or disabled")
    assert emu.has_host(emu.master)


def test_host_names_are_case_insensitive_and_short_names_resolve(emu, client):
    emu.add_host('Web3.Example.Test')
    assert emu.hosts() == ['ipa.example.test', 'web3.example.test']
    assert client.host_show('WEB3.example.test.')['result']['fqdn'] == ['web3.example.test']
    result = client._request('host_del', ['web3'], {})
    assert result['value'] == ['web3'] and not emu.has_host('web3.example.test')
    emu.add_host('app.example.test')
    emu.add_host('app.other.test')
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.host_show('app')
    assert info.value.code == 4027


def test_host_add_show_find_mod(emu, client):
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.host_add('new.example.test')          # not in DNS, no --force
    assert info.value.code == 4019
    with pytest.raises(ipa_exc.ValidationError) as info:
        client.host_add('new', o_force=True)
    assert info.value.message == "invalid 'hostname': invalid domain-name: not fully qualified"
    added = client.host_add('new.example.test', o_ip_address='192.0.2.50',
                            o_description='first')
    assert added['summary'] == 'Added host "new.example.test"'
    assert emu.records('example.test', 'new') == {'A': ['192.0.2.50']}
    assert emu.records(REVZONE, '50') == {'PTR': ['new.example.test.']}
    with pytest.raises(ipa_exc.DuplicateEntry):
        client.host_add('new.example.test', o_force=True)
    with pytest.raises(ipa_exc.DuplicateEntry):
        client.host_add('other.example.test', o_ip_address='192.0.2.50')
    shown = client.host_show('new.example.test')['result']
    assert shown['description'] == ['first']
    assert shown['krbprincipalname'] == [f'host/new.example.test@{emu.realm}']
    found = client.host_find(o_fqdn='new.example.test')
    assert found['count'] == 1 and found['summary'] == '1 host matched'
    assert client.host_find('first')['count'] == 1
    assert client.host_find('nothing-like-this')['count'] == 0
    assert client.host_mod('new.example.test', o_description='second')['result'][
        'description'] == ['second']
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.host_mod('new.example.test', o_description='second')
    assert (info.value.code, info.value.message) == (4202, 'no modifications to be performed')


def test_host_managedby_show_add_remove(emu, client):
    add_cluster(emu)
    shown = client.host_show(VIP)['result']
    assert shown['managedby_host'] == [VIP] and shown['has_keytab'] is False
    assert client.host_show(emu.master)['result']['has_keytab'] is True
    added = client.host_add_managedby(VIP, o_host=['ctl0.example.test', 'ctl1.example.test',
                                                   'nowhere.example.test'])
    assert added['completed'] == 2
    assert added['failed'] == {'managedby': {'host': [['nowhere.example.test',
                                                       'no such entry']]}}
    assert added['result']['managedby_host'] == [VIP, 'ctl0.example.test',
                                                 'ctl1.example.test']
    assert added['result']['fqdn'] == [VIP] and 'has_keytab' not in added['result']
    same = client.host_add_managedby(VIP, o_host=VIP)                 # allow_same: a member
    assert same['failed']['managedby']['host'] == [[VIP, 'This entry is already a member']]
    removed = client.host_remove_managedby(VIP, o_host=['ctl1.example.test',
                                                        'db1.example.test'])
    assert removed['completed'] == 1
    assert removed['failed']['managedby']['host'] == [['db1.example.test',
                                                       'This entry is not a member']]
    assert client.host_show(VIP)['result']['managedby_host'] == [VIP, 'ctl0.example.test']
    managed = client.host_find(o_man_by_host='ctl0.example.test')['result']
    assert [e['fqdn'] for e in managed] == [['ctl0.example.test'], [VIP]]
    with pytest.raises(ipa_exc.NotFound) as info:
        client.host_add_managedby('gone.example.test', o_host='ctl0.example.test')
    assert str(info.value) == 'gone.example.test: host not found'


def test_host_del_removes_its_services_and_managedby_references(emu, client):
    add_cluster(emu)
    ctl0 = 'ctl0.example.test'
    emu.add_service(HTTP_VIP, managed_by=[ctl0, 'ctl1.example.test'])
    own = emu.add_service(f'HTTP/{ctl0}')
    mixed = emu.add_service('nfs/Ctl0.Example.Test')      # found through its managedby
    emu.add_service(f'libvirt/{VIP}', managed_by=[ctl0])
    client.host_add_managedby(VIP, o_host=ctl0)
    emu.add_host('db1.example.test', managedby=[ctl0])

    result = client.host_del(ctl0, o_updatedns=True)
    assert result['value'] == [ctl0]
    assert not emu.has_host(ctl0)
    assert not emu.has_service(own) and not emu.has_service(mixed)
    services = emu.services()
    assert services[HTTP_VIP] == ['ctl1.example.test', VIP]
    assert services[f'libvirt/{VIP}@EXAMPLE.TEST'] == [VIP]
    assert client.host_show(VIP)['result']['managedby_host'] == [VIP]
    assert client.host_show('db1.example.test')['result']['managedby_host'] == [
        'db1.example.test']
    assert emu.records('example.test', 'ctl0') == {}
    # deleting the VIP host takes its services with it
    client.host_del(VIP)
    assert set(emu.services()) == {f'{name}/{emu.master}@{emu.realm}'
                                   for name in ('HTTP', 'ldap', 'DNS')}


def test_host_del_drops_the_name_from_the_managedby_lists_holding_it_now(emu, client):
    """Referential integrity follows managedby changes (added, removed, added again)
    and a name deleted and used again."""
    ctl0, db1, db2 = 'ctl0.example.test', 'db1.example.test', 'db2.example.test'
    for name in (ctl0, db1, db2):
        emu.add_host(name)
    emu.add_service(f'HTTP/{db1}')
    client.host_add_managedby(db1, o_host=ctl0)
    client.host_remove_managedby(db1, o_host=ctl0)
    client.host_add_managedby(db1, o_host=ctl0)
    client.host_add_managedby(db2, o_host=ctl0)
    client.host_remove_managedby(db2, o_host=ctl0)
    client.service_add_host(f'HTTP/{db1}', o_host=ctl0)
    client.host_del(ctl0)
    assert client.host_show(db1)['result']['managedby_host'] == [db1]
    assert client.host_show(db2)['result']['managedby_host'] == [db2]
    assert emu.services()[f'HTTP/{db1}@EXAMPLE.TEST'] == [db1]
    emu.add_host(ctl0)                                     # the name used again
    client.host_add_managedby(db2, o_host=ctl0)
    client.host_del(ctl0)
    assert client.host_show(db2)['result']['managedby_host'] == [db2]
    assert client.host_show(db1)['result']['managedby_host'] == [db1]
