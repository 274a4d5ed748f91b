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


def _type(value):
    """A value's JSON type name, for error messages (never the value itself, which
    may be huge or nested too deep to print)."""
    return type(value).__name__


def _string_map(value, name, where='payload'):
    """Metadata as a {str: str} dict; very old nova sent a list of {key, value}.

    nova's metadata values are strings (system metadata, from which the legacy
    image_meta comes, may hold nulls): a null value is left out, any other
    non-string makes the notification bad, so nothing downstream sees one."""
    if value is None:
        return {}
    if isinstance(value, list):
        pairs = []
        for item in value:
            if not isinstance(item, dict) or 'key' not in item or 'value' not in item:
                raise BadNotification(f'{where} field {name} is a list that is not '
                                      f'made of {{key, value}} items')
            pairs.append((item['key'], item['value']))
    elif isinstance(value, dict):
        pairs = value.items()
    else:
        raise BadNotification(f'{where} field {name} is {_type(value)}, not an object')
    result = {}
    for key, item in pairs:
        if not isinstance(key, str):
            raise BadNotification(f'{where} field {name} has a key that is '
                                  f'{_type(key)}, not str')
        if item is None:
            continue
        if not isinstance(item, str):
            raise BadNotification(f'{where} field {name} key {shown(key)} is '
                                  f'{_type(item)}, not str')
        result[key] = item
    return result


def _list(value, name, where):
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadNotification(f'{where} field {name} is {_type(value)}, not a list')
    return value


def _legacy_addresses(payload):
    addresses = []
    for ip in _list(payload.get('fixed_ips'), 'fixed_ips', 'payload'):
        if not isinstance(ip, dict):
            raise BadNotification(f'payload field fixed_ips has an item that is '
                                  f'{_type(ip)}, not an object')
        addresses.append(_text(ip, 'address', 'fixed_ips item'))
    return tuple(addresses)


def _timestamp(obj, name, where):
    return _field(obj, name, str, required=False, where=where) or None


def parse_legacy_delete(payload):
    """nova's unversioned ``compute.instance.delete.end``."""
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    return events.InstanceDeleted(
        instance_id=_text(payload, 'instance_id'),
        hostname=_text(payload, 'hostname'),
        project_id=_text(payload, 'tenant_id'),
        metadata=_string_map(payload.get('metadata'), 'metadata'),
        image_id=_image_id_from_url(_field(payload, 'image_ref_url', str,
                                           required=False)),
        image_properties=_string_map(payload.get('image_meta'), 'image_meta'),
        ip_addresses=_legacy_addresses(payload),
        launched_at=_timestamp(payload, 'launched_at', 'payload'),
        deleted_at=_timestamp(payload, 'deleted_at', 'payload'),
        source='legacy',
    )


def _image_id_from_url(url):
    """nova writes ``<glance>/images/<image_ref>``; a server booted from a volume
    has no image and its URL ends with ``/images/``."""
    if not url:
        return None
    return url.rsplit('/', 1)[-1] or None


def versioned_data(payload):
    """Check a versioned payload's envelope and return its ``nova_object.data``."""
    if not isinstance(payload, dict):
        raise BadNotification(f'payload is {type(payload).__name__}, not an object')
    name = payload.get('nova_object.name')
    version = payload.get('nova_object.version')
    if not isinstance(name, str):
        raise BadNotification(f'payload field nova_object.name is {_type(name)}, not str')
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
    """The addresses of ``ip_addresses``, a list of IpPayload objects."""
    result = []
    for ip in _list(data.get('ip_addresses'), 'ip_addresses', 'nova_object.data'):
        inner = ip.get('nova_object.data') if isinstance(ip, dict) else None
        if not isinstance(inner, dict):
            raise BadNotification('nova_object.data field ip_addresses has an item that '
                                  'is not an IpPayload object')
        result.append(_text(inner, 'address', 'ip_addresses item'))
    return tuple(result)


def parse_versioned_delete(payload):
    """nova's versioned ``instance.delete.end`` (InstanceActionPayload 1.x)."""
    data = versioned_data(payload)
    where = 'nova_object.data'
    return events.InstanceDeleted(
        instance_id=_text(data, 'uuid', where),
        hostname=_text(data, 'host_name', where),
        project_id=_text(data, 'tenant_id', where),
        metadata=_string_map(data.get('metadata'), 'metadata', where),
        image_id=_text(data, 'image_uuid', where, required=False) or None,
        image_properties=None,
        ip_addresses=_versioned_addresses(data),
        launched_at=_timestamp(data, 'launched_at', where),
        deleted_at=_timestamp(data, 'deleted_at', where),
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
    """Turn one notification into a typed event, or None when we do not act on it.

    Total: whatever JSON ``payload`` is, the answer is a typed event, None, or
    BadNotification saying what is wrong; never another exception."""
    if not isinstance(event_type, str):
        return None
    parser = PARSERS.get(event_type)
    if parser is None:
        return None
    return parser(payload)
