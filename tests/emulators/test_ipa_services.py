"""The IPA emulator, driven by the real python-freeipa client over HTTPS:
services.

The emulator is only worth something if it refuses what FreeIPA refuses, so
most tests here check a rejection: error codes, names and messages are the
ones from FreeIPA's ipalib/errors.py and plugins.
"""

import pytest
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa_testlib import add_cluster

# -- services and managedby ---------------------------------------------------------------

VIP = 'vip.internalapi.example.test'
HTTP_VIP = f'HTTP/{VIP}@EXAMPLE.TEST'


def test_master_services_exist_and_are_protected(emu, client):
    master_http = f'HTTP/{emu.master}@{emu.realm}'
    assert emu.has_service(f'HTTP/{emu.master}')          # realm appended
    assert emu.services()[master_http] == [emu.master]
    for principal in (f'HTTP/{emu.master}', f'ldap/{emu.master}'):
        with pytest.raises(ipa_exc.ValidationError) as info:
            client.service_del(principal, o_continue=True)
        assert info.value.message == ("invalid 'principal': This principal is required by "
                                      "the IPA master")
    assert emu.has_service(master_http)


def test_service_add_show_find_del(emu, client):
    add_cluster(emu)
    added = client.service_add(f'HTTP/{VIP}')                 # no realm: appended
    assert added['value'] == HTTP_VIP
    assert added['summary'] == f'Added service "{HTTP_VIP}"'
    assert added['result']['krbprincipalname'] == [HTTP_VIP]
    assert added['result']['managedby_host'] == [VIP]         # managed by its own host
    with pytest.raises(ipa_exc.DuplicateEntry) as info:
        client.service_add(HTTP_VIP)
    assert info.value.message == f'service with name "{HTTP_VIP}" already exists'

    shown = client.service_show(f'HTTP/{VIP}')
    assert shown['value'] == HTTP_VIP and shown['summary'] is None
    result = shown['result']
    assert result['krbcanonicalname'] == [HTTP_VIP] and result['krbprincipalname'] == [HTTP_VIP]
    assert result['managedby_host'] == [VIP] and result['has_keytab'] is False
    assert result['dn'] == \
        f'krbprincipalname={HTTP_VIP},cn=services,cn=accounts,dc=example,dc=test'
    assert 'managedby_host' not in client.service_show(HTTP_VIP, o_all=False,
                                                       o_no_members=True)['result']
    # all reads every attribute: no_members does not hide them then (LDAPRetrieve)
    assert client.service_show(HTTP_VIP, o_no_members=True)['result']['managedby_host'] == [VIP]

    with pytest.raises(ipa_exc.NotFound) as info:
        client.service_show('HTTP/nothing.example.test')
    assert str(info.value) == 'HTTP/nothing.example.test@EXAMPLE.TEST: service not found'

    client.service_add('nfs/ctl0.example.test')
    found = client.service_find(VIP)
    assert found['count'] == 1 and found['summary'] == '1 service matched'
    assert found['result'][0]['krbprincipalname'] == [HTTP_VIP]
    assert 'managedby_host' not in client.service_find(VIP, o_all=False)['result'][0], \
        'find commands default to no_members'
    assert client.service_find(VIP, o_no_members=False)['result'][0]['managedby_host'] == [VIP]
    # with all, IPA reads every attribute and converts managedby anyway
    assert client.service_find(VIP, o_all=True)['result'][0]['managedby_host'] == [VIP]
    assert client.service_find('http/')['count'] == 0              # krbprincipalname: caseExact
    every = client.service_find()
    assert every['summary'] == f'{every["count"]} services matched'
    assert [e['krbcanonicalname'][0] for e in every['result']] == sorted(emu.services())
    assert [e['krbprincipalname'] for e in client.service_find(
        o_man_by_host='ctl0.example.test')['result']] == [['nfs/ctl0.example.test@EXAMPLE.TEST']]
    not_ctl0 = client.service_find(o_not_man_by_host=['ctl0.example.test', emu.master])
    assert [e['krbcanonicalname'][0] for e in not_ctl0['result']] == [HTTP_VIP]
    assert client.service_find(o_krbcanonicalname=f'HTTP/{VIP}')['count'] == 1
    assert client.service_find(o_sizelimit=1)['truncated'] is True

    deleted = client.service_del(f'HTTP/{VIP}')
    assert deleted == {'result': {'failed': []}, 'value': [HTTP_VIP],
                       'summary': f'Deleted service "{HTTP_VIP}"'}
    assert not emu.has_service(HTTP_VIP)
    with pytest.raises(ipa_exc.NotFound) as info:
        client.service_del(HTTP_VIP)
    assert str(info.value) == f'{HTTP_VIP}: service not found'
    partial = client.service_del([HTTP_VIP, 'nfs/ctl0.example.test'], o_continue=True)
    assert partial['result'] == {'failed': [HTTP_VIP]}
    assert partial['value'] == ['nfs/ctl0.example.test@EXAMPLE.TEST']


