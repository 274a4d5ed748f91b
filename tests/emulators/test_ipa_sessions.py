"""The IPA emulator's sessions as FreeIPA and the Apache in front of it end
them, and its login refusals (X-IPA-Rejection-Reason), as python-freeipa sees
them; and the latency of a request and of a batch's entries."""

import time

import pytest
import requests
from python_freeipa import exceptions as ipa_exc

from tests.emulators.ipa import batch as ipa_batch
from tests.emulators.ipa import transport as ipa_transport
from tests.emulators.ipa_testlib import new_client, raw_call, raw_session


def test_an_unknown_session_is_apaches_401_negotiate(emu, client):
    client.ping()
    emu.expire_sessions()
    base = f'https://{emu.server}/ipa'
    reply = requests.post(f'{base}/session/json', json={'method': 'ping', 'params': [[], {}]},
                          headers={'Referer': base,
                                   'Cookie': 'ipa_session=MagBearerToken=forgotten'},
                          verify=emu.ca_path)
    assert reply.status_code == 401
    assert reply.headers['WWW-Authenticate'] == 'Negotiate'
    assert reply.headers['Content-Type'].startswith('text/html')
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()
    assert emu.stats['unauthorized'] == 2 and emu.stats['calls']['ping'] == 1


def test_expired_credentials_are_an_empty_401_that_clears_the_cookie(emu, client):
    session, base = raw_session(emu)
    emu.expire_sessions(credentials_only=True)
    reply = raw_call(session, base, {'method': 'ping', 'params': [[], {}]})
    assert reply.status_code == 401 and reply.content == b''
    assert reply.headers['Set-Cookie'].startswith('ipa_session=MagBearerToken=;')
    assert 'WWW-Authenticate' not in reply.headers
    with pytest.raises(ipa_exc.Unauthorized):
        client.ping()
    again = raw_call(session, base, {'method': 'ping', 'params': [[], {}]})
    assert again.status_code == 401 and again.headers['WWW-Authenticate'] == 'Negotiate'
    client.login(emu.username, emu.password)
    client.ping()


def test_login_refusals_carry_the_rejection_reason(emu):
    url = f'https://{emu.server}/ipa/session/login_password'
    ref = {'Referer': url}
    wrong = requests.post(url, data={'user': 'admin', 'password': 'nope'}, headers=ref,
                          verify=emu.ca_path)
    assert wrong.status_code == 401
    assert wrong.headers['X-IPA-Rejection-Reason'] == 'invalid-password'
    emu.password_expired = True
    expired = requests.post(url, data={'user': 'admin', 'password': emu.password},
                            headers=ref, verify=emu.ca_path)
    assert expired.status_code == 401
    assert expired.headers['X-IPA-Rejection-Reason'] == 'password-expired'
    assert 'Cannot read password' in expired.text
    with pytest.raises(ipa_exc.PasswordExpired):
        new_client(emu, login=False).login(emu.username, emu.password)
    with pytest.raises(ipa_exc.InvalidSessionPassword):     # a wrong password stays wrong
        new_client(emu, login=False).login(emu.username, 'nope')
    with pytest.raises(ipa_exc.Denied):
        new_client(emu, login=False).login('a@b@c', emu.password)
    emu.password_expired = False
    new_client(emu).ping()
    assert emu.stats['logins'] == 1 and emu.stats['login_failures'] == 5


def test_entry_latency_is_slept_once_per_command(emu, client, monkeypatch):
    """A lone command costs latency + entry_latency (its own work); a batch costs
    latency once and entry_latency per entry, run one after another."""
    slept = []
    monkeypatch.setattr(ipa_batch.time, 'sleep', slept.append)
    monkeypatch.setattr(ipa_transport.time, 'sleep', slept.append)
    emu.latency, emu.entry_latency = 0.5, 0.25
    reply = client._request('batch', [[{'method': 'ping', 'params': [[], {}]}] * 3],
                            {'version': '2.254'})
    assert reply['count'] == 3
    # the request's part counts from its arrival: what is left of it once read
    assert slept[0] == pytest.approx(0.5, abs=0.1) and slept[1:] == [0.25, 0.25, 0.25]
    del slept[:]
    client._request('ping', [], {'version': '2.254'})
    assert slept == [pytest.approx(0.75, abs=0.1)]


def test_latency_counts_from_the_requests_arrival(emu, client, monkeypatch):
    """The emulator's own work before answering is part of ``latency``, as a real
    server's is of the time it answers in: slow checking does not add to it."""
    client.ping()
    authenticate = emu._authenticate

    def slow(handler):
        time.sleep(0.3)
        return authenticate(handler)

    monkeypatch.setattr(emu, '_authenticate', slow)
    emu.latency = 0.4
    busy = emu.stats['busy_seconds']
    started = time.monotonic()
    client.ping()
    took = time.monotonic() - started
    assert 0.4 <= took < 0.65                              # not 0.3 + 0.4
    assert 0.4 <= emu.stats['busy_seconds'] - busy < 0.65  # held: arrival to answer
