"""The IPA emulator, driven by the real python-freeipa client over HTTPS.

The emulator is only worth something if it refuses what FreeIPA refuses, so
most tests here check a rejection: error codes, names and messages are the
ones from FreeIPA's ipalib/errors.py and plugins.
"""

import json
import socket
import threading
import time

import pytest
import requests
from python_freeipa import ClientMeta
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa import IPAEmulator
from tests.emulators import tls

REVZONE = '2.0.192.in-addr.arpa.'


@pytest.fixture(autouse=True)
def _no_ca_override(monkeypatch):
    # requests would let these replace verify=True; keep TLS checks honest.
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)


@pytest.fixture
def emu():
    with IPAEmulator() as emulator:
        emulator.add_zone('example.test')
        emulator.add_zone(REVZONE)
        yield emulator
    assert emulator.internal_errors == []


def new_client(emu, login=True):
    client = ClientMeta(emu.server, verify_ssl=emu.ca_path, dns_discovery=False)
    if login:
        client.login(emu.username, emu.password)
    return client


@pytest.fixture
def client(emu):
    return new_client(emu)


def add_web1(emu):
    """web1 with A + PTR, a TXT record and a PTR of another host in the same name."""
    emu.add_host('web1.example.test', description='web server')
    emu.add_record('example.test', 'web1', 'A', '192.0.2.10')
    emu.add_record('example.test', 'web1', 'TXT', 'owner=ops')
    emu.add_record(REVZONE, '10', 'PTR', 'web1.example.test.')
    emu.add_record(REVZONE, '10', 'PTR', 'alias.example.test.')
    emu.add_record('example.test', 'db1', 'A', '192.0.2.20')
    emu.add_record(REVZONE, '20', 'PTR', 'db1.example.test.')


def raw_session(emu):
    """A requests session logged in by hand (for requests python-freeipa cannot make)."""
    session = requests.Session()
    session.verify = emu.ca_path
    base = f'https://{emu.server}/ipa'
    reply = session.post(f'{base}/session/login_password',
                         data={'user': emu.username, 'password': emu.password},
                         headers={'Referer': f'{base}/session/login_password'})
    assert reply.status_code == 200
    return session, base


def raw_call(session, base, body, referer=True, content_type='application/json'):
    headers = {'Content-Type': content_type}
    if referer:
        headers['Referer'] = f'{base}' if referer is True else referer
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return session.post(f'{base}/session/json', data=data, headers=headers)


# -- transport, login, sessions ------------------------------------------------------

def test_login_and_ping(emu, client):
    assert client.ping()['summary'].startswith('IPA server version 4.')
    assert emu.stats['logins'] == 1


def test_wrong_password_and_wrong_user_are_invalid_session_password(emu):
    client = new_client(emu, login=False)
    with pytest.raises(ipa_exc.InvalidSessionPassword):
        client.login(emu.username, 'wrong')
    with pytest.raises(ipa_exc.InvalidSessionPassword):
        client.login('nobody', emu.password)
    assert emu.stats['login_failures'] == 2 and emu.stats['logins'] == 0


def test_call_without_login_is_unauthorized(emu):
    client = new_client(emu, login=False)
    client._current_host = emu.server
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()
    assert emu.stats['unauthorized'] == 1
    assert emu.stats['calls'] == {}


def test_tls_is_verified_against_the_ipa_ca(emu):
    with pytest.raises(requests.exceptions.SSLError):
        ClientMeta(emu.server, verify_ssl=True, dns_discovery=False).login('admin', 'x')
    other_ca = tls.TestCA()
    with pytest.raises(requests.exceptions.SSLError):
        ClientMeta(emu.server, verify_ssl=other_ca.ca_path,
                   dns_discovery=False).login(emu.username, emu.password)


def test_login_form_is_checked(emu):
    base = f'https://{emu.server}/ipa'
    url = f'{base}/session/login_password'
    ref = {'Referer': url}
    assert requests.post(url, json={'user': 'admin'}, headers=ref,
                         verify=emu.ca_path).status_code == 400
    assert requests.post(url, data={'user': 'admin'}, headers=ref,
                         verify=emu.ca_path).status_code == 400
    assert requests.post(url, data={'user': 'admin', 'password': emu.password},
                         verify=emu.ca_path).status_code == 400      # no Referer
    reply = requests.post(url, data={'user': 'a@b@c', 'password': 'x'}, headers=ref,
                          verify=emu.ca_path)
    assert reply.status_code == 401 and reply.headers['X-IPA-Rejection-Reason'] == 'denied'
    ok = requests.post(url, data={'user': f'admin@{emu.realm.lower()}',
                                  'password': emu.password}, headers=ref, verify=emu.ca_path)
    assert ok.status_code == 200
    cookie = ok.headers['Set-Cookie']
    assert cookie.startswith('ipa_session=MagBearerToken=')
    assert 'path=/ipa' in cookie and 'secure' in cookie and 'httponly' in cookie


def test_referer_is_required_and_must_name_this_server(emu):
    session, base = raw_session(emu)
    for referer in (None, 'https://evil.example/ipa', f'http://{emu.server}/ipa'):
        reply = raw_call(session, base, {'method': 'ping', 'params': [[], {}]},
                         referer=referer or False)
        assert reply.status_code == 200
        error = reply.json()['error']
        assert error['code'] == 911 and error['name'] == 'RefererError'
        assert error['message'].startswith('Missing or invalid HTTP Referer, ')
    assert raw_call(session, base, {'method': 'ping', 'params': [[], {}]}).json()['error'] is None


