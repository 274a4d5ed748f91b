"""The parser is total: whatever JSON arrives, in any field of any event the daemon
takes, ``parse`` returns a typed event whose fields have their declared types, None
(not ours), or raises BadNotification; never anything else (which oslo.messaging
would requeue at once, for ever).

Every payload starts from a real sample (tests/fixtures/samples, or nova's legacy
format as tests/payloads builds it), then one or several fields, nested ones too,
are replaced by arbitrary JSON or removed; wholly arbitrary payloads too.
"""

import copy
import ipaddress
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from notify import decide, events, parse
from notify.errors import BadNotification
from tests import payloads, samples

# Bounded so the unit suite stays fast; NOVAJOIN_PROPERTY_EXAMPLES=2000 for a long run.
BOUNDED = settings(max_examples=int(os.environ.get('NOVAJOIN_PROPERTY_EXAMPLES', 60)),
                   deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])

# -- the real samples every event type starts from ------------------------------

_NOVA = samples.nova_versioned()
_NEUTRON = samples.neutron()
_ENROLLED = {'ipa_enroll': 'true', 'compact_services': '{"http": ["internal_api"]}',
             'managed_service_haproxy': 'haproxy/vip.internal_api.example.test'}


def _bases():
    bases = []
    for name in ('instance-delete-end.json', 'instance-delete-end_compute_down.json',
                 'instance-delete-end_not_scheduled.json'):
        bases.append((_NOVA[name]['event_type'], _NOVA[name]['payload']))
    bases.append(payloads.versioned_delete('i-1', 'web1', 'p-1', metadata=_ENROLLED,
                                           image_id='img-1',
                                           addresses=['192.0.2.5', '2001:db8::5']))
    bases.append(payloads.legacy_delete('i-2', 'db1', 'p-2', metadata=_ENROLLED,
                                        image_meta={'ipa_enroll': 'yes'},
                                        addresses=['10.0.0.7', '2001:db8::7']))
    event_type, legacy = payloads.legacy_delete('i-3', 'db3', 'p-3')
    legacy['metadata'] = [{'key': 'ipa_enroll', 'value': 'true'}]
    bases.append((event_type, legacy))
    for sample in _NEUTRON.values():
        fip = copy.deepcopy(sample['payload'])
        bases.append((parse.FIP_UPDATE, fip))
        with_details = copy.deepcopy(fip)
        with_details['floatingip']['port_details'] = {
            'device_id': 'i-9', 'device_owner': 'compute:nova', 'name': '',
            'status': 'ACTIVE', 'mac_address': 'fa:16:3e:00:00:09'}
        bases.append((parse.FIP_CREATE, with_details))
        bases.append((parse.FIP_DELETE, dict(copy.deepcopy(fip),
                                             floatingip_id=fip['floatingip']['id'])))
    bases.append((parse.FIP_DELETE, {'floatingip_id': 'fip-9'}))
    nova_network = {'floating_ip': '192.0.2.77', 'instance_id': 'i-7',
                    'project_id': 'p-7'}
    bases.append((parse.NOVA_NETWORK_ASSOCIATE, nova_network))
    bases.append((parse.NOVA_NETWORK_DISASSOCIATE, nova_network))
    return bases


BASES = _bases()


def test_every_event_type_has_a_sample_that_parses():
    parsed = {event_type for event_type, payload in BASES
              if parse.parse(event_type, copy.deepcopy(payload)) is not None}
    assert parsed == set(parse.REGISTRY)


# -- arbitrary JSON ------------------------------------------------------------

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
            | st.text(max_size=20))
