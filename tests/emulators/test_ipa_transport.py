"""The IPA emulator, driven by the real python-freeipa client over HTTPS:
transport, login and sessions.

The emulator is only worth something if it refuses what FreeIPA refuses, so
most tests here check a rejection: error codes, names and messages are the
ones from FreeIPA's ipalib/errors.py and plugins.
"""

import socket
import threading
import time

import pytest
import requests
from python_freeipa import ClientMeta
from python_freeipa import exceptions as ipa_exc

from tests.emulators import tls
from tests.emulators.ipa_testlib import REVZONE, new_client, raw_call, raw_session

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
    for bad in ({}, {'Referer': 'https://evil.example/ipa'}):
        reply = requests.post(url, data={'user': 'admin', 'password': emu.password},
                              headers=bad, verify=emu.ca_path)
        assert reply.status_code == 400 and 'denied' in reply.text
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
    """FreeIPA >= 4.11 (check_referer) answers 400 "denied" before any JSON-RPC."""
    session, base = raw_session(emu)
    for referer in (None, 'https://evil.example/ipa', f'http://{emu.server}/ipa'):
        reply = raw_call(session, base, {'method': 'ping', 'params': [[], {}]},
                         referer=referer or False)
        assert reply.status_code == 400
        assert 'denied' in reply.text
    assert emu.stats['calls'] == {}
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
