"""The OpenStack emulator's glance, checked with glanceclient over verified TLS."""

import uuid

import glanceclient
import jsonschema
import pytest
from glanceclient import exc as glance_exc

from tests.emulators.openstack.clients import IMAGE


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
