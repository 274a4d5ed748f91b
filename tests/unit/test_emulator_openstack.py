"""The OpenStack emulator, checked with the real clients over verified TLS."""

import concurrent.futures
import time
import uuid

import glanceclient
import jsonschema
import pytest
import requests
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as keystone_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from tests.emulators.openstack import OpenStackEmulator

IMAGE = '3fc2ba62-9a02-433e-b565-d493ffc69034'
NETWORK = {'service_type': 'network', 'interface': 'public'}


@pytest.fixture
def emu():
    with OpenStackEmulator() as e:
        yield e


def make_session(emu, password='Secret456', **kw):
    auth = v3.Password(auth_url=emu.auth_url, username='novajoin', password=password,
                       project_name=kw.pop('project_name', 'service'),
                       user_domain_name='Default', project_domain_name='Default')
    return ks_session.Session(auth=auth, verify=emu.ca_path)


@pytest.fixture
def sess(emu):
    return make_session(emu)


def nova(sess, version='2.53', interface='internal'):
    return nova_client.Client(version, session=sess, endpoint_type=interface,
                              region_name='RegionOne')


def raw(emu, path, token=None, **headers):
    """A plain GET with TLS verified, no client logic in between."""
    if token:
        headers['X-Auth-Token'] = token
    return requests.get('https://localhost:%d%s' % (emu.port, path), headers=headers,
                        verify=emu.ca_path, timeout=10)


# ---------------------------------------------------------------- keystone


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


# -------------------------------------------------------------------- nova


def test_novaclient_pages_through_everything():
    with OpenStackEmulator(page_size=2) as emu:
        sess = make_session(emu)
        emu.add_project('p-2', 'other')
        for i in range(5):
            emu.add_server('s%d' % i, 'web1', emu.project_id if i % 2 else 'p-2')
        emu.add_server('s9', 'web10', 'p-2')
        client = nova(sess)
        found = client.servers.list(search_opts={'all_tenants': True, 'hostname': '^web1$'},
                                    limit=-1)
        assert sorted(s.id for s in found) == ['s0', 's1', 's2', 's3', 's4']
        # newest first, like nova's created_at desc / id desc
        assert [s.id for s in found] == ['s4', 's3', 's2', 's1', 's0']
        # pages of 2, 2, 1 and the empty page that stops novaclient
        assert emu.stats['paths'][('GET', '/compute/v2.1/servers/detail')] == 4
        # without a limit only one page comes back
        assert len(client.servers.list(search_opts={'all_tenants': True})) == 2
        # a full page carries nova's next link
        body = sess.get('/servers/detail?all_tenants=1', endpoint_filter={
            'service_type': 'compute', 'interface': 'public'}).json()
        [link] = body['servers_links']
        assert link['rel'] == 'next'
        assert link['href'].endswith('/compute/v2.1/servers/detail?all_tenants=1&marker='
                                     + body['servers'][-1]['id'])


def test_nova_regex_filters_are_unanchored(emu, sess):
    for sid, host in (('a', 'db1'), ('b', 'db10'), ('c', 'mydb1'), ('d', 'web1')):
        emu.add_server(sid, host, emu.project_id, name=host.upper())
    client = nova(sess)

    def ids(**opts):
        return sorted(s.id for s in client.servers.list(search_opts=opts, limit=-1))

    assert ids(hostname='db1') == ['a', 'b', 'c']
    assert ids(hostname='^db1$') == ['a']
    assert ids(hostname='^db1(\\..*)?$') == ['a']
    assert ids(name='DB1') == ['a', 'b', 'c']
    assert ids(status='ACTIVE') == ['a', 'b', 'c', 'd']
    emu.set_server('d', status='SHUTOFF')
    emu.set_server('c', status='REBOOT')
    assert ids(status='SHUTOFF') == ['d']
    assert ids(status='REBOOT') == ['c']
    assert ids(status='ACTIVE') == ['a', 'b', 'c']   # a rebooting server is ACTIVE to nova


def test_nova_project_scope(emu, sess):
    emu.add_server('mine', 'h1', emu.project_id)
    emu.add_server('theirs', 'h1', 'p-other')
    client = nova(sess)

    def ids(**opts):
        return sorted(s.id for s in client.servers.list(search_opts=opts, limit=-1))

    assert ids() == ['mine']
    assert ids(tenant_id='p-other') == ['mine']          # ignored without all_tenants
    assert ids(all_tenants=True) == ['mine', 'theirs']
    assert ids(all_tenants=True, tenant_id='p-other') == ['theirs']
    assert ids(all_tenants=True, project_id='p-other') == ['theirs']
    with pytest.raises(nova_exc.BadRequest):
        ids(all_tenants='maybe')


