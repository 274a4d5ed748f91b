"""IPA commands sent with urllib3 on python-freeipa's session answer exactly as
python-freeipa's own requests path does: results, IPA errors, 401, cookies, TLS."""

import pytest
import requests
from python_freeipa import exceptions as ipa_exc

from notify import compat
from notify.adapters import ipa_rpc
from notify.adapters.ipa import IPAClient
from tests.emulators import tls
from tests.emulators.ipa import IPAEmulator
from tests.emulators.ipa_testlib import new_client
from tests.unit.test_ipa_errors import FakeClient, World

TIMEOUT = 10.0


@pytest.fixture
def emu(monkeypatch):
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'https_proxy', 'HTTPS_PROXY',
                 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(name, raising=False)
    with IPAEmulator() as emulator:
        emulator.add_zone('example.test')
        emulator.add_host('web1.example.test', description='IPA host for OpenStack')
        yield emulator
    assert emulator.internal_errors == []


def outcome(call, *args):
    try:
        return 'ok', call(*args)
    except Exception as exc:
        return type(exc), getattr(exc, 'code', None), str(exc)


COMMANDS = [
    ('host_show', ['web1.example.test'], {'all': True}),
    ('host_show', ['nothere.example.test'], {}),                  # NotFound
    ('host_show', [], {}),                                         # RequirementError
    ('host_show', ['web1.example.test'], {'no_such_option': 1}),   # OptionError
    ('no_such_command', [], {}),                                   # CommandError
    ('host_del', ['web1.example.test'], {}),                       # ACIError (denied)
    ('batch', [[{'method': 'host_show', 'params': [['web1.example.test'], {}]},
                {'method': 'host_show', 'params': [['x.example.test'], {}]}]], {}),
    ('ping', [], {}),
]


@pytest.mark.parametrize('method, args, options', COMMANDS)
def test_every_answer_is_the_one_python_freeipa_gives(emu, method, args, options):
    emu.deny('host_del')
    client = new_client(emu)
    rpc = ipa_rpc.for_client(client, emu.ca_path)
    assert rpc is not None
    ours = outcome(rpc.call, method, args, options, TIMEOUT)
    theirs = outcome(client._request, method, list(args), dict(options))
    assert ours == theirs
    assert emu.stats['logins'] == 1     # both on the one session python-freeipa opened


def test_an_expired_session_is_unauthorized_and_the_cleared_cookie_is_kept(emu):
    client = new_client(emu)
    rpc = ipa_rpc.for_client(client, emu.ca_path)
    assert rpc.call('ping', [], {}, TIMEOUT)
    emu.expire_sessions(credentials_only=True)     # 401 that clears the cookie
    with pytest.raises(ipa_exc.Unauthorized):
        rpc.call('ping', [], {}, TIMEOUT)
    assert client._session.cookies.get('ipa_session', path='/ipa') == 'MagBearerToken='
    client.login(emu.username, emu.password)       # what IPAClient does next
    rpc.session_changed()
    assert rpc.call('ping', [], {}, TIMEOUT)
    assert emu.stats['logins'] == 2


def test_tls_is_verified_against_the_configured_ca(emu, tmp_path):
    client = new_client(emu)
    other = tls.TestCA(directory=str(tmp_path))         # a CA that did not sign emu's
    rpc = ipa_rpc.for_client(client, other.ca_path)
    with pytest.raises(requests.exceptions.SSLError):
        rpc.call('ping', [], {}, TIMEOUT)
    assert ipa_rpc.for_client(client, emu.ca_path).call('ping', [], {}, TIMEOUT)


def test_an_unreachable_server_is_requests_connection_error(emu):
    client = new_client(emu)
    rpc = ipa_rpc.for_client(client, emu.ca_path)
    rpc.call('ping', [], {}, TIMEOUT)
    rpc.close()
    emu.pause_listening()
    try:
        with pytest.raises(requests.exceptions.ConnectionError) as caught:
            rpc.call('ping', [], {}, TIMEOUT)
        assert isinstance(caught.value, OSError)   # sorted as transient by IPAClient
    finally:
        emu.resume_listening()


def test_requests_keeps_sending_where_a_proxy_applies_or_the_client_is_not_python_freeipas(
        emu, monkeypatch):
    client = new_client(emu)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example.test:3128')
    assert ipa_rpc.for_client(client, emu.ca_path) is None
    monkeypatch.setenv('NO_PROXY', emu.server.split(':')[0])
    assert ipa_rpc.for_client(client, emu.ca_path) is not None
    assert ipa_rpc.for_client(FakeClient(World(), 'ipa1.example.test'), emu.ca_path) is None


def test_the_ipa_client_sends_its_commands_on_this_path(emu, monkeypatch):
    def not_this_way(*args):
        raise AssertionError('a command went through python-freeipa\'s requests path')
    monkeypatch.setattr(compat, 'ipa_request', not_this_way)
    ipa = IPAClient([emu.server], emu.ca_path, emu.username, emu.password)
    assert ipa.call('host_show', 'web1.example.test')['result']['fqdn'] == ['web1.example.test']
    with pytest.raises(ipa_exc.NotFound):
        ipa.call('host_show', 'nothere.example.test')
    emu.expire_sessions()                 # unknown session: 401, a new login, the retry
    assert ipa.call('ping')
    assert emu.stats['logins'] == 2
