"""The IPA emulator, driven by the real python-freeipa client over HTTPS: what
host_show / host_find show of a host's description, OTP and enrollment time,
and how host_find filters (ipaserver/plugins/host.py, baseldap.py LDAPSearch)."""

import datetime

import pytest
from python_freeipa import exceptions as ipa_exc

V = '2.254'
NOVA = 'IPA host for OpenStack'
UTC = datetime.timezone.utc


def call(client, method, *args, **options):
    options.setdefault('version', V)
    return client._request(method, list(args), options)


def test_an_otp_host_shows_no_principal_no_keytab_and_no_time(emu, client):
    emu.add_host('vm1.example.test', description=NOVA, userpassword='otp-secret')
    host = call(client, 'host_show', 'vm1.example.test', all=True)['result']
    assert host['description'] == [NOVA]
    assert host['has_password'] is True and host['has_keytab'] is False
    assert 'krbprincipalname' not in host and 'userpassword' not in host
    assert 'krblastpwdchange' not in host
    assert emu.host_info('vm1.example.test')['enrolled'] is None


def test_an_enrolled_host_shows_krblastpwdchange_as_a_datetime_with_all(emu, client):
    when = datetime.datetime(2024, 3, 1, 12, 30, 5, tzinfo=UTC)
    emu.add_host('vm1.example.test', description=NOVA, userpassword='otp',
                 created=when - datetime.timedelta(minutes=5))
    emu.enroll_host('vm1.example.test', when)
    host = call(client, 'host_show', 'vm1.example.test', all=True)['result']
    assert host['has_keytab'] is True and host['has_password'] is False
    assert host['krbprincipalname'] == ['host/vm1.example.test@EXAMPLE.TEST']
    assert host['krblastpwdchange'] == [{'__datetime__': '20240301123005Z'}]
    assert 'krblastpwdchange' not in call(client, 'host_show', 'vm1.example.test')['result']
    old = call(client, 'host_show', 'vm1.example.test', all=True, version='2.83')['result']
    assert old['krblastpwdchange'] == ['20240301123005Z']          # no datetime_values
    raw = call(client, 'host_show', 'vm1.example.test', all=True, raw=True)['result']
    assert raw['krblastpwdchange'] == ['20240301123005Z']
    info = emu.host_info('vm1.example.test')
    assert info['created'] == datetime.datetime(2024, 3, 1, 12, 25, 5, tzinfo=UTC)
    assert info['enrolled'] == when


def test_add_host_enrolled_true_uses_the_creation_time(emu, client):
    created = datetime.datetime(2023, 1, 2, 3, 4, 5)       # naive: taken as UTC
    emu.add_host('old.example.test', created=created, enrolled=True)
    found = call(client, 'host_find', 'old.example.test', all=True)['result'][0]
    assert found['krblastpwdchange'] == [{'__datetime__': '20230102030405Z'}]


def test_description_option_is_an_equality_match_ignoring_case_and_spaces(emu, client):
    emu.add_host('vm1.example.test', description=NOVA)
    emu.add_host('vm2.example.test', description='ipa  host for openstack')
    emu.add_host('vm3.example.test', description=NOVA + ' (legacy)')
    emu.add_host('web.example.test', description='web server')
    found = call(client, 'host_find', description=NOVA, pkey_only=True)
    assert [h['fqdn'][0] for h in found['result']] == ['vm1.example.test', 'vm2.example.test']
    # the criteria is a substring of any search attribute
    found = call(client, 'host_find', 'openstack', pkey_only=True)
    assert found['count'] == 3


def test_pkey_only_gives_the_fqdn_and_dn_only(emu, client):
    emu.add_host('vm1.example.test', description=NOVA)
    found = call(client, 'host_find', 'vm1', pkey_only=True)['result']
    assert found == [{'fqdn': ['vm1.example.test'],
                      'dn': f'fqdn=vm1.example.test,cn=computers,cn=accounts,{emu.basedn}'}]


def test_managing_host_with_all_and_man_host_filters(emu, client):
    emu.add_host('ctl0.example.test')
    emu.add_host('vip.example.test', managedby=['ctl0.example.test'])
    emu.add_host('other.example.test')
    ctl = call(client, 'host_show', 'ctl0.example.test', all=True)['result']
    assert ctl['managing_host'] == ['ctl0.example.test', 'vip.example.test']
    managers = call(client, 'host_find', man_host=['vip.example.test'], pkey_only=True)
    assert [h['fqdn'][0] for h in managers['result']] == ['ctl0.example.test',
                                                          'vip.example.test']
    found = call(client, 'host_find', man_by_host=['ctl0.example.test'], pkey_only=True)
    assert [h['fqdn'][0] for h in found['result']] == ['ctl0.example.test', 'vip.example.test']
    found = call(client, 'host_find', not_man_by_host=['ctl0.example.test'], pkey_only=True)
    assert 'vip.example.test' not in [h['fqdn'][0] for h in found['result']]
    with pytest.raises(ipa_exc.NotFound) as err:
        call(client, 'host_find', man_host=['nosuch.example.test'])
    assert err.value.message == 'nosuch.example.test: host not found'


def test_managing_host_follows_every_change_of_managedby(emu, client):
    def managing():
        return call(client, 'host_show', 'ctl0.example.test', all=True)['result'].get(
            'managing_host')

    emu.add_host('ctl0.example.test')
    assert managing() == ['ctl0.example.test']
    emu.add_host('vip.example.test', managedby=['ctl0.example.test'])
    emu.add_host('db.example.test')
    assert managing() == ['ctl0.example.test', 'vip.example.test']
    call(client, 'host_add_managedby', 'db.example.test', host=['ctl0.example.test'])
    assert managing() == ['ctl0.example.test', 'db.example.test', 'vip.example.test']
    call(client, 'host_remove_managedby', 'vip.example.test', host=['ctl0.example.test'])
    assert managing() == ['ctl0.example.test', 'db.example.test']
    call(client, 'host_del', 'db.example.test')
    assert managing() == ['ctl0.example.test']


def test_member_filters_for_objects_the_emulator_lacks(emu, client):
    emu.add_host('vm1.example.test')
    assert call(client, 'host_find', in_netgroup=['ng'])['count'] == 0
    assert call(client, 'host_find', not_in_role=['r'], sizelimit=0)['count'] == 2


def test_host_del_of_a_name_that_is_not_a_host(emu, client):
    emu.add_host('vm1.example.test')
    with pytest.raises(ipa_exc.NotFound) as err:
        call(client, 'host_del', 'NoSuch.example.test')
    assert err.value.message == 'nosuch.example.test: host not found'
    reply = call(client, 'host_del', ['nosuch.example.test', 'vm1.example.test'],
                 **{'continue': True})
    assert reply['result'] == {'failed': ['nosuch.example.test']}
    assert reply['value'] == ['vm1.example.test']
    assert not emu.has_host('vm1.example.test')