def test_nova_server_views_follow_the_microversion(emu, sess):
    emu.add_server('bfv', 'vol1', emu.project_id, metadata={'ipa_enroll': 'True'})
    emu.add_server('img', 'img1', emu.project_id, image_id=IMAGE,
                   addresses={'private': [{'addr': '10.0.0.5', 'version': 4}]})
    old = nova(sess, '2.1').servers.get('bfv')
    assert not hasattr(old, 'OS-EXT-SRV-ATTR:hostname')
    assert old.image == '' and old.metadata == {'ipa_enroll': 'True'}
    assert getattr(old, 'OS-EXT-STS:vm_state') == 'active'
    assert not hasattr(nova(sess, '2.2').servers.get('bfv'), 'OS-EXT-SRV-ATTR:hostname')
    new = nova(sess, '2.3').servers.get('img')
    assert getattr(new, 'OS-EXT-SRV-ATTR:hostname') == 'img1'
    assert new.image['id'] == IMAGE
    assert new.tenant_id == emu.project_id and new.user_id
    assert new.addresses == {'private': [{'addr': '10.0.0.5', 'version': 4}]}
    for attr in ('flavor', 'created', 'updated', 'status', 'name'):
        assert getattr(new, attr)
    for listed in nova(sess, '2.1').servers.list(limit=-1):
        assert not hasattr(listed, 'OS-EXT-SRV-ATTR:hostname')


def test_nova_microversion_headers(emu, sess):
    ep = {'service_type': 'compute', 'interface': 'public'}
    r = sess.get('/servers', endpoint_filter=ep)
    assert r.headers['OpenStack-API-Version'] == 'compute 2.1'
    assert r.headers['X-OpenStack-Nova-API-Version'] == '2.1'
    assert 'OpenStack-API-Version' in r.headers['Vary']
    r = sess.get('/servers', endpoint_filter=ep,
                 headers={'OpenStack-API-Version': 'compute 2.60'})
    assert r.headers['X-OpenStack-Nova-API-Version'] == '2.60'
    r = sess.get('/servers', endpoint_filter=ep, raise_exc=False,
                 headers={'X-OpenStack-Nova-API-Version': '2.97'})
    assert r.status_code == 406 and r.headers['X-OpenStack-Nova-API-Version'] == '2.97'
    assert 'maximum is 2.96' in r.json()['computeFault']['message']
    r = sess.get('/servers', endpoint_filter=ep, raise_exc=False,
                 headers={'X-OpenStack-Nova-API-Version': '3.0'})
    assert r.status_code == 406
    r = sess.get('/servers', endpoint_filter=ep, raise_exc=False,
                 headers={'X-OpenStack-Nova-API-Version': 'two'})
    assert r.status_code == 400 and 'invalid format' in r.json()['badRequest']['message']


def test_an_older_nova_refuses_a_newer_microversion():
    with OpenStackEmulator(nova_max_version='2.50') as emu:
        sess = make_session(emu)
        with pytest.raises(nova_exc.NotAcceptable):
            nova(sess, '2.53').servers.list()
        assert nova(sess, '2.50').servers.list() == []
        assert emu.stats['paths'][('GET', '/compute/v2.1/servers/detail')] == 2


def test_nova_markers_and_deleted_servers(emu, sess):
    for i in range(3):
        emu.add_server('s%d' % i, 'h%d' % i, emu.project_id)
    client = nova(sess)
    with pytest.raises(nova_exc.BadRequest):
        client.servers.list(marker='nope')
    emu.delete_server('s1')
    assert [s.id for s in client.servers.list(limit=-1)] == ['s2', 's0']
    # a deleted server is still a valid marker, as in nova (read_deleted)
    assert [s.id for s in client.servers.list(marker='s1')] == ['s0']
    with pytest.raises(nova_exc.NotFound):
        client.servers.get('s1')
    assert [s['id'] for s in emu.servers()] == ['s0', 's2']


# ------------------------------------------------------------------ glance


def test_glance_image_with_custom_properties(emu, sess):
    emu.add_image(IMAGE, name='rhel', ipa_enroll='True', os_distro='rhel')
    client = glanceclient.Client('2', session=sess, interface='internal',
                                 region_name='RegionOne')
    image = client.images.get(IMAGE)
    assert image['ipa_enroll'] == 'True' and image.os_distro == 'rhel'
    assert image.name == 'rhel' and image.status == 'active'
    # glanceclient fetched the schema before its first get, and only then
    client.images.get(IMAGE)
    assert emu.stats['paths'][('GET', '/image/v2/schemas/image')] == 1
    assert emu.stats['paths'][('GET', '/image/v2/images/%s' % IMAGE)] == 2
    assert emu.stats['requests']['image'] == 3
    # glance's own schema: custom properties are additional string properties
    schema = client.schemas.get('image').raw()
    assert schema['additionalProperties'] == {'type': 'string'}
    assert 'ipa_enroll' not in schema['properties']
    jsonschema.validate(dict(image), schema)
    with pytest.raises(TypeError):
        emu.add_image(str(uuid.uuid4()), ipa_enroll=True)


