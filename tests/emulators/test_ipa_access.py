"""The IPA emulator's permission model: a denied command is answered as IPA
answers an LDAP insufficient-access error (ipalib/errors.py ACIError 2100,
"Insufficient access: <389-ds info>"), directly and inside a batch; host_del
is refused where its LDAP delete is, after its pre_callback ran."""

import pytest
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa import IPAEmulator
from tests.emulators.ipa_testlib import REVZONE, new_client

V = '2.254'


def call(client, method, *args, **options):
    options.setdefault('version', V)
    return client._request(method, list(args), options)


def test_a_denied_host_del_is_aci_error_with_the_389ds_words(emu, client):
    emu.add_host('vm1.example.test')
    emu.deny('host_del')
    with pytest.raises(ipa_exc.FreeIPAError) as err:
        call(client, 'host_del', 'vm1.example.test', **{'continue': True})
    assert err.value.code == 2100
    assert err.value.message == (
        "Insufficient access: Insufficient 'delete' privilege to delete the entry "
        f"'fqdn=vm1.example.test,cn=computers,cn=accounts,{emu.basedn}'.")
    assert emu.has_host('vm1.example.test')
    emu.allow('host_del')
    call(client, 'host_del', 'vm1.example.test')
    assert not emu.has_host('vm1.example.test')


def test_the_error_object_on_the_wire(emu, client):
    emu.add_host('vm1.example.test')
    emu.deny('host_mod', 'custom words')
    reply = client._session.post(
        f'https://{emu.server}/ipa/session/json', verify=emu.ca_path,
        headers={'Referer': f'https://{emu.server}/ipa', 'Content-Type': 'application/json'},
        json={'method': 'host_mod', 'params': [['vm1.example.test'],
                                               {'description': 'x', 'version': V}], 'id': 0})
    assert reply.json()['error'] == {'code': 2100, 'name': 'ACIError',
                                     'message': 'Insufficient access: custom words',
                                     'data': {'info': 'custom words'}}


def test_denied_host_del_still_ran_its_pre_callback(emu, client):
    emu.add_host('vm1.example.test')
    emu.add_record('example.test', 'vm1', 'A', '192.0.2.10')
    emu.add_record(REVZONE, '10', 'PTR', 'vm1.example.test.')
    emu.add_service('HTTP/vm1.example.test')
    emu.deny('host_del')
    with pytest.raises(ipa_exc.FreeIPAError):
        call(client, 'host_del', 'vm1.example.test', updatedns=True)
    assert emu.has_host('vm1.example.test')
    assert not emu.has_service('HTTP/vm1.example.test')
    assert emu.records('example.test', 'vm1') == {}
    assert emu.records(REVZONE, '10') == {}


def test_a_denied_service_del_stops_host_del_before_the_host(emu, client):
    emu.add_host('vm1.example.test')
    emu.add_service('HTTP/vm1.example.test')
    emu.deny('service_del')
    with pytest.raises(ipa_exc.FreeIPAError) as err:
        call(client, 'host_del', 'vm1.example.test')
    assert err.value.message.startswith(
        "Insufficient access: Insufficient 'delete' privilege to delete the entry "
        "'krbprincipalname=HTTP/vm1.example.test@EXAMPLE.TEST,cn=services,")
    assert emu.has_host('vm1.example.test') and emu.has_service('HTTP/vm1.example.test')


def test_denied_entries_inside_a_batch(emu, client):
    emu.add_host('vm1.example.test')
    emu.add_hostgroup('g')
    emu.deny('hostgroup_add_member')
    reply = call(client, 'batch', [
        {'method': 'hostgroup_add_member', 'params': [['g'], {'host': ['vm1.example.test']}]},
        {'method': 'host_show', 'params': [['vm1.example.test'], {}]},
    ])
    denied, shown = reply['results']
    assert denied['error_code'] == 2100 and denied['error_name'] == 'ACIError'
    assert denied['error'] == (
        "Insufficient access: Insufficient 'write' privilege to the 'member' attribute of "
        f"entry 'cn=g,cn=hostgroups,cn=accounts,{emu.basedn}'.")
    assert shown['error'] is None
    assert emu.hostgroups()['g'] == []


def test_denied_from_the_constructor_with_or_without_words():
    with IPAEmulator(denied={'host_add': None, 'dnsrecord_del': 'no DNS for you'}) as emu:
        emu.add_zone('example.test')
        client = new_client(emu)
        with pytest.raises(ipa_exc.FreeIPAError) as err:
            call(client, 'host_add', 'vm1.example.test', force=True)
        assert err.value.message == (
            "Insufficient access: Insufficient 'add' privilege to add the entry "
            f"'fqdn=vm1.example.test,cn=computers,cn=accounts,{emu.basedn}'.")
        with pytest.raises(ipa_exc.FreeIPAError) as err:
            call(client, 'dnsrecord_del', 'example.test', 'x', del_all=True)
        assert err.value.message == 'Insufficient access: no DNS for you'
        assert not emu.has_host('vm1.example.test')
    assert emu.internal_errors == []
