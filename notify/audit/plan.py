"""The audit's decisions: IPA snapshot + nova/neutron snapshot -> findings. Pure.

It reuses notify.decide's rules: provenance and protection of hosts, the strict
naming of instances, TripleO relations, and which floating-IP records are this
daemon's.
"""

import dataclasses

from notify import decide
from notify.adapters.satellite import uuid_forms


@dataclasses.dataclass(frozen=True)
class Finding:
    kind: str         # 'host' | 'record' | 'service' | 'satellite'
    name: str
    action: str       # 'remove' | 'keep' | 'add'
    reason: str
    changes: tuple = ()   # decide record actions to apply (records); (SatHost,) (satellite)

    def as_dict(self):
        return {'kind': self.kind, 'name': self.name, 'action': self.action,
                'reason': self.reason}


@dataclasses.dataclass(frozen=True)
class Host:
    """One IPA host as the audit sees it."""
    facts: decide.HostFacts
    age: float | None          # seconds since enrollment, None: unknown
    manages: frozenset = frozenset()   # hosts it manages (IPA's managing_host), itself out


@dataclasses.dataclass(frozen=True)
class SatHost:
    """One Satellite host as the audit sees it."""
    id: int
    name: str
    facts: tuple = ()          # ((fact, value), ...): its virt::uuid / dmi::system::uuid
    product: str | None = None  # dmi::system::product_name: what made the machine

    @property
    def label(self):
        return f'{self.name} (id {self.id})'


@dataclasses.dataclass(frozen=True)
class Snapshot:
    hosts: dict                # fqdn -> Host (every host of the configured zones)
    live: dict                 # fqdn -> [instance ids] carrying it
    unresolved: frozenset      # first labels carried by live instances of deleted projects
    records: dict              # fqdn -> [A/AAAA values] (marked hosts' names)
    fip_owner: dict            # floating IP -> fqdn of the enrolled instance it serves, or None
    project_zones: bool = False
    server_ids: frozenset = frozenset()   # lower-case ids of every server nova listed
    satellite: tuple = ()      # SatHost of every Satellite host ([satellite] url set)
    service_managers: frozenset = frozenset()   # hosts managing any IPA service

    def manages_anything(self, fqdn):
        """Whether IPA showed, when read, that the host manages another host or a
        service: only then must its removal take TripleO relations into account."""
        host = self.hosts.get(fqdn)
        return host is None or bool(host.manages) or fqdn in self.service_managers


def _candidate(fqdn, host, snapshot, protection, min_age):
    """('remove' | 'keep', reason) for one host of the configured zones."""
    problem = decide.provenance_problem(host.facts, protection)
    if problem:
        return 'keep', f'look-alike kept: {problem}'
    owners = snapshot.live.get(fqdn)
    if owners:
        return 'keep', f'live instance(s) {", ".join(sorted(owners))} carry it'
    label = decide.short_name(fqdn)
    if snapshot.project_zones and label in snapshot.unresolved:
        return 'keep', (f'a live instance named {label} in a deleted project may carry '
                        f'it')
    if host.age is None:
        return 'keep', 'never enrolled: IPA shows no enrollment time, so it is spared'
    if host.age < min_age:
        return 'keep', (f'enrolled {host.age:.0f}s ago, less than [audit] min_age '
                        f'{min_age:.0f}s: its instance may still be booting')
    return 'remove', (f'no live instance named {label} in any project; host enrolled '
                      f'by the cloud ({host.facts.description[0]})')


def plan_hosts(snapshot, protection, min_age):
    """Findings for every host of the configured zones, orphans first."""
    findings = []
    for fqdn, host in sorted(snapshot.hosts.items()):
        action, reason = _candidate(fqdn, host, snapshot, protection, min_age)
        findings.append(Finding('host', fqdn, action, reason))
    return sorted(findings, key=lambda f: (f.action != 'remove', f.name))