JSON = st.recursive(
    _SCALARS,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
# Shapes that broke the parser before, and near misses of valid ones.
_NEAR = st.sampled_from([
    None, 0, -1, 1.5, True, False, '', ' ', 'x', '192.0.2.1', 'InstanceActionPayload',
    '1.9', [], {}, [1, 2], ['a'], [None], [{}], [[]], [{'key': 1, 'value': 2}],
    [{'key': [], 'value': 'v'}], {'a': 1}, {'a': None}, {'a': ['b']}, {'a': {}},
    ['InstanceActionPayload'], {'nova_object.data': 5}, [{'nova_object.data': []}],
    [{'nova_object.data': {'address': 7}}], [{'address': None}]])
DELETE = object()
VALUES = st.one_of(JSON, _NEAR, st.just(DELETE))


def paths(value, prefix=()):
    """Every place inside ``value``: a tuple of dict keys and list indexes."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, inner in items:
        yield prefix + (key,)
        yield from paths(inner, prefix + (key,))


def put(payload, path, value):
    """Replace (or with DELETE remove) what is at ``path``, if it is still there."""
    parent = payload
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    key = path[-1]
    if isinstance(parent, dict) and isinstance(key, str):
        if value is DELETE:
            parent.pop(key, None)
        else:
            parent[key] = value
    elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        if value is DELETE:
            del parent[key]
        else:
            parent[key] = value


@st.composite
def mutated(draw, bases=BASES):
    event_type, base = draw(st.sampled_from(bases))
    payload = copy.deepcopy(base)
    places = list(paths(payload))
    for path in draw(st.lists(st.sampled_from(places), min_size=1, max_size=4)):
        put(payload, path, draw(VALUES))
    return event_type, payload


# -- the property ----------------------------------------------------------------

def _is_text(value, empty=False):
    return isinstance(value, str) and (empty or bool(value.strip()))


def _optional_text(value):
    return value is None or isinstance(value, str)


def _string_map(value):
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _check_instance(event):
    assert _is_text(event.instance_id) and _is_text(event.hostname)
    assert _is_text(event.project_id)
    assert _string_map(event.metadata)
    assert event.image_properties is None or _string_map(event.image_properties)
    assert _optional_text(event.image_id)
    assert isinstance(event.ip_addresses, tuple)
    assert all(isinstance(a, str) for a in event.ip_addresses)
    assert _optional_text(event.launched_at) and _optional_text(event.deleted_at)
    # What the handlers then do with the metadata must not fail either.
    decide.is_enrolled(event.metadata, event.image_properties)
    decide.subhosts('web1.example.test', event.metadata, 'example.test')
    decide.managed_services(event.metadata, 'example.test')


def _check_floating_ip(event):
    if event.floating_ip is not None:
        assert str(ipaddress.ip_address(event.floating_ip)) == event.floating_ip
    for name in ('floatingip_id', 'project_id', 'port_id', 'instance_id', 'device_owner'):
        assert _optional_text(getattr(event, name, None)), name
    if isinstance(event, events.FloatingIPAssociated):
        assert event.floating_ip is not None


def assert_total(event_type, payload):
    try:
        event = parse.parse(event_type, payload)
    except BadNotification as exc:
        assert str(exc).strip(), 'a BadNotification must say what is wrong'
        return None
    if event is None:
        return None
    assert isinstance(event, parse.REGISTRY[event_type][1]), (event_type, event)
    if isinstance(event, events.InstanceDeleted):
        _check_instance(event)
    else:
        _check_floating_ip(event)
    return event


@BOUNDED
@given(mutated(bases=[b for b in BASES if b[0] == parse.VERSIONED_DELETE]))
def test_versioned_delete_with_fields_replaced(message):
    assert_total(*message)


@BOUNDED
@given(mutated(bases=[b for b in BASES if b[0] == parse.LEGACY_DELETE]))
def test_legacy_delete_with_fields_replaced(message):
    assert_total(*message)


@BOUNDED
@given(mutated(bases=[b for b in BASES if b[0] not in (parse.LEGACY_DELETE,
                                                       parse.VERSIONED_DELETE)]))
def test_floating_ip_events_with_fields_replaced(message):
    assert_total(*message)


@BOUNDED
@given(st.sampled_from(sorted(parse.REGISTRY)), st.one_of(JSON, _NEAR))
def test_wholly_arbitrary_payloads(event_type, payload):
    assert_total(event_type, payload)


@BOUNDED
@given(st.sampled_from(sorted(parse.REGISTRY)),
       st.dictionaries(st.sampled_from(['nova_object.name', 'nova_object.version',
                                        'nova_object.data', 'floatingip', 'floatingip_id',
                                        'floating_ip', 'instance_id', 'hostname',
                                        'tenant_id', 'metadata', 'image_meta',
                                        'fixed_ips']),
                       VALUES.filter(lambda v: v is not DELETE), max_size=6))
def test_arbitrary_objects_with_the_known_field_names(event_type, payload):
    assert_total(event_type, payload)


@BOUNDED
@given(st.one_of(JSON, _NEAR), JSON)
def test_arbitrary_event_types_are_not_ours(event_type, payload):
    assert parse.parse(event_type, payload) is None


def _deep(depth, leaf):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_values_in_every_field():
    deep = _deep(100_000, {'address': '192.0.2.1'})
    for event_type, base in BASES:
        for path in list(paths(base)):
            payload = copy.deepcopy(base)
            put(payload, path, deep)
            assert_total(event_type, payload)
        assert_total(event_type, deep)
