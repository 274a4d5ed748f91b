"""The IPA emulator, driven by the real python-freeipa client over HTTPS: host
groups, the ``ipaservers`` group and the masters it holds, and host membership
as host_show / host_find show and filter it (ipaserver/plugins/hostgroup.py,
host.py, baseldap.py)."""

import pytest
from python_freeipa import exceptions as ipa_exc

V = '2.254'


def call(client, method, *args, **options):
    options.setdefault('version', V)
    return client._request(method, list(args), options)


def test_ipaservers_holds_the_master(emu, client):
    group = call(client, 'hostgroup_show', 'ipaservers')['result']
    assert group['cn'] == ['ipaservers']
    assert group['member_host'] == [emu.master]
    assert group['dn'] == f'cn=ipaservers,cn=hostgroups,cn=accounts,{emu.basedn}'
    host = call(client, 'host_show', emu.master)['result']
    assert host['memberof_hostgroup'] == ['ipaservers']
    assert emu.hostgroups() == {'ipaservers': [emu.master]}


def test_add_master_creates_an_undeletable_enrolled_host_in_ipaservers(emu, client):
    replica = emu.add_master('ipa2.example.test')
    assert emu.masters() == sorted([emu.master, replica])
    assert call(client, 'hostgroup_show', 'IPAservers')['result']['member_host'] == \
        sorted([emu.master, replica])
    host = call(client, 'host_show', replica, all=True)['result']
    assert host['has_keytab'] is True and 'krblastpwdchange' in host
    with pytest.raises(ipa_exc.ValidationError) as err:
        call(client, 'host_del', replica, **{'continue': True})
    assert err.value.message == \
        "invalid 'hostname': An IPA master host cannot be deleted or disabled"
    assert emu.has_host(replica)


def test_hostgroup_show_of_a_missing_group_is_not_found(emu, client):
    with pytest.raises(ipa_exc.NotFound) as err:
        call(client, 'hostgroup_show', 'nosuch')
    assert err.value.message == 'nosuch: host group not found'


def test_add_and_remove_members_report_failures_like_ldapaddmember(emu, client):
    emu.add_host('web1.example.test')
    emu.add_hostgroup('web', description='web servers')
    reply = call(client, 'hostgroup_add_member', 'web',
                 host=['web1.example.test', 'nosuch.example.test'], hostgroup=['web', 'none'])
    assert reply['completed'] == 1
    assert reply['failed'] == {'member': {
        'host': [['nosuch.example.test', 'no such entry']],
        'hostgroup': [['web', 'A group may not be added as a member of itself'],
                      ['none', 'no such entry']]}}
    assert reply['result']['member_host'] == ['web1.example.test']
    again = call(client, 'hostgroup_add_member', 'web', host=['web1.example.test'])
    assert again['completed'] == 0
    assert again['failed']['member']['host'] == [['web1.example.test',
                                                  'This entry is already a member']]
    gone = call(client, 'hostgroup_remove_member', 'web', host=['web1.example.test',
                                                                'ipa.example.test'])
    assert gone['completed'] == 1
    assert gone['failed']['member']['host'] == [['ipa.example.test',
                                                 'This entry is not a member']]
    assert 'member_host' not in gone['result']


def test_the_last_ipa_server_cannot_leave_ipaservers(emu, client):
    with pytest.raises(ipa_exc.FreeIPAError) as err:
        call(client, 'hostgroup_remove_member', 'ipaservers', host=[emu.master])
    assert err.value.code == 4308
    assert err.value.message == (f'{emu.master} cannot be deleted or disabled because it is '
                                 'the last member of hostgroup ipaservers')


def test_nested_groups_count_for_in_hostgroup_and_show_as_indirect(emu, client):
    emu.add_host('a.example.test')
    emu.add_host('b.example.test')
    emu.add_hostgroup('inner', hosts=['a.example.test'])
    emu.add_hostgroup('outer', hostgroups=['inner'], hosts=['b.example.test'])
    host = call(client, 'host_show', 'a.example.test')['result']
    assert host['memberof_hostgroup'] == ['inner']
    assert host['memberofindirect_hostgroup'] == ['outer']
    outer = call(client, 'hostgroup_show', 'outer')['result']
    assert outer['member_hostgroup'] == ['inner']
    assert outer['memberindirect_host'] == ['a.example.test']
    found = call(client, 'host_find', in_hostgroup=['outer'], pkey_only=True)['result']
    assert [h['fqdn'][0] for h in found] == ['a.example.test', 'b.example.test']
    found = call(client, 'host_find', not_in_hostgroup=['inner', 'ipaservers'],
                 pkey_only=True)['result']
    assert [h['fqdn'][0] for h in found] == ['b.example.test']
    assert call(client, 'host_find', in_hostgroup=['nosuch'])['count'] == 0


def test_members_show_by_the_all_raw_and_no_members_rules(emu, client):
    emu.add_host('a.example.test', managedby=[emu.master])
    emu.add_hostgroup('g', hosts=['a.example.test'])
    raw = call(client, 'host_show', 'a.example.test', raw=True)['result']
    assert raw['memberof'] == [f'cn=g,cn=hostgroups,cn=accounts,{emu.basedn}']
    assert 'memberof_hostgroup' not in raw
    quiet = call(client, 'host_show', 'a.example.test', no_members=True)['result']
    assert 'memberof_hostgroup' not in quiet and 'managedby_host' not in quiet
    loud = call(client, 'host_show', 'a.example.test', no_members=True, all=True)['result']
    assert loud['memberof_hostgroup'] == ['g']
    # host_find's no_members defaults to True; ``all`` reads members anyway
    plain = call(client, 'host_find', 'a.example.test')['result'][0]
    assert 'memberof_hostgroup' not in plain and 'managedby_host' not in plain
    every = call(client, 'host_find', 'a.example.test', all=True)['result'][0]
    assert every['memberof_hostgroup'] == ['g']
    assert every['managedby_host'] == ['a.example.test', emu.master]


def test_hostgroup_find_by_term_member_and_limits(emu, client):
    emu.add_host('a.example.test')
    emu.add_hostgroup('web', description='Web Servers', hosts=['a.example.test'])
    emu.add_hostgroup('db')
    names = [g['cn'][0] for g in call(client, 'hostgroup_find')['result']]
    assert names == ['db', 'ipaservers', 'web']
    assert call(client, 'hostgroup_find', 'server')['count'] == 2   # description, cn
    assert [g['cn'][0] for g in call(client, 'hostgroup_find',
                                     host=['a.example.test'])['result']] == ['web']
    assert [g['cn'][0] for g in call(client, 'hostgroup_find',
                                     description='web  servers')['result']] == ['web']
    cut = call(client, 'hostgroup_find', sizelimit=2, pkey_only=True)
    assert cut['truncated'] is True and cut['count'] == 2
    assert cut['result'][0] == {'cn': ['db'],
                                'dn': f'cn=db,cn=hostgroups,cn=accounts,{emu.basedn}'}
    assert call(client, 'hostgroup_find', in_netgroup=['x'])['count'] == 0


def test_host_del_drops_the_host_from_its_groups(emu, client):
    emu.add_host('a.example.test', hostgroups=[])
    emu.add_hostgroup('g', hosts=['a.example.test'])
    call(client, 'host_del', 'a.example.test')
    assert emu.hostgroups()['g'] == []
    assert 'member_host' not in call(client, 'hostgroup_show', 'g')['result']
