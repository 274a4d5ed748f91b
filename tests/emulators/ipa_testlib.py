"""Shared helpers for the IPA emulator's tests (fixtures live in conftest.py)."""

import json

import requests
from python_freeipa import ClientMeta

REVZONE = '2.0.192.in-addr.arpa.'
VIP = 'vip.internalapi.example.test'
HTTP_VIP = f'HTTP/{VIP}@EXAMPLE.TEST'


def new_client(emu, login=True):
    client = ClientMeta(emu.server, verify_ssl=emu.ca_path, dns_discovery=False)
    if login:
        client.login(emu.username, emu.password)
    return client


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


def add_cluster(emu):
    """ctl0/ctl1 and a VIP host, all in DNS (service_add without force checks DNS)."""
    emu.add_zone('internalapi.example.test')
    for n, fqdn in enumerate(('ctl0.example.test', 'ctl1.example.test', VIP)):
        emu.add_host(fqdn)
        zone = 'internalapi.example.test' if fqdn == VIP else 'example.test'
        emu.add_record(zone, fqdn.split('.', 1)[0], 'A', f'192.0.2.{200 + n}')
