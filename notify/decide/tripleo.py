"""TripleO nodes: their per-network sub-hosts and the services (VIPs) they manage.

Pure. The metadata keys (``compact_services``, ``compact_service_*``,
``managed_service_*``) are the tenant's: they only name candidates. What goes
is decided by IPA's own relations, gathered before anything is removed:
- a sub-host goes only when IPA shows it managed by the removed host
  (``managedby_host``) and it is not protected;
- a service goes only when the removed host manages it and no remaining host does;
- a VIP host goes only under the same rule, when none of its services stays,
  and when it passes the provenance rule of notify.decide.hosts.
"""

import dataclasses
import json

from notify.decide.hosts import KeepHost, RemoveHost, protected, provenance_problem
from notify.decide.naming import is_label
from notify.errors import shown

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
        except (ValueError, RecursionError):
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
    refused: bool = False


def _plan_subhosts(node, instance_id, subhost_facts, protection):
    actions = []
    for fqdn, facts in sorted(subhost_facts.items()):
        if facts is None:
            continue   # not in IPA (any more)
        if node not in facts.managed_by:
            actions.append(KeepHost(fqdn, f'sub-host not managed by {node} in IPA',
                                    refused=True))
            continue
        reason = protected(facts, protection)
        if reason:
            actions.append(KeepHost(fqdn, f'not removed: {reason}', refused=True))
        else:
            actions.append(RemoveHost(fqdn, instance_id))
    return actions


def plan_tripleo(node, instance_id, subhost_facts, services, service_managers, vip_facts,
                 protection):
    """What goes with the removed TripleO node ``node``.

    ``subhost_facts``: {sub-host fqdn: HostFacts or None (not in IPA)};
    ``services``: {principal: VIP fqdn}; ``service_managers``: {principal: set of
    host fqdns managing it, or None when IPA has no such service};
    ``vip_facts``: {VIP fqdn: HostFacts or None}.
    """
    actions = _plan_subhosts(node, instance_id, subhost_facts, protection)
    removed = {node} | {a.fqdn for a in actions if isinstance(a, RemoveHost)}
    kept_vips = set()
    for principal, vip in sorted(services.items()):
        managers = service_managers.get(principal)
        if managers is None:
            continue   # already gone
        others = set(managers) - {vip} - removed
        if node not in managers:
            actions.append(KeepService(principal, f'not managed by {node} in IPA',
                                       refused=True))
            kept_vips.add(vip)
        elif others:
            actions.append(KeepService(principal,
                                       'still managed by ' + ', '.join(sorted(others))))
            kept_vips.add(vip)
        else:
            actions.append(RemoveService(principal))
    for vip in sorted(set(services.values()) - kept_vips):
        actions.append(_plan_vip(node, instance_id, vip, vip_facts.get(vip), removed,
                                 protection))
    return [a for a in actions if a is not None]


def _plan_vip(node, instance_id, vip, facts, removed, protection):
    if facts is None:
        return None
    others = set(facts.managed_by) - removed
    if node not in facts.managed_by:
        return KeepHost(vip, f'VIP not managed by {node} in IPA', refused=True)
    if others:
        return KeepHost(vip, 'VIP still managed by ' + ', '.join(sorted(others)))
    problem = provenance_problem(facts, protection)
    if problem:
        return KeepHost(vip, f'VIP not removed: {problem}', refused=True)
    return RemoveHost(vip, instance_id)
