"""May this IPA host be removed? Provenance, protection and the ownership check.

Pure: the handlers and the audit gather the facts (IPA's view of the host, the
live instances nova reports) and these rules decide. A removal needs all of:
- IPA shows the host was enrolled for a cloud instance: its ``description`` is
  one of the enrollment markers (novajoin's ``host_add`` writes exactly
  ``IPA host for OpenStack``);
- the host is not protected: not in a protected host group (``ipaservers``:
  the IPA servers themselves) and not named in ``[ipa] protected_hosts``;
- nova could tell, and no live instance carries the name.
"""

import dataclasses

from notify.errors import shown

NOVAJOIN_MARKER = 'IPA host for OpenStack'


@dataclasses.dataclass(frozen=True)
class HostFacts:
    """What IPA says about one host (``host_show``)."""
    fqdn: str
    description: tuple = ()
    managed_by: frozenset = frozenset()    # managedby_host, the host itself excluded
    hostgroups: frozenset = frozenset()    # direct and indirect host groups


@dataclasses.dataclass(frozen=True)
class Protection:
    """The operator's safety settings ([ipa] enrollment_markers, protected_*)."""
    markers: frozenset = frozenset({NOVAJOIN_MARKER})
    hostgroups: frozenset = frozenset({'ipaservers'})
    hosts: frozenset = frozenset()

    @classmethod
    def from_lists(cls, markers, hostgroups, hosts):
        return cls(frozenset(markers), frozenset(g.lower() for g in hostgroups),
                   frozenset(h.rstrip('.').lower() for h in hosts))


def protected(facts, protection):
    """Why the host must never be touched, or None."""
    if facts.fqdn in protection.hosts:
        return 'it is listed in [ipa] protected_hosts'
    groups = sorted(facts.hostgroups & protection.hostgroups)
    if groups:
        return f'it is in the protected host group {", ".join(groups)}'
    return None


def provenance_problem(facts, protection):
    """Why IPA does not show this host as enrolled for a cloud instance, or None."""
    reason = protected(facts, protection)
    if reason:
        return reason
    if not set(facts.description) & protection.markers:
        found = shown(facts.description[0]) if facts.description else 'none'
        return (f'IPA does not show it enrolled for a cloud instance (description '
                f'{found}, not an enrollment marker)')
    return None


@dataclasses.dataclass(frozen=True)
class LiveInstance:
    """A not-deleted instance nova reports, with the FQDN it carries."""
    instance_id: str
    fqdn: str
    status: str = ''


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
    refused: bool = False    # True: a safety rule refused (logged as a warning)


@dataclasses.dataclass(frozen=True)
class HostGone:
    """IPA has no such host: only records proven to be the instance's may go."""
    fqdn: str
    instance_id: str


def live_owners(instance_id, fqdn, live_instances):
    return sorted(i.instance_id for i in live_instances
                  if i.fqdn == fqdn and i.instance_id != instance_id)


def plan_instance_delete(instance_id, fqdn, live_instances, facts, protection):
    """What to do with the IPA host ``fqdn`` of a deleted, enrolled instance.

    ``live_instances``: what nova reports live for that name (the caller has
    already made sure nova could tell); ``facts``: HostFacts, or None when IPA
    has no such host.
    """
    owners = live_owners(instance_id, fqdn, live_instances)
    if owners:
        return KeepHost(fqdn, f'live instance(s) {", ".join(owners)} still carry {fqdn}')
    if facts is None:
        return HostGone(fqdn, instance_id)
    problem = provenance_problem(facts, protection)
    if problem:
        return KeepHost(fqdn, f'not removed: {problem}', refused=True)
    return RemoveHost(fqdn, instance_id)