def test_malformed_requests_are_json_errors(emu):
    session, base = raw_session(emu)
    cases = {
        'not json': 'Invalid JSON-RPC request: Expecting value',
        '[1]': 'Invalid JSON-RPC request: Request must be a dict',
        '{"params": [[], {}]}': 'Invalid JSON-RPC request: Request is missing "method"',
        '{"method": "ping"}': 'Invalid JSON-RPC request: Request is missing "params"',
        '{"method": "ping", "params": [[]]}':
            'Invalid JSON-RPC request: params must contain [args, options]',
        '{"method": "ping", "params": [{}, {}]}':
            'Invalid JSON-RPC request: params[0] (aka args) must be a list',
    }
    for body, message in cases.items():
        reply = raw_call(session, base, body)
        error = reply.json()['error']
        assert error['code'] == 909 and error['name'] == 'JSONError', body
        assert error['message'].startswith(message), body
        assert reply.json()['result'] is None
    wrong_type = raw_call(session, base, '{}', content_type='text/plain').json()['error']
    assert wrong_type['code'] == 905


def test_response_envelope(emu):
    session, base = raw_session(emu)
    reply = raw_call(session, base, {'method': 'ping', 'params': [[], {'version': '2.253'}],
                                     'id': 7}).json()
    assert reply['id'] == 7 and reply['error'] is None
    assert reply['principal'] == f'admin@{emu.realm}' and reply['version'] == '4.12.2'


def test_expire_sessions_gives_401(emu, client):
    client.ping()
    emu.expire_sessions()
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()
    client.login(emu.username, emu.password)
    client.ping()


def test_session_max_calls(emu, client):
    emu.session_max_calls = 2
    client.ping()
    client.ping()
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()
    with pytest.raises(ipa_exc.Unauthorized):   # the session is gone, not just throttled
        client.ping()
    client.login(emu.username, emu.password)
    client.ping()
    assert emu.stats['unauthorized'] == 2 and emu.stats['logins'] == 2


def test_session_logout(emu, client):
    client.logout()
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()


def test_down_is_503_for_calls_and_logins(emu, client):
    emu.down = True
    with pytest.raises(ipa_exc.FreeIPAError) as info:
        client.ping()
    assert info.value.code == 503 and not isinstance(info.value, ipa_exc.Unauthorized)
    with pytest.raises(ipa_exc.Unauthorized):      # python-freeipa: 503 on login
        new_client(emu, login=False).login(emu.username, emu.password)
    emu.down = False
    client.ping()


def test_pause_and_resume_listening_keep_the_port(emu, client):
    port = emu.port
    emu.pause_listening()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.ping()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(('127.0.0.1', port), timeout=2).close()
    emu.resume_listening()
    assert emu.port == port
    assert client.ping()['summary']        # same session cookie, new connection


def test_latency_is_slept_outside_the_lock(emu):
    clients = [new_client(emu) for _ in range(4)]
    emu.latency = 0.4
    errors = []

    def work(c):
        try:
            c.ping()
        except Exception as exc:   # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert not errors
    assert 0.4 <= elapsed < 1.2     # four calls overlapped


def test_concurrent_deletes(emu):
    for i in range(20):
        emu.add_host(f'vm{i}.example.test')
        emu.add_record('example.test', f'vm{i}', 'A', f'192.0.2.{100 + i}')
        emu.add_record(REVZONE, str(100 + i), 'PTR', f'vm{i}.example.test.')
    clients = [new_client(emu) for _ in range(4)]

    def work(c, start):
        for i in range(start, 20, 4):
            c._request('host_del', [f'vm{i}.example.test'], {'updatedns': True})

    threads = [threading.Thread(target=work, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert emu.hosts() == ['ipa.example.test']
    assert set(emu.records(REVZONE)) == {'@'}
    assert emu.stats['calls']['host_del'] == 20


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


# -- services and managedby ---------------------------------------------------------------

VIP = 'vip.internalapi.example.test'
HTTP_VIP = f'HTTP/{VIP}@EXAMPLE.TEST'


def add_cluster(emu):
    """ctl0/ctl1 and a VIP host, all in DNS (service_add without force checks DNS)."""
    emu.add_zone('internalapi.example.test')
    for n, fqdn in enumerate(('ctl0.example.test', 'ctl1.example.test', VIP)):
        emu.add_host(fqdn)
        zone = 'internalapi.example.test' if fqdn == VIP else 'example.test'
        emu.add_record(zone, fqdn.split('.', 1)[0], 'A', f'192.0.2.{200 + n}')


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
    assert result['dn'] == f'krbprincipalname={HTTP_VIP},cn=services,cn=accounts,dc=example,dc=test'
    assert 'managedby_host' not in client.service_show(HTTP_VIP, o_no_members=True)['result']

    with pytest.raises(ipa_exc.NotFound) as info:
        client.service_show('HTTP/nothing.example.test')
    assert str(info.value) == 'HTTP/nothing.example.test@EXAMPLE.TEST: service not found'

    client.service_add('nfs/ctl0.example.test')
    found = client.service_find(VIP)
    assert found['count'] == 1 and found['summary'] == '1 service matched'
    assert found['result'][0]['krbprincipalname'] == [HTTP_VIP]
    assert 'managedby_host' not in found['result'][0]              # no_members by default
    assert client.service_find(VIP, o_no_members=False)['result'][0]['managedby_host'] == [VIP]
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
