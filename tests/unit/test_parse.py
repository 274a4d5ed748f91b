"""The parser over every real sample, plus hand-made legacy payloads and bad input."""

import pytest

from notify import endpoint, events, parse
from notify.errors import BadNotification
from tests import payloads, samples

NOVA = samples.nova_versioned()
DELETE_SAMPLES = ['instance-delete-end.json', 'instance-delete-end_compute_down.json',
                  'instance-delete-end_not_scheduled.json']


def test_all_samples_are_loaded():
    assert len(NOVA) >= 130
    assert set(DELETE_SAMPLES) <= set(NOVA)


@pytest.mark.parametrize('name', sorted(NOVA))
def test_every_nova_sample(name):
    sample = NOVA[name]
    event = parse.parse(sample['event_type'], sample['payload'])
    if name in DELETE_SAMPLES:
        assert isinstance(event, events.InstanceDeleted)
        assert event.instance_id == '178b0921-8f85-4257-88b6-2e743b5a975c'
        assert event.hostname == 'some-server'
        assert event.project_id == '6f70656e737461636b20342065766572'
        assert event.image_id == '155d900f-4e14-4e4c-a73d-069cbf4541e6'
        assert event.image_properties is None  # must be looked up in glance
        assert event.source == 'versioned'
    else:
        assert event is None


@pytest.mark.parametrize('name', sorted(NOVA))
def test_filter_rule_passes_only_what_we_act_on(name):
    sample = NOVA[name]
    rule = endpoint.event_type_filter(parse.PARSERS)
    passed = rule.match({}, sample['publisher_id'], sample['event_type'], {},
                        sample['payload'])
    assert passed == (name in DELETE_SAMPLES)


@pytest.mark.parametrize('name', sorted(samples.neutron()))
def test_neutron_samples_are_not_instance_events(name):
    sample = samples.neutron()[name]
    assert not isinstance(parse.parse(sample['event_type'], sample['payload']),
                          events.InstanceDeleted)


def test_versioned_addresses_and_metadata():
    event_type, payload = payloads.versioned_delete(
        'i-1', 'web1', 'p-1', metadata={'ipa_enroll': 'True'}, image_id='img-1',
        addresses=['192.0.2.5', '2001:db8::5'])
    event = parse.parse(event_type, payload)
    assert event.metadata == {'ipa_enroll': 'True'}
    assert event.ip_addresses == ('192.0.2.5', '2001:db8::5')
    assert event.image_id == 'img-1'


def test_versioned_boot_from_volume_has_no_image():
    event = parse.parse(*payloads.versioned_delete('i-1', 'web1', 'p-1', image_id=''))
    assert event.image_id is None


def test_legacy_delete():
    event = parse.parse(*payloads.legacy_delete(
        'i-2', 'db1', 'p-2', metadata={'role': 'db'}, image_meta={'ipa_enroll': 'yes'},
        image_id='img-2', addresses=['10.0.0.7']))
    assert event == events.InstanceDeleted(
        instance_id='i-2', hostname='db1', project_id='p-2', metadata={'role': 'db'},
        image_id='img-2', image_properties={'ipa_enroll': 'yes'},
        ip_addresses=('10.0.0.7',), launched_at='2026-11-20T09:13:02.000000',
        deleted_at='2026-11-22T10:01:17.000000', source='legacy')


def test_legacy_metadata_as_key_value_list():
    event_type, payload = payloads.legacy_delete('i-3', 'h3', 'p')
    payload['metadata'] = [{'key': 'ipa_enroll', 'value': 'true'}]
    assert parse.parse(event_type, payload).metadata == {'ipa_enroll': 'true'}


def test_legacy_without_image_meta_has_empty_properties():
    event_type, payload = payloads.legacy_delete('i-3', 'h3', 'p')
    del payload['image_meta']
    assert parse.parse(event_type, payload).image_properties == {}


def _legacy(**changes):
    event_type, payload = payloads.legacy_delete('i-4', 'h4', 'p-4')
    payload.update(changes)
    return event_type, {k: v for k, v in payload.items() if v != 'DROP'}


@pytest.mark.parametrize('changes, words', [
    (dict(hostname='DROP'), 'has no hostname'),
    (dict(hostname=None), 'has no hostname'),
    (dict(hostname=''), 'hostname is empty'),
    (dict(hostname=42), 'hostname is int, not str'),
    (dict(instance_id=['x']), 'instance_id is list'),
    (dict(tenant_id='DROP'), 'has no tenant_id'),
    (dict(metadata='ipa_enroll=true'), 'metadata is str, not an object'),
    (dict(metadata=[1, 2]), 'metadata is a list'),
    (dict(image_meta=7), 'image_meta is int'),
])
def test_legacy_bad_input(changes, words):
    with pytest.raises(BadNotification, match=words):
        parse.parse(*_legacy(**changes))


