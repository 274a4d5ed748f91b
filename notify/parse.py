"""Pure parsing: (event_type, payload) -> typed event.

Nothing here does I/O. A notification this module does not know returns None; one
it knows but cannot understand raises BadNotification saying what is wrong.
"""

import ipaddress

from notify import events
from notify.errors import BadNotification, shown

LEGACY_DELETE = 'compute.instance.delete.end'
VERSIONED_DELETE = 'instance.delete.end'
FIP_CREATE = 'floatingip.create.end'
FIP_UPDATE = 'floatingip.update.end'
FIP_DELETE = 'floatingip.delete.end'
NOVA_NETWORK_ASSOCIATE = 'network.floating_ip.associate'
NOVA_NETWORK_DISASSOCIATE = 'network.floating_ip.disassociate'

# Versioned payload classes we understand, with the major version we understand.
VERSIONED_PAYLOADS = {'InstanceActionPayload': 1}


def _field(payload, name, types, required=True, where='payload'):
    value = payload.get(name)
    if value is None:
        if required:
            raise BadNotification(f'{where} has no {name}')
        return None
    if not isinstance(value, types):
        raise BadNotification(f'{where} field {name} is {type(value).__name__}, '
                              f'not {_names(types)}')
    return value


def _names(types):
    if isinstance(types, tuple):
        return ' or '.join(t.__name__ for t in types)
    return types.__name__


def _text(payload, name, where='payload', required=True):
    value = _field(payload, name, str, required=required, where=where)
    if required and not value.strip():
        raise BadNotification(f'{where} field {name} is empty')
    return value


def _string_map(value, name):
    """Metadata as a {str: str} dict; very old nova sent a list of {key, value}."""
    if value is None:
        return {}
    if isinstance(value, list):
        try:
            value = {item['key']: item['value'] for item in value}
        except (TypeError, KeyError):
            raise BadNotification(f'payload field {name} is a list that is not '
                                  f'made of {{key, value}} items') from None
    if not isinstance(value, dict):
        raise BadNotification(f'payload field {name} is {type(value).__name__}, '
                              f'not an object')
    return {str(k): v for k, v in value.items()}


def _legacy_addresses(payload):
    fixed = payload.get('fixed_ips') or []
    if not isinstance(fixed, list):
        return ()
    return tuple(ip['address'] for ip in fixed
                 if isinstance(ip, dict) and isinstance(ip.get('address'), str))


def parse_legacy_delete(payload):
    """nova's unversioned ``compute.instance.delete.end``."""
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    return events.InstanceDeleted(
        instance_id=_text(payload, 'instance_id'),
        hostname=_text(payload, 'hostname'),
        project_id=_text(payload, 'tenant_id'),
        metadata=_string_map(payload.get('metadata'), 'metadata'),
        image_id=_image_id_from_url(payload.get('image_ref_url')),
        image_properties=_string_map(payload.get('image_meta'), 'image_meta'),
        ip_addresses=_legacy_addresses(payload),
        launched_at=payload.get('launched_at') or None,
        deleted_at=payload.get('deleted_at') or None,
        source='legacy',
    )


def _image_id_from_url(url):
    if not isinstance(url, str) or not url:
        return None
    return url.rstrip('/').rsplit('/', 1)[-1] or None


def versioned_data(payload):
    """Check a versioned payload's envelope and return its ``nova_object.data``."""
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    name = payload.get('nova_object.name')
    version = payload.get('nova_object.version')
    if name not in VERSIONED_PAYLOADS:
        raise BadNotification(f'payload object is {shown(name)}, not one of '
                              f'{sorted(VERSIONED_PAYLOADS)}')
    if not isinstance(version, str):
        raise BadNotification(f'{name} has no nova_object.version')
    major = version.split('.', 1)[0]
    if major != str(VERSIONED_PAYLOADS[name]):
        raise BadNotification(f'{name} version {version} has an unknown major version '
                              f'(understood: {VERSIONED_PAYLOADS[name]}.x)')
    data = payload.get('nova_object.data')
    if not isinstance(data, dict):
        raise BadNotification(f'{name} has no nova_object.data object')
    return data


def _versioned_addresses(data):
    result = []
    for ip in data.get('ip_addresses') or []:
        inner = ip.get('nova_object.data') if isinstance(ip, dict) else None
        if isinstance(inner, dict) and isinstance(inner.get('address'), str):
            result.append(inner['address'])
    return tuple(result)


def parse_versioned_delete(payload):
    """nova's versioned ``instance.delete.end`` (InstanceActionPayload 1.x)."""
    data = versioned_data(payload)
    where = 'nova_object.data'
    return events.InstanceDeleted(
        instance_id=_text(data, 'uuid', where),
        hostname=_text(data, 'host_name', where),
        project_id=_text(data, 'tenant_id', where),
        metadata=_string_map(data.get('metadata'), 'metadata'),
        image_id=_text(data, 'image_uuid', where, required=False) or None,
        image_properties=None,
        ip_addresses=_versioned_addresses(data),
        launched_at=data.get('launched_at') or None,
        deleted_at=data.get('deleted_at') or None,
        source='versioned',
    )


