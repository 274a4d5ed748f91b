"""The OpenStack emulator's nova, checked with novaclient over verified TLS."""

import pytest
from novaclient import exceptions as nova_exc

from tests.emulators.openstack import OpenStackEmulator
from tests.emulators.openstack.clients import IMAGE, make_session, nova


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
