"""The OpenStack emulator's keystone, and the token checks of every service,
checked with the real clients over verified TLS."""

import pytest
import requests
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as keystone_client

from tests.emulators.openstack import OpenStackEmulator
from tests.emulators.openstack.clients import make_session, nova, raw


def test_password_auth_gives_a_scoped_token_and_full_catalog(emu, sess):
    assert emu.auth_url == 'https://localhost:%d/identity/v3' % emu.port
    access = sess.auth.get_access(sess)
    assert access.project_id == emu.project_id
    assert access.project_name == 'service'
    assert access.user_id == emu.user_id
    assert 'admin' in access.role_names
    for service, suffix in (('identity', '/identity'), ('compute', '/compute/v2.1'),
                            ('image', '/image'), ('network', '/network')):
        for interface in ('public', 'internal', 'admin'):
            url = sess.get_endpoint(service_type=service, interface=interface,
                                    region_name='RegionOne')
            assert url == 'https://localhost:%d%s' % (emu.port, suffix)
    assert emu.stats['token_issues'] == 1


def test_wrong_password_is_unauthorized(emu):
    with pytest.raises(ks_exc.Unauthorized):
        make_session(emu, password='wrong').get_token()
    with pytest.raises(ks_exc.Unauthorized):
        make_session(emu, project_name='nope').get_token()
    assert emu.stats['token_issues'] == 0
    body = requests.post(emu.auth_url + '/auth/tokens', verify=emu.ca_path, json={
        'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'novajoin', 'domain': {'id': 'default'}, 'password': 'x'}}}}}).json()
    assert body == {'error': {'code': 401, 'title': 'Unauthorized',
                              'message': 'The request you have made requires authentication.'}}


def test_version_documents_need_no_token(emu):
    r = raw(emu, '/identity')
    assert r.status_code == 300
    [v] = r.json()['versions']['values']
    assert v['id'].startswith('v3.') and v['links'][0]['href'].endswith('/identity/v3/')
    assert raw(emu, '/identity/v3').json()['version']['status'] == 'stable'
    versions = {v['id']: v for v in raw(emu, '/compute/').json()['versions']}
    assert versions['v2.1']['version'] == '2.96' and versions['v2.1']['min_version'] == '2.1'
    assert raw(emu, '/compute/v2.1').json()['version']['version'] == '2.96'
    assert raw(emu, '/image/').status_code == 300
    assert raw(emu, '/image/versions').json()['versions'][0]['status'] == 'CURRENT'
    assert raw(emu, '/network/').json()['versions'][0]['id'] == 'v2.0'


def test_service_calls_need_a_valid_token(emu, sess):
    token = sess.get_token()
    for path in ('/compute/v2.1/servers/detail', '/image/v2/schemas/image',
                 '/network/v2.0/ports/x', '/identity/v3/projects/%s' % emu.project_id):
        assert raw(emu, path).status_code == 401, path
        assert raw(emu, path, token='gAAAAABbogus').status_code == 401, path
    assert raw(emu, '/compute/v2.1/servers/detail', token).status_code == 200
    r = raw(emu, '/compute/v2.1/servers/detail')
    assert r.headers['WWW-Authenticate'].startswith('Keystone uri=')
    # a token of another emulator is not a token here
    with OpenStackEmulator() as other:
        assert raw(other, '/compute/v2.1/servers/detail', token).status_code == 401


def test_unknown_paths_are_404(emu, sess):
    token = sess.get_token()
    for path in ('/compute/v2.1/nope', '/compute/v2.1/servers/detail/x', '/image/v2/nope',
                 '/network/v2.0/networks', '/identity/v3/users', '/nova', '/'):
        assert raw(emu, path, token).status_code == 404, path
    r = requests.post('https://localhost:%d/compute/v2.1/servers/detail' % emu.port,
                      headers={'X-Auth-Token': token}, verify=emu.ca_path)
    assert r.status_code == 405


def test_expired_tokens_are_renewed_transparently(emu, sess):
    emu.add_server('s1', 'web1', emu.project_id)
    client = nova(sess)
    assert [s.id for s in client.servers.list()] == ['s1']
    emu.expire_tokens()
    assert [s.id for s in client.servers.list()] == ['s1']
    assert emu.stats['token_issues'] == 2
    # the first call after expiry was refused, then retried with the new token
    assert emu.stats['paths'][('GET', '/compute/v2.1/servers/detail')] == 3


def test_keystoneclient_projects_get(emu, sess):
    emu.add_project('p-1', 'tenant-one')
    client = keystone_client.Client(session=sess, interface='internal',
                                    region_name='RegionOne')
    project = client.projects.get('p-1')
    assert (project.id, project.name, project.domain_id) == ('p-1', 'tenant-one', 'default')
    with pytest.raises(ks_exc.NotFound):
        client.projects.get('p-missing')


def test_deleted_project_is_gone_from_keystone_only(emu, sess):
    emu.add_project('p-1', 'tenant-one')
    emu.add_server('s1', 'web1', 'p-1')
    client = keystone_client.Client(session=sess, interface='internal',
                                    region_name='RegionOne')
    emu.delete_project('p-1')
    with pytest.raises(ks_exc.NotFound):
        client.projects.get('p-1')
    assert 'p-1' not in [p.id for p in client.projects.list()]
    # nova keeps the servers of a deleted project
    [server] = nova(sess).servers.list(search_opts={'all_tenants': True}, limit=-1)
    assert (server.id, server.tenant_id) == ('s1', 'p-1')
    assert nova(sess).servers.get('s1').tenant_id == 'p-1'


def test_issued_tokens_outlive_their_expiry(emu, sess):
    first = sess.get_token()
    emu.expire_tokens()
    sess.invalidate()
    second = sess.get_token()
    assert emu.issued_tokens() == [first, second] and first != second
    assert list(emu._tokens) == [second]