def test_glance_deleted_image_is_not_found(emu, sess):
    emu.add_image(IMAGE)
    emu.delete_image(IMAGE)
    client = glanceclient.Client('2', session=sess)
    with pytest.raises(glance_exc.HTTPNotFound):
        client.images.get(IMAGE)
    with pytest.raises(glance_exc.HTTPNotFound):
        client.images.get(str(uuid.uuid4()))


# ----------------------------------------------------------------- neutron


def test_neutron_ports_and_floating_ips(emu, sess):
    emu.add_port('port-1', 'server-1', fixed_ips=['10.0.0.5'])
    emu.add_floatingip('fip-1', '172.24.4.10', port_id='port-1')
    port = sess.get('/v2.0/ports/port-1', endpoint_filter=NETWORK).json()['port']
    assert port['device_id'] == 'server-1' and port['device_owner'] == 'compute:nova'
    assert port['fixed_ips'][0]['ip_address'] == '10.0.0.5'
    assert port['project_id'] == port['tenant_id'] == emu.project_id
    fip = sess.get('/v2.0/floatingips/fip-1', endpoint_filter=NETWORK).json()['floatingip']
    assert (fip['floating_ip_address'], fip['fixed_ip_address']) == ('172.24.4.10', '10.0.0.5')
    ports = sess.get('/v2.0/ports?device_id=server-1', endpoint_filter=NETWORK).json()
    assert [p['id'] for p in ports['ports']] == ['port-1']
    r = sess.get('/v2.0/ports/nope', endpoint_filter=NETWORK, raise_exc=False)
    assert r.status_code == 404 and r.json()['NeutronError']['type'] == 'PortNotFound'
    with pytest.raises(ks_exc.NotFound):
        sess.get('/v2.0/floatingips/nope', endpoint_filter=NETWORK)


# ------------------------------------------------------------------ faults


def test_down_services_answer_503(emu, sess):
    emu.add_image(IMAGE)
    sess.get_token()
    emu.down = {'compute', 'image', 'network'}
    with pytest.raises(nova_exc.ClientException) as err:
        nova(sess).servers.list()
    assert err.value.code == 503
    with pytest.raises(glance_exc.HTTPServiceUnavailable):
        glanceclient.Client('2', session=sess).images.get(IMAGE)
    with pytest.raises(ks_exc.ServiceUnavailable):
        sess.get('/v2.0/ports/x', endpoint_filter=NETWORK)
    # keystone still answers
    assert keystone_client.Client(session=sess).projects.get(emu.project_id).name == 'service'
    emu.down = True
    with pytest.raises(ks_exc.ServiceUnavailable):
        make_session(emu).get_token()
    emu.down = set()
    assert nova(sess).servers.list() == []


def test_concurrent_clients(emu, sess):
    emu.add_image(IMAGE)
    token = sess.get_token()
    emu.latency = 0.05
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda _: raw(emu, '/image/v2/images/' + IMAGE, token).status_code,
                              range(24)))
    assert codes == [200] * 24
    assert emu.stats['requests']['image'] == 24


def test_restart_keeps_port_data_and_tokens(emu, sess):
    emu.add_server('s1', 'web1', emu.project_id)
    client = nova(sess)
    assert len(client.servers.list()) == 1
    port = emu.port
    emu.stop()
    with pytest.raises(ks_exc.ConnectFailure):
        client.servers.list()
    emu.start()
    assert emu.port == port
    assert [s.id for s in client.servers.list()] == ['s1']
    assert emu.stats['token_issues'] == 1


def test_latency_and_stats(emu, sess):
    sess.get_token()
    emu.reset_stats()
    emu.latency = 0.3
    start = time.monotonic()
    nova(sess).servers.list(search_opts={'hostname': 'x'})
    assert time.monotonic() - start >= 0.3
    emu.latency = 0
    assert emu.stats['requests'] == {'compute': 1}
    assert emu.stats['token_issues'] == 0
    assert emu.request_log == [('GET', '/compute/v2.1/servers/detail', 'hostname=x')]
    assert emu.errors == []
