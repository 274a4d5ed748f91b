"""The real clients pointed at an emulator, for the emulator's own tests."""

import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from novaclient import client as nova_client

IMAGE = '3fc2ba62-9a02-433e-b565-d493ffc69034'
NETWORK = {'service_type': 'network', 'interface': 'public'}
COMPUTE = {'service_type': 'compute', 'interface': 'public'}


def make_session(emu, password='Secret456', project_name='service'):
    auth = v3.Password(auth_url=emu.auth_url, username='novajoin', password=password,
                       project_name=project_name,
                       user_domain_name='Default', project_domain_name='Default')
    return ks_session.Session(auth=auth, verify=emu.ca_path)


def nova(sess, version='2.53', interface='internal'):
    return nova_client.Client(version, session=sess, endpoint_type=interface,
                              region_name='RegionOne')


def raw(emu, path, token=None, **headers):
    """A plain GET with TLS verified, no client logic in between."""
    if token:
        headers['X-Auth-Token'] = token
    return requests.get('https://localhost:%d%s' % (emu.port, path), headers=headers,
                        verify=emu.ca_path, timeout=10)
