"""Pure decisions: facts in, actions out. No I/O happens here.

The handlers gather facts (image properties, project names, which live instances
carry a name) through the adapters, then ask these functions what to do.
"""

import dataclasses
import json
import re

from notify.errors import BadNotification, shown

TRUE_VALUES = frozenset({'true', '1', 'yes'})
ENROLL_KEY = 'ipa_enroll'

# One DNS label: letters, digits and hyphens, 1-63 characters, no hyphen at
# either end. ASCII only and never normalised: a full-width "ｗｅｂ１" must not
# become the existing host "web1".
_LABEL = re.compile(r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z')
_NOT_LDH = re.compile(r'[^a-z0-9-]+')


def is_true(value):
    """nova metadata and glance properties are strings: 'true', '1', 'yes' (any case)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in TRUE_VALUES


def enrolled_by_metadata(metadata):
    return is_true((metadata or {}).get(ENROLL_KEY))


def is_enrolled(metadata, image_properties):
    """Enrolled when ``ipa_enroll`` is true in the instance metadata, else in the image.

    This mirrors novajoin's vendordata service, which enrolls an instance when
    either says so.
    """
    return enrolled_by_metadata(metadata) or is_true((image_properties or {}).get(ENROLL_KEY))


def is_label(text):
    return isinstance(text, str) and text.isascii() and bool(_LABEL.match(text))


def dns_label(name):
    """Normalise a keystone project name to one DNS label ('Web Team_2' -> 'web-team-2')."""
    label = _NOT_LDH.sub('-', name.lower())
    label = label.strip('-')[:63].rstrip('-')
    if not label:
        raise BadNotification(f'project name {shown(name)} gives no usable DNS label')
    return label


def zone_of(domain, project_label=None):
    """The DNS domain an instance's name lives in."""
    domain = domain.rstrip('.').lower()
    return f'{project_label}.{domain}' if project_label else domain


def instance_fqdn(hostname, domain, project_label=None):
    """The IPA host name of an instance.

    ``hostname`` is the instance's one-label hostname; a hostname that is already
    a name inside ``domain`` is used as it is. Anything else (other domains,
    invalid labels, names that try to escape the domain) is bad input.
    """
    if not isinstance(hostname, str):
        raise BadNotification(f'hostname is {type(hostname).__name__}, not a string')
    name = hostname.rstrip('.').lower() if hostname.isascii() else hostname
    domain = domain.rstrip('.').lower()
    if is_label(name):
        return f'{name}.{zone_of(domain, project_label)}'
    suffix = '.' + domain
    if name.endswith(suffix):
        labels = name[:-len(suffix)].split('.')
        if all(is_label(label) for label in labels):
            return name
    raise BadNotification(f'hostname {shown(hostname)} is not a valid DNS label nor a '
                          f'name inside {domain}')


@dataclasses.dataclass(frozen=True)
class RemoveHost:
    """Remove an IPA host together with its DNS records."""
    fqdn: str
    instance_id: str


@dataclasses.dataclass(frozen=True)
class KeepHost:
    """Leave an IPA host alone, and say why."""
    fqdn: str
    reason: str


@dataclasses.dataclass(frozen=True)
class LiveInstance:
    """A not-deleted instance, with the FQDN it carries."""
    instance_id: str
    fqdn: str
    status: str = ''


def plan_instance_delete(instance_id, fqdn, live_instances):
    """What to do with the host of a deleted, enrolled instance.

    ``live_instances``: instances nova still has whose hostname could map to
    ``fqdn``. The host stays when any other one of them carries the same FQDN.
    """
    owners = sorted(i.instance_id for i in live_instances
                    if i.fqdn == fqdn and i.instance_id != instance_id)
    if owners:
        return KeepHost(fqdn, f'live instance(s) {", ".join(owners)} still carry '
                              f'{fqdn}')
    return RemoveHost(fqdn, instance_id)


# -- DNS for floating IPs -----------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AddressRecord:
    """An A (IPv4) or AAAA (IPv6) record ``fqdn -> address``, wanted present or absent."""
    fqdn: str
    address: str
    present: bool


@dataclasses.dataclass(frozen=True)
class PointerRecord:
    """A PTR record ``address -> fqdn``, wanted present or absent."""
    address: str
    fqdn: str
    present: bool


def plan_floating_ip(address, owner_fqdn, pointing, manage_ptr=True):
    """Records to change so that ``address`` names exactly ``owner_fqdn`` (or nothing).

    ``pointing``: the FQDNs whose A/AAAA or PTR records hold ``address`` now.
    Only records holding this address are removed: never another value of the
    same name, never another address of another instance.
    """
    actions = []
    for fqdn in sorted(set(pointing) - {owner_fqdn}):
        if manage_ptr:
            actions.append(PointerRecord(address, fqdn, present=False))
        actions.append(AddressRecord(fqdn, address, present=False))
    if owner_fqdn:
        actions.append(AddressRecord(owner_fqdn, address, present=True))
        if manage_ptr:
            actions.append(PointerRecord(address, owner_fqdn, present=True))
    return actions


# -- TripleO sub-hosts and managed services -----------------------------------

COMPACT_SERVICES = 'compact_services'
COMPACT_SERVICE_PREFIX = 'compact_service_'
MANAGED_SERVICE_PREFIX = 'managed_service_'


def compact_services(metadata):
    """TripleO's service -> [network] map: one JSON ``compact_services`` value, or
    one ``compact_service_<service>`` key per service (metadata values are capped
    at 255 characters). Returns (services, problems)."""

    services, problems = {}, []
    items = []
    if COMPACT_SERVICES in metadata:
        items.append((COMPACT_SERVICES, None, metadata[COMPACT_SERVICES]))
    items += [(k, k[len(COMPACT_SERVICE_PREFIX):], v) for k, v in sorted(metadata.items())
              if k.startswith(COMPACT_SERVICE_PREFIX)]
    for key, service, raw in items:
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            problems.append(f'metadata {key} is not JSON')
            continue
        if service is not None:
            value = {service: value}
        if not isinstance(value, dict) or not all(
                isinstance(nets, list) and all(isinstance(n, str) for n in nets)
                for nets in value.values()):
            problems.append(f'metadata {key} is not a map of service to network names')
            continue
        for name, nets in value.items():
            services.setdefault(name, [])
            services[name] += [n for n in nets if n not in services[name]]
    return services, problems


def subhosts(fqdn, metadata, domain):
    """The per-network sub-hosts ``<host>.<network>.<domain>`` of a TripleO node.

    Returns (sorted fqdns, problems)."""
    services, problems = compact_services(metadata)
    short = fqdn.split('.', 1)[0]
    domain = domain.rstrip('.').lower()
    result = set()
    for service, networks in services.items():
        for network in networks:
            label = network.lower()
            if is_label(label):
                result.add(f'{short}.{label}.{domain}')
            else:
                problems.append(f'network name {shown(network)} of service '
                                f'{shown(service)} is not a DNS label')
    result.discard(fqdn)
    return sorted(result), problems


def managed_services(metadata, domain):
    """``managed_service_*`` principals (``svc/vip.net.domain[@REALM]``) of a TripleO
    node, as {principal without realm: vip fqdn}, plus problems."""
    domain = domain.rstrip('.').lower()
    result, problems = {}, []
    for key, value in sorted(metadata.items()):
        if not key.startswith(MANAGED_SERVICE_PREFIX):
            continue
        principal = value.split('@', 1)[0] if isinstance(value, str) else ''
        service, _, host = principal.partition('/')
        host = host.rstrip('.').lower()
        if (not service or not host or '/' in host or not host.endswith('.' + domain)
                or not all(is_label(label) for label in host.split('.'))):
            problems.append(f'metadata {key} = {shown(value)} is not a service principal '
                            f'of a host in {domain}')
            continue
        result[f'{service}/{host}'] = host
    return result, problems


@dataclasses.dataclass(frozen=True)
class RemoveService:
    principal: str


@dataclasses.dataclass(frozen=True)
class KeepService:
    principal: str
    reason: str


def plan_managed_services(services, service_managers, vip_managers, removed):
    """What to do with the services a deleted node managed, and their VIP hosts.

    ``services``: {principal: vip fqdn}; ``service_managers``: {principal: set of
    host fqdns managing it, or None when IPA no longer has it}; ``vip_managers``:
    the same for the VIP hosts; ``removed``: the hosts being removed now.
    A service goes only when no remaining host manages it; a VIP host goes only
    when no remaining host manages it and none of its services stays.
    """
    actions, kept_vips = [], set()
    for principal, vip in sorted(services.items()):
        managers = service_managers.get(principal)
        if managers is None:
            continue  # already gone
        others = set(managers) - {vip} - set(removed)
        if others:
            actions.append(KeepService(principal, 'still managed by ' + ', '.join(sorted(others))))
            kept_vips.add(vip)
        else:
            actions.append(RemoveService(principal))
    for vip in sorted(set(services.values())):
        managers = vip_managers.get(vip)
        if managers is None or vip in kept_vips:
            continue
        others = set(managers) - {vip} - set(removed)
        if others:
            actions.append(KeepHost(vip, 'VIP still managed by ' + ', '.join(sorted(others))))
        else:
            actions.append(RemoveHost(vip, ''))
    return actions