@pytest.mark.parametrize('payload', [None, 'a string', 17, [1, 2]])
def test_payload_not_an_object(payload):
    for event_type in parse.PARSERS:
        with pytest.raises(BadNotification, match='payload is'):
            parse.parse(event_type, payload)


def test_versioned_unknown_major_version():
    event_type, payload = payloads.versioned_delete('i-5', 'h5', 'p')
    payload['nova_object.version'] = '2.0'
    with pytest.raises(BadNotification, match='unknown major version'):
        parse.parse(event_type, payload)


def test_versioned_newer_minor_version_is_understood():
    event_type, payload = payloads.versioned_delete('i-5', 'h5', 'p')
    payload['nova_object.version'] = '1.99'
    assert parse.parse(event_type, payload).instance_id == 'i-5'


@pytest.mark.parametrize('mutate, words', [
    (lambda p: p.pop('nova_object.data'), 'no nova_object.data'),
    (lambda p: p.update({'nova_object.name': 'FlavorPayload'}), "'FlavorPayload'"),
    (lambda p: p.pop('nova_object.version'), 'no nova_object.version'),
    (lambda p: p['nova_object.data'].update(host_name=None), 'has no host_name'),
    (lambda p: p['nova_object.data'].update(uuid=5), 'uuid is int'),
    (lambda p: p['nova_object.data'].update(metadata='x'), 'metadata is str'),
])
def test_versioned_bad_input(mutate, words):
    event_type, payload = payloads.versioned_delete('i-6', 'h6', 'p')
    mutate(payload)
    with pytest.raises(BadNotification, match=words):
        parse.parse(event_type, payload)


# -- floating IPs --------------------------------------------------------------

NEUTRON = samples.neutron()


def test_neutron_sample_associate():
    sample = NEUTRON['floatingip.update.end_associate.json']
    event = parse.parse(sample['event_type'], sample['payload'])
    assert event == events.FloatingIPAssociated(
        floating_ip='192.168.5.201', port_id='289ed46b-274c-444d-9fd4-bddf8acc7d7c',
        project_id='c97027dd880d4c129ae7a4ba7edade05',
        floatingip_id='f38ff2b6-cd4d-433e-8a9c-9e00dfc05b1e')


def test_neutron_sample_disassociate():
    sample = NEUTRON['floatingip.update.end_disassociate.json']
    event = parse.parse(sample['event_type'], sample['payload'])
    assert event == events.FloatingIPReleased(
        '192.168.5.201', 'f38ff2b6-cd4d-433e-8a9c-9e00dfc05b1e',
        'c97027dd880d4c129ae7a4ba7edade05', 'disassociated')


def fip(**changes):
    base = {'id': 'fip-1', 'floating_ip_address': '198.51.100.7', 'port_id': 'port-1',
            'fixed_ip_address': '10.0.0.3', 'project_id': 'p-1', 'tenant_id': 'p-1',
            'router_id': 'r-1', 'floating_network_id': 'n-1', 'status': 'ACTIVE'}
    base.update(changes)
    return {'floatingip': base}


def test_create_with_port_and_port_details():
    payload = fip(port_details={'device_id': 'i-1', 'device_owner': 'compute:nova',
                                'name': '', 'status': 'ACTIVE'})
    event = parse.parse('floatingip.create.end', payload)
    assert (event.instance_id, event.device_owner, event.port_id) == \
        ('i-1', 'compute:nova', 'port-1')


def test_create_without_port_is_nothing_to_do():
    assert parse.parse('floatingip.create.end', fip(port_id=None,
                                                    fixed_ip_address=None)) is None


def test_ipv6_floating_ip_is_normalised():
    event = parse.parse('floatingip.update.end',
                        fip(floating_ip_address='2001:DB8:0:0::7'))
    assert event.floating_ip == '2001:db8::7'


def test_delete_with_object_and_with_id_alone():
    event = parse.parse('floatingip.delete.end', {'floatingip_id': 'fip-1', **fip()})
    assert event == events.FloatingIPReleased('198.51.100.7', 'fip-1', 'p-1', 'deleted')
    old = parse.parse('floatingip.delete.end', {'floatingip_id': 'fip-9'})
    assert old == events.FloatingIPReleased(None, 'fip-9', None, 'deleted')


