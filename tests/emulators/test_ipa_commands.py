"""The IPA emulator, driven by the real python-freeipa client over HTTPS:
command validation, batch, injected faults and counters.

The emulator is only worth something if it refuses what FreeIPA refuses, so
most tests here check a rejection: error codes, names and messages are the
ones from FreeIPA's ipalib/errors.py and plugins.
"""

import pytest
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa_testlib import add_web1, raw_call, raw_session

# -- command validation --------------------------------------------------------------

def test_unknown_option_is_unknown_option(emu, client):
    with pytest.raises(ipa_exc.UnknownOption) as info:
        client._request('host_del', ['x.example.test'], {'updatedns': True, 'purge': True})
    assert str(info.value) == 'Unknown option: purge' and info.value.code == 3005


def test_unknown_command_arity_and_missing_arguments(emu, client):
    with pytest.raises(ipa_exc.BadRequest) as info:
        client._request('host_remove', ['x'])
    assert (info.value.code, info.value.message) == (905, "unknown command 'host_remove'")
    with pytest.raises(ipa_exc.BadRequest) as info:
        client._request('host_show', [])
    assert (info.value.code, info.value.message) == (3007, "'fqdn' is required")
    with pytest.raises(ipa_exc.BadRequest) as info:
        client._request('host_show', ['a.example.test', 'b.example.test'])
    assert info.value.code == 3004
    with pytest.raises(ipa_exc.BadRequest) as info:
        client._request('ping', ['x'])
    assert (info.value.code, info.value.message) == (3003, "command 'ping' takes no arguments")
    with pytest.raises(ipa_exc.BadRequest) as info:
        client._request('host_del', ['web1.example.test'], {'updatedns': 'maybe'})
    assert info.value.code == 3008


def test_api_versions(emu, client):
    assert client._request('ping', [], {'version': '2.999'})['summary']   # newer minor: ok
    with pytest.raises(ipa_exc.BadRequest) as info:
        client._request('ping', [], {'version': '3.0'})
    assert info.value.code == 901
    assert 'client incompatible with' in info.value.message


def test_dns_names_are_objects_with_a_version_and_strings_without(emu, client):
    add_web1(emu)
    shown = client.dnsrecord_show('example.test', 'web1')
    assert shown['value'] == {'__dns_name__': 'web1'}
    assert shown['result']['idnsname'] == [{'__dns_name__': 'web1'}]
    assert shown['result']['arecord'] == ['192.0.2.10']
    zone = client.dnszone_show('example.test')
    assert zone['result']['idnsname'] == [{'__dns_name__': 'example.test.'}]

    session, base = raw_session(emu)
    reply = raw_call(session, base, {'method': 'dnsrecord_show',
                                     'params': [['example.test.', 'web1'], {}]}).json()
    result = reply['result']
    assert result['value'] == 'web1' and result['result']['idnsname'] == ['web1']
    assert [m['code'] for m in result['messages']] == [13001]
    assert result['messages'][0]['name'] == 'VersionMissing'
    # a DNS name object sent by a client is understood
    reply = raw_call(session, base, {'method': 'dnsrecord_show', 'params': [
        [{'__dns_name__': 'example.test.'}, {'__dns_name__': 'web1'}],
        {'version': '2.253'}]}).json()
    assert reply['error'] is None


# -- batch, injected faults, counters --------------------------------------------------

def test_batch_with_one_failing_entry(emu, client):
    add_web1(emu)
    emu.add_host('web2.example.test')
    result = client.batch([
        {'method': 'host_del', 'params': [['web1.example.test'], {'updatedns': True}]},
        {'method': 'host_del', 'params': [['gone.example.test'], {'updatedns': True}]},
        {'method': 'host_del', 'params': [['web2.example.test'], {}]},
        {'method': 'host_del', 'params': [['web2.example.test'], {'bogus': 1}]},
        {'method': 'no_such_command', 'params': [[], {}]},
    ])
    assert result['count'] == 5
    first, missing, third, bogus, unknown = result['results']
    assert first['error'] is None and first['value'] == ['web1.example.test']
    assert missing == {'error': 'gone.example.test: host not found', 'error_code': 4001,
                       'error_name': 'NotFound',
                       'error_kw': {'reason': 'gone.example.test: host not found'}}
    assert third['error'] is None
    assert (bogus['error_code'], bogus['error_name']) == (3008, 'ConversionError')
    assert bogus['error'] == "invalid 'params': Unknown option: bogus"
    assert unknown['error_code'] == 905
    assert emu.hosts() == ['ipa.example.test']
    assert emu.stats['calls']['batch'] == 1 and emu.stats['calls']['host_del'] == 0
    assert emu.stats['batch_calls'] == {'host_del': 4, 'no_such_command': 1}
    in_batch = [r for r in emu.call_log if r.in_batch]
    assert [r.method for r in in_batch] == ['host_del'] * 4 + ['no_such_command']
    assert in_batch[0] == ('host_del', ['web1.example.test'], {'updatedns': True})


def test_fail_next_injects_ipa_errors(emu, client):
    emu.add_host('web7.example.test')
    emu.fail_next('host_del', 907, 'NetworkError',
                  "cannot connect to 'ldapi://%2fvar%2frun%2fslapd.socket': Can't contact "
                  "LDAP server", count=2)
    for _ in range(2):
        with pytest.raises(ipa_exc.BadRequest) as info:
            client._request('host_del', ['web7.example.test'], {'updatedns': True})
        assert info.value.code == 907
    assert emu.has_host('web7.example.test')       # nothing happened
    client._request('host_del', ['web7.example.test'], {'updatedns': True})
    assert not emu.has_host('web7.example.test')
    emu.fail_next('ping', 4203, 'DatabaseError', 'Server is unwilling to perform')
    batch = client.batch([{'method': 'ping', 'params': [[], {}]},
                          {'method': 'ping', 'params': [[], {}]}])
    assert [r['error_code'] if r['error'] else None for r in batch['results']] == [4203, None]


def test_stats_and_call_log(emu, client):
    emu.reset_stats()
    client.ping()
    with pytest.raises(ipa_exc.NotFound):
        client._request('host_del', ['x.example.test'], {'updatedns': True})
    emu.expire_sessions()
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()
    assert emu.stats['http_requests'] == 3
    assert emu.stats['calls'] == {'ping': 1, 'host_del': 1}
    assert emu.stats['unauthorized'] == 1 and emu.stats['logins'] == 0
    assert emu.call_log == [('ping', [], {'version': '2.253'}),
                            ('host_del', ['x.example.test'],
                             {'updatedns': True, 'version': '2.253'})]
    assert not any(record.in_batch for record in emu.call_log)
    emu.reset_stats()
    assert emu.stats['calls'] == {} and emu.call_log == []
