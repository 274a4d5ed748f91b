"""requests sessions read the environment once per server, with requests' answers."""

import requests

from notify.adapters.environment import read_environment_once


def settings(session, url, verify=True):
    return session.merge_environment_settings(url, {}, None, verify, None)


def test_proxies_and_no_proxy_still_apply_per_server(monkeypatch):
    monkeypatch.setenv('https_proxy', 'http://proxy.example.test:3128')
    monkeypatch.setenv('no_proxy', 'ipa.example.test')
    session = read_environment_once(requests.Session())
    nova = settings(session, 'https://nova.example.test/v2.1/servers')['proxies']
    assert nova['https'] == 'http://proxy.example.test:3128'
    for _ in range(2):
        assert 'https' not in settings(session, 'https://ipa.example.test/ipa')['proxies']


def test_the_environment_is_read_once_per_server(monkeypatch):
    reads = []
    real = requests.utils.get_environ_proxies
    monkeypatch.setattr(requests.sessions, 'get_environ_proxies',
                        lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    session = read_environment_once(requests.Session())
    for path in ('/a', '/b?x=1', '/c'):
        settings(session, 'https://nova.example.test' + path)
    settings(session, 'https://neutron.example.test/v2.0/ports')
    assert len(reads) == 2


def test_a_ca_bundle_from_the_environment_is_kept(monkeypatch, tmp_path):
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(bundle))
    session = read_environment_once(requests.Session())
    assert settings(session, 'https://nova.example.test/')['verify'] == str(bundle)
    # an explicit CA file (our [ipa] ca_cert) wins, as in requests
    assert settings(session, 'https://ipa.example.test/', '/etc/ipa/ca.crt')['verify'] == \
        '/etc/ipa/ca.crt'


def test_a_caller_changing_the_answer_does_not_change_the_next_one(monkeypatch):
    monkeypatch.setenv('https_proxy', 'http://proxy.example.test:3128')
    session = read_environment_once(requests.Session())
    first = settings(session, 'https://nova.example.test/')
    first['proxies']['https'] = 'http://elsewhere:1'
    assert settings(session, 'https://nova.example.test/')['proxies']['https'] == \
        'http://proxy.example.test:3128'


def test_per_request_proxies_and_trust_env_off_are_left_to_requests(monkeypatch):
    monkeypatch.setenv('https_proxy', 'http://proxy.example.test:3128')
    session = read_environment_once(requests.Session())
    explicit = session.merge_environment_settings(
        'https://nova.example.test/', {'https': 'http://mine:8080'}, None, True, None)
    assert explicit['proxies']['https'] == 'http://mine:8080'
    session.trust_env = False
    assert settings(session, 'https://nova.example.test/')['proxies'] == {}