def test_nova_network_events():
    payload = {'floating_ip': '192.0.2.77', 'instance_id': 'i-7'}
    assoc = parse.parse('network.floating_ip.associate', payload)
    assert (assoc.floating_ip, assoc.instance_id, assoc.source) == \
        ('192.0.2.77', 'i-7', 'nova-network')
    released = parse.parse('network.floating_ip.disassociate', payload)
    assert released.floating_ip == '192.0.2.77' and released.source == 'nova-network'


@pytest.mark.parametrize('event_type, payload, words', [
    ('floatingip.update.end', {}, 'no floatingip object'),
    ('floatingip.update.end', {'floatingip': 'x'}, 'no floatingip object'),
    ('floatingip.update.end', fip(floating_ip_address='300.1.1.1'), 'not an IP address'),
    ('floatingip.update.end', fip(floating_ip_address=None), 'no floating_ip_address'),
    ('floatingip.update.end', fip(port_id=5), 'port_id is int'),
    ('floatingip.delete.end', {}, 'neither floatingip nor floatingip_id'),
    ('floatingip.delete.end', {'floatingip': []}, 'floatingip is list'),
    ('network.floating_ip.associate', {'floating_ip': 'x', 'instance_id': 'i'},
     'not an IP address'),
    ('network.floating_ip.associate', {'floating_ip': '192.0.2.1'}, 'has no instance_id'),
])
def test_floating_ip_bad_input(event_type, payload, words):
    with pytest.raises(BadNotification, match=words):
        parse.parse(event_type, payload)


def test_event_types_for_handled_classes():
    assert parse.event_types_for({events.InstanceDeleted}) == [
        'compute.instance.delete.end', 'instance.delete.end']
    assert 'floatingip.update.end' in parse.event_types_for({events.FloatingIPReleased})


# -- shapes that once escaped as TypeError (see test_parse_properties.py) --------

def _versioned(**data_changes):
    event_type, payload = payloads.versioned_delete('i-8', 'h8', 'p', addresses=['192.0.2.8'])
    payload['nova_object.data'].update(data_changes)
    return event_type, payload


@pytest.mark.parametrize('message, words', [
    (_versioned(), None),
    ((lambda m: (m[0], dict(m[1], **{'nova_object.name': ['InstanceActionPayload']})))(
        _versioned()), 'nova_object.name is list, not str'),
    (_versioned(ip_addresses=5), 'ip_addresses is int, not a list'),
    (_versioned(ip_addresses=[5]), 'not an IpPayload object'),
    (_versioned(ip_addresses=[{'nova_object.data': {'address': 7}}]), 'address is int'),
    (_versioned(metadata=[1, 2]), 'metadata is a list that is not made of'),
    (_versioned(metadata=7), 'metadata is int, not an object'),
    (_versioned(metadata={'ipa_enroll': True}), "metadata key 'ipa_enroll' is bool"),
    (_versioned(metadata={'ipa_enroll': ['true']}), "key 'ipa_enroll' is list, not str"),
    (_versioned(launched_at=['2026']), 'launched_at is list, not str'),
    (_legacy(fixed_ips=3), 'fixed_ips is int, not a list'),
    (_legacy(fixed_ips=['10.0.0.1']), 'fixed_ips has an item that is str'),
    (_legacy(metadata=[{'key': ['k'], 'value': 'v'}]), 'has a key that is list'),
    (_legacy(image_meta={'ipa_enroll': 1}), "image_meta key 'ipa_enroll' is int"),
    (_legacy(image_ref_url=5), 'image_ref_url is int'),
])
def test_malformed_shapes_are_bad_notifications(message, words):
    if words is None:
        assert parse.parse(*message).ip_addresses == ('192.0.2.8',)
        return
    with pytest.raises(BadNotification, match=words):
        parse.parse(*message)


def test_null_metadata_values_are_left_out():
    event = parse.parse(*_legacy(metadata={'ipa_enroll': 'true', 'empty': None},
                                 image_meta={'ipa_enroll': None, 'os': 'x'}))
    assert event.metadata == {'ipa_enroll': 'true'}
    assert event.image_properties == {'os': 'x'}


def test_event_type_that_is_not_text_is_not_ours():
    assert parse.parse(['instance.delete.end'], {}) is None
    assert parse.parse(None, {}) is None


def test_legacy_boot_from_volume_has_no_image():
    event = parse.parse(*_legacy(image_ref_url='http://192.0.2.10:9292/images/'))
    assert event.image_id is None