def test_service_add_is_refused_like_ipa(emu, client):
    add_cluster(emu)
    emu.add_host('nodns.example.test')
    with pytest.raises(ipa_exc.ValidationError) as info:
        client.service_add('foo')
    assert info.value.message == "invalid 'canonical_principal': Service principal is required"
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.service_add('HTTP/ctl0.example.test@FOO.NET')
    assert (info.value.code, info.value.message) == (
        4005, 'The realm for the principal does not match the realm for this IPA server')
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.service_add('host/ctl0.example.test')
    assert (info.value.code, info.value.message) == (
        4003, 'You must enroll a host in order to create a host service')
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.service_add('a@b@c')
    assert info.value.code == 3008
    # force skips only the DNS check; the host must still exist
    for options in ({}, {'o_force': True}):
        with pytest.raises(ipa_exc.NotFound) as info:
            client.service_add('HTTP/gone.example.test', **options)
        assert str(info.value) == ("The host 'gone.example.test' does not exist to add a "
                                   "service to.")
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.service_add('HTTP/nodns.example.test')
    assert info.value.code == 4019
    assert client.service_add('HTTP/nodns.example.test', o_force=True)['result'][
        'managedby_host'] == ['nodns.example.test']
    with pytest.raises(ipa_exc.ValidationError) as info:
        client.service_add('HTTP/ctl0.example.test', o_ipakrbauthzdata=['MS-PAC', 'NONE'])
    assert info.value.message == ("invalid 'ipakrbauthzdata': NONE value cannot be combined "
                                  "with other PAC types")
    # skip_host_check: created without any managing host
    orphan = client.service_add('some/at.some.arbitrary.name', o_force=True,
                                o_skip_host_check=True)
    assert orphan['value'] == 'some/at.some.arbitrary.name@EXAMPLE.TEST'
    assert 'managedby_host' not in orphan['result']
    assert emu.services()['some/at.some.arbitrary.name@EXAMPLE.TEST'] == []
    assert not emu.has_service('HTTP/ctl0.example.test')
    assert emu.internal_errors == []


def test_service_add_and_remove_host_report_failures(emu, client):
    add_cluster(emu)
    client.service_add(HTTP_VIP)
    added = client.service_add_host(HTTP_VIP, o_host=['ctl0.example.test', 'CTL1',
                                                      'notfound', VIP])
    assert added['completed'] == 2
    assert added['failed'] == {'managedby': {'host': [
        ['notfound', 'no such entry'], [VIP, 'This entry is already a member']]}}
    assert added['result']['managedby_host'] == [VIP, 'ctl0.example.test',
                                                 'ctl1.example.test']
    assert 'has_keytab' not in added['result'] and 'summary' not in added
    again = client.service_add_host(HTTP_VIP, o_host='ctl0.example.test')
    assert again['completed'] == 0
    assert again['failed']['managedby']['host'] == [['ctl0.example.test',
                                                     'This entry is already a member']]
    removed = client.service_remove_host(HTTP_VIP, o_host=['ctl1.example.test', 'notfound',
                                                           'db9.example.test'])
    assert removed['completed'] == 1
    assert removed['failed'] == {'managedby': {'host': [
        ['notfound', 'This entry is not a member'],
        ['db9.example.test', 'This entry is not a member']]}}
    assert emu.services()[HTTP_VIP] == ['ctl0.example.test', VIP]
    # a service may even lose its own host
    client.service_remove_host(HTTP_VIP, o_host=VIP)
    assert emu.services()[HTTP_VIP] == ['ctl0.example.test']
    assert client.service_add_host(HTTP_VIP)['completed'] == 0        # no hosts given
    with pytest.raises(ipa_exc.NotFound) as info:
        client.service_add_host('HTTP/nothing.example.test', o_host='ctl0.example.test')
    assert str(info.value) == 'HTTP/nothing.example.test@EXAMPLE.TEST: service not found'


def test_add_service_helper(emu):
    add_cluster(emu)
    assert emu.add_service(f'HTTP/{VIP}', managed_by=['CTL0.example.test']) == HTTP_VIP
    assert emu.has_service(HTTP_VIP) and emu.has_service(f'HTTP/{VIP}')
    assert emu.services()[HTTP_VIP] == ['ctl0.example.test', VIP]
    with pytest.raises(ValueError):
        emu.add_service(HTTP_VIP)                                   # exists
    with pytest.raises(ValueError):
        emu.add_service('HTTP/gone.example.test')                   # no such host
    with pytest.raises(ValueError):
        emu.add_service('justauser')
    with pytest.raises(ValueError):
        emu.add_service(f'nfs/{VIP}', managed_by=['gone.example.test'])
    assert emu.add_service('HTTP/gone.example.test', skip_host_check=True) == \
        'HTTP/gone.example.test@EXAMPLE.TEST'
    assert emu.services()['HTTP/gone.example.test@EXAMPLE.TEST'] == []


def test_service_commands_in_batch_with_faults_and_counters(emu, client):
    add_cluster(emu)
    emu.add_service(HTTP_VIP)
    emu.reset_stats()
    emu.fail_next('service_del', 4203, 'DatabaseError', 'Server is unwilling to perform')
    batch = client.batch([
        {'method': 'service_add_host', 'params': [[HTTP_VIP], {'host': ['ctl0.example.test']}]},
        {'method': 'service_del', 'params': [[HTTP_VIP], {}]},
        {'method': 'service_show', 'params': [[HTTP_VIP], {}]},
        {'method': 'host_remove_managedby', 'params': [[VIP], {'host': [VIP]}]},
        {'method': 'service_del', 'params': [[HTTP_VIP], {'bogus': True}]},
    ])
    added, failed_del, shown, unmanaged, bogus = batch['results']
    assert added['error'] is None and added['completed'] == 1
    assert failed_del['error_code'] == 4203
    assert shown['result']['managedby_host'] == [VIP, 'ctl0.example.test']
    assert unmanaged['completed'] == 1
    assert bogus['error_code'] == 3008
    assert emu.stats['batch_calls'] == {'service_add_host': 1, 'service_del': 2,
                                        'service_show': 1, 'host_remove_managedby': 1}
    client.service_del(HTTP_VIP)
    assert emu.stats['calls'] == {'batch': 1, 'service_del': 1}
    assert emu.call_log[-1] == ('service_del', [HTTP_VIP],
                                {'continue': False, 'version': '2.253'})
    assert not emu.has_service(HTTP_VIP)
    assert 'managedby_host' not in client.host_show(VIP)['result']
