"""The IPA emulator, driven by the real python-freeipa client over HTTPS:
DNS zones and records.

The emulator is only worth something if it refuses what FreeIPA refuses, so
most tests here check a rejection: error codes, names and messages are the
ones from FreeIPA's ipalib/errors.py and plugins.
"""

import pytest
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa_testlib import REVZONE, add_web1

# -- DNS ----------------------------------------------------------------------------------

def test_dnsrecord_add_twice_is_empty_modlist(emu, client):
    client.dnsrecord_add('example.test', 'web5', o_arecord='192.0.2.55')
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.dnsrecord_add('example.test', 'web5', o_arecord=['192.0.2.55'])
    assert (info.value.code, info.value.message) == (4202, 'no modifications to be performed')
    assert emu.records('example.test', 'web5') == {'A': ['192.0.2.55']}


def test_dnsrecord_del_absent_value_and_absent_name(emu, client):
    client.dnsrecord_add('example.test', 'web6', o_arecord=['192.0.2.60', '192.0.2.61'])
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.dnsrecord_del('example.test', 'web6', o_arecord='192.0.2.99')
    assert info.value.code == 4026
    assert info.value.message == "A record does not contain '192.0.2.99'"
    partial = client.dnsrecord_del('example.test', 'web6', o_arecord='192.0.2.60')
    assert partial['result']['arecord'] == ['192.0.2.61']
    last = client.dnsrecord_del('example.test', 'web6', o_arecord='192.0.2.61')
    assert last['summary'] == 'Deleted record "web6"'
    assert 'web6' not in emu.records('example.test')
    with pytest.raises(ipa_exc.NotFound) as info:
        client.dnsrecord_del('example.test', 'web6', o_arecord='192.0.2.61')
    assert str(info.value) == 'web6: DNS resource record not found'
    with pytest.raises(ipa_exc.BadRequest) as info:
        client.dnsrecord_del('example.test', 'web6')      # nothing to delete given
    assert info.value.code == 3005


def test_dnsrecord_values_are_validated(emu, client):
    with pytest.raises(ipa_exc.ValidationError) as info:
        client.dnsrecord_add('example.test', 'bad', o_arecord='192.0.2.300')
    assert info.value.message == "invalid 'ip_address': invalid IP address format"
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_add('example.test', 'bad', o_aaaarecord='192.0.2.1')
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_add('example.test', 'bad', o_ptrrecord='x.example.test.')
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_add(REVZONE, '1.2', o_ptrrecord='x.example.test.')
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_add('example.test', 'bad', o_sshfprecord='1 1')
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_add('example.test', 'other.test.', o_arecord='192.0.2.1')
    client.dnsrecord_add('example.test', 'alias', o_cnamerecord='web1.example.test.')
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_add('example.test', 'alias', o_arecord='192.0.2.1')
    assert set(emu.records('example.test')) == {'@', 'alias'}


def test_ptr_values_without_a_dot_are_relative_to_the_zone(emu, client):
    emu.add_host('rel.example.test')
    emu.add_record('example.test', 'rel', 'A', '192.0.2.70')
    client.dnsrecord_add(REVZONE, '70', o_ptrrecord='rel.example.test')   # no final dot
    client._request('host_del', ['rel.example.test'], {'updatedns': True})
    # IPA only removes PTR records whose target is exactly "<fqdn>."
    assert emu.records(REVZONE, '70') == {'PTR': ['rel.example.test']}


def test_dnszone_and_dnsrecord_lookups(emu, client):
    add_web1(emu)
    with pytest.raises(ipa_exc.NotFound) as info:
        client.dnszone_show('nowhere.test')
    assert str(info.value) == 'nowhere.test.: DNS zone not found'
    with pytest.raises(ipa_exc.NotFound):
        client.dnsrecord_show('nowhere.test.', 'web1')
    with pytest.raises(ipa_exc.NotFound) as info:
        client.dnsrecord_show('example.test.', 'web9')
    assert str(info.value) == 'web9: DNS resource record not found'
    assert client.dnszone_find()['count'] == 2
    assert client.dnszone_find(o_forward_only=True)['count'] == 1
    found = client.dnsrecord_find('example.test', o_arecord='192.0.2.10')
    assert [e['idnsname'] for e in found['result']] == [[{'__dns_name__': 'web1'}]]
    ptrs = client.dnsrecord_find(REVZONE, o_ptrrecord='web1.example.test.')
    assert ptrs['count'] == 1 and ptrs['result'][0]['idnsname'] == [{'__dns_name__': '10'}]
    apex = client.dnsrecord_show('example.test', '@')['result']
    assert apex['nsrecord'] == [f'{emu.master}.']
    with pytest.raises(ipa_exc.ValidationError):
        client.dnsrecord_del('example.test', '@', o_del_all=True)


# -- DNS searches by value ----------------------------------------------------------------

def test_dnsrecord_find_by_value_returns_only_the_holders(emu, client):
    add_web1(emu)
    emu.add_record('example.test', 'web2', 'A', ['192.0.2.11', '192.0.2.10'])
    emu.add_record('example.test', 'web3', 'AAAA', '2001:db8::3')
    emu.add_record('example.test', 'web4', 'AAAA', ['2001:db8::4', '2001:db8::3'])
    emu.add_record(REVZONE, '11', 'PTR', 'web2.example.test.')

    def names(result):
        return [e['idnsname'][0]['__dns_name__'] for e in result['result']]

    assert names(client.dnsrecord_find('example.test', o_arecord='192.0.2.10')) == [
        'web1', 'web2']
    assert names(client.dnsrecord_find('example.test', o_arecord='192.0.2.11')) == ['web2']
    assert names(client.dnsrecord_find('example.test', o_arecord='192.0.2.99')) == []
    assert names(client.dnsrecord_find('example.test', o_aaaarecord='2001:db8::4')) == [
        'web4']
    assert names(client.dnsrecord_find('example.test', o_aaaarecord='2001:db8::3')) == [
        'web3', 'web4']
    assert names(client.dnsrecord_find(REVZONE, o_ptrrecord='web2.example.test.')) == ['11']
    assert names(client.dnsrecord_find(REVZONE, o_ptrrecord='alias.example.test.')) == ['10']
    # PTR values are compared as stored: no final dot is another value
    assert names(client.dnsrecord_find(REVZONE, o_ptrrecord='web2.example.test')) == []
    # values of one type do not match another type
    assert names(client.dnsrecord_find('example.test', o_aaaarecord='192.0.2.10')) == []
    found = client.dnsrecord_find('example.test', o_arecord='192.0.2.10')
    assert found['count'] == 2 and found['truncated'] is False


def test_dnszone_find_lists_every_zone(emu, client):
    emu.add_zone('internalapi.example.test')
    emu.add_zone('8.b.d.0.1.0.0.2.ip6.arpa.')
    every = client.dnszone_find()
    assert every['count'] == 4 and every['summary'] == '4 DNS zones matched'
    assert sorted(e['idnsname'][0]['__dns_name__'] for e in every['result']) == sorted(
        emu.zones())
    assert set(emu.zones()) >= {REVZONE, '8.b.d.0.1.0.0.2.ip6.arpa.'}
    forward = client.dnszone_find(o_forward_only=True)
    assert sorted(e['idnsname'][0]['__dns_name__'] for e in forward['result']) == [
        'example.test.', 'internalapi.example.test.']