def _address(value, name, where='floatingip'):
    if not isinstance(value, str):
        raise BadNotification(f'{where} has no {name}' if value is None else
                              f'{where} field {name} is {type(value).__name__}, not str')
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise BadNotification(f'{where} field {name} {shown(value)} is not an IP '
                              f'address') from None
    if getattr(address, 'scope_id', None):
        raise BadNotification(f'{where} field {name} {shown(value)} has a scope: not a '
                              f'floating IP')
    return str(address)


def _floatingip(payload):
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    fip = payload.get('floatingip')
    if not isinstance(fip, dict):
        raise BadNotification('payload has no floatingip object')
    return fip


def _optional_text(obj, name, where):
    return _field(obj, name, str, required=False, where=where) or None


def _neutron_association(fip):
    """Associated when the floating IP has a port, else released."""
    where = 'floatingip'
    address = _address(fip.get('floating_ip_address'), 'floating_ip_address')
    port_id = _optional_text(fip, 'port_id', where)
    project_id = (_optional_text(fip, 'project_id', where)
                  or _optional_text(fip, 'tenant_id', where))
    fip_id = _optional_text(fip, 'id', where)
    if port_id is None:
        return events.FloatingIPReleased(address, fip_id, project_id, 'disassociated')
    details = fip.get('port_details')
    details = details if isinstance(details, dict) else {}
    return events.FloatingIPAssociated(
        floating_ip=address, port_id=port_id,
        instance_id=_optional_text(details, 'device_id', 'port_details'),
        device_owner=_optional_text(details, 'device_owner', 'port_details'),
        project_id=project_id, floatingip_id=fip_id)


def parse_fip_create(payload):
    """``floatingip.create.end``: acts only when created already associated."""
    event = _neutron_association(_floatingip(payload))
    return event if isinstance(event, events.FloatingIPAssociated) else None


def parse_fip_update(payload):
    """``floatingip.update.end``: associate, disassociate or move to another port."""
    return _neutron_association(_floatingip(payload))


def parse_fip_delete(payload):
    """``floatingip.delete.end``: ``{"floatingip_id", "floatingip": {...}}``;
    very old neutron sends ``{"floatingip_id"}`` alone."""
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    fip_id = _field(payload, 'floatingip_id', str, required=False)
    fip = payload.get('floatingip')
    if fip is None:
        if not fip_id:
            raise BadNotification('payload has neither floatingip nor floatingip_id')
        return events.FloatingIPReleased(None, fip_id, None, 'deleted')
    if not isinstance(fip, dict):
        raise BadNotification(f'payload field floatingip is {type(fip).__name__}')
    where = 'floatingip'
    return events.FloatingIPReleased(
        _address(fip.get('floating_ip_address'), 'floating_ip_address'),
        fip_id or _optional_text(fip, 'id', where),
        _optional_text(fip, 'project_id', where) or _optional_text(fip, 'tenant_id', where),
        'deleted')


def _nova_network(payload):
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    return (_address(payload.get('floating_ip'), 'floating_ip', 'payload'),
            _text(payload, 'instance_id'))


def parse_nova_network_associate(payload):
    address, instance_id = _nova_network(payload)
    return events.FloatingIPAssociated(floating_ip=address, instance_id=instance_id,
                                       device_owner='compute:nova-network',
                                       source='nova-network')


def parse_nova_network_disassociate(payload):
    address, _ = _nova_network(payload)
    return events.FloatingIPReleased(address, reason='disassociated',
                                     source='nova-network')


NOVA, NEUTRON = 'nova', 'neutron'
_A, _R = events.FloatingIPAssociated, events.FloatingIPReleased

# Every event type acted on: its parser, the typed events it can become, and
# the service that publishes it (whose exchange it arrives on).
REGISTRY = {
    LEGACY_DELETE: (parse_legacy_delete, (events.InstanceDeleted,), NOVA),
    VERSIONED_DELETE: (parse_versioned_delete, (events.InstanceDeleted,), NOVA),
    FIP_CREATE: (parse_fip_create, (_A,), NEUTRON),
    FIP_UPDATE: (parse_fip_update, (_A, _R), NEUTRON),
    FIP_DELETE: (parse_fip_delete, (_R,), NEUTRON),
    NOVA_NETWORK_ASSOCIATE: (parse_nova_network_associate, (_A,), NOVA),
    NOVA_NETWORK_DISASSOCIATE: (parse_nova_network_disassociate, (_R,), NOVA),
}
PARSERS = {event_type: entry[0] for event_type, entry in REGISTRY.items()}


def publisher_of(event_type):
    """'nova' or 'neutron': the service whose exchange ``event_type`` comes on."""
    return REGISTRY[event_type][2] if event_type in REGISTRY else NOVA


def event_types_for(event_classes):
    """The notification event types that can become one of ``event_classes``."""
    return sorted(t for t, (_, classes, _) in REGISTRY.items()
                  if any(c in event_classes for c in classes))


def parse(event_type, payload):
    """Turn one notification into a typed event, or None when we do not act on it."""
    parser = PARSERS.get(event_type)
    if parser is None:
        return None
    return parser(payload)
