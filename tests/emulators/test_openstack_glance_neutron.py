"""The OpenStack emulator's glance and neutron, checked with the real clients
over verified TLS."""

import uuid

import glanceclient
import jsonschema
import pytest
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc

from tests.emulators.openstack import OpenStackEmulator
from tests.emulators.openstack.clients import IMAGE, NETWORK, make_session


@pytest.fixture
def emu():
    with OpenStackEmulator() as e:
        yield e


@pytest.fixture
def sess(emu):
    return make_session(emu)


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