def plan_records(snapshot, protection, manage_ptr=True):
    """Floating-IP records of enrolled hosts: stale ones to remove, missing ones to add."""
    findings = []
    marked = {fqdn for fqdn, host in snapshot.hosts.items()
              if decide.provenance_problem(host.facts, protection) is None}
    for fqdn in sorted(marked):
        for address in sorted(snapshot.records.get(fqdn, ())):
            if address not in snapshot.fip_owner:
                continue    # not a floating IP: not this daemon's record
            owner = snapshot.fip_owner[address]
            if owner == fqdn:
                continue
            changes = tuple(decide.plan_floating_ip(address, None, {fqdn}, {fqdn},
                                                    manage_ptr))
            findings.append(Finding(
                'record', f'{fqdn} -> {address}', 'remove',
                f'floating IP {address} is no longer associated with the instance of '
                f'{fqdn} in neutron', changes))
    for address, owner in sorted(snapshot.fip_owner.items()):
        if owner is None or owner not in marked:
            continue
        if address not in snapshot.records.get(owner, ()):
            changes = tuple(decide.changes(decide.plan_floating_ip(
                address, owner, set(), {owner}, manage_ptr)))
            findings.append(Finding('record', f'{owner} -> {address}', 'add',
                                    f'floating IP {address} is associated with the '
                                    f'enrolled instance of {owner} but has no record',
                                    changes))
    return findings


def satellite_uuids(host):
    """{UUID form: fact} of every instance UUID the host's facts may name: each
    fact value as is and byte-swapped (notify.adapters.satellite.uuid_forms)."""
    forms = {}
    for fact, value in host.facts:
        for form in sorted(uuid_forms(value.strip()) if isinstance(value, str) else ()):
            forms.setdefault(form, fact)
    return forms


def plan_satellite(snapshot, products=None):
    """Satellite hosts: those whose UUID facts name no server nova listed, and whose
    SMBIOS product name says nova made them (``products``; None: not checked), are
    removed; those without a UUID fact are unknown and kept; a machine nova did
    not make (bare metal, another hypervisor's guest) is never an orphan of this
    cloud. Orphans first."""
    findings = []
    for host in snapshot.satellite:
        forms = satellite_uuids(host)
        live = sorted(set(forms) & snapshot.server_ids)
        if not forms:
            action, reason = 'keep', 'unknown: no UUID fact'
        elif live:
            action, reason = 'keep', (f'live instance {", ".join(live)} carries it '
                                      f'({forms[live[0]]})')
        elif products is not None and host.product not in products:
            action, reason = 'keep', (f'not an instance of this cloud by its SMBIOS product '
                                      f'name ({host.product or "none"}; [satellite] '
                                      f'instance_products)')
        else:
            named = ', '.join(f'{fact} {value}' for fact, value in host.facts)
            action, reason = 'remove', f'no server in nova has its UUID ({named})'
        findings.append(Finding('satellite', host.label, action, reason, (host,)))
    return sorted(findings, key=lambda f: (f.action != 'remove', f.name))


def plan_managed(node, instance_id, managed_hosts, managed_services, protection):
    """What goes with an orphan TripleO node, from IPA's relations alone.

    ``managed_hosts``: {fqdn: HostFacts} of the hosts the node manages;
    ``managed_services``: {principal: set of managers}.
    """
    prefix = decide.short_name(node) + '.'
    subhosts = {f: h for f, h in managed_hosts.items() if f.startswith(prefix)}
    services = {p: service_host(p) for p in managed_services}
    vips = {f: h for f, h in managed_hosts.items() if f not in subhosts}
    return decide.plan_tripleo(node, instance_id, subhosts, services, managed_services,
                               vips, protection)


def service_host(principal):
    """'HTTP/vip.example.test@REALM' -> 'vip.example.test'."""
    return principal.split('/', 1)[-1].split('@', 1)[0].rstrip('.').lower()


def summary(findings):
    counts = {}
    for f in findings:
        key = f'{f.kind}s_{f.action}'
        counts[key] = counts.get(key, 0) + 1
    return counts
