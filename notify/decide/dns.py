"""IPA DNS records of floating IPs: which ones this daemon may add or remove.

Pure. A record is this daemon's only when its name is the IPA host of an
enrolled cloud instance (provenance, notify.decide.hosts): the A/AAAA record
``<instance fqdn> -> <floating IP>`` and the PTR ``<floating IP> -> <instance
fqdn>``. Any other record holding the same address (an operator's ``www``, a
name whose host is not marked) is never touched.
"""

import dataclasses


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


@dataclasses.dataclass(frozen=True)
class KeepRecords:
    """Records of ``fqdn`` holding ``address`` that are left alone, and why."""
    fqdn: str
    address: str
    reason: str


def _pair(fqdn, address, present, manage_ptr):
    actions = [AddressRecord(fqdn, address, present)]
    if manage_ptr:
        actions.append(PointerRecord(address, fqdn, present))
    return actions if present else actions[::-1]


def plan_floating_ip(address, owner_fqdn, pointing, managed, manage_ptr=True):
    """Records to change so that ``address`` names ``owner_fqdn`` (or none of ours).

    ``pointing``: FQDNs whose A/AAAA or PTR records hold ``address`` now;
    ``managed``: the FQDNs (among those and the owner) that are IPA hosts of
    enrolled instances, the only names this daemon changes. Only the records
    holding this address are touched: never another value of the same name.
    """
    actions = []
    for fqdn in sorted(set(pointing) - {owner_fqdn}):
        if fqdn in managed:
            actions += _pair(fqdn, address, False, manage_ptr)
        else:
            actions.append(KeepRecords(fqdn, address, 'not the IPA host of an enrolled '
                                                      'instance'))
    if owner_fqdn:
        if owner_fqdn in managed:
            actions += _pair(owner_fqdn, address, True, manage_ptr)
        else:
            actions.append(KeepRecords(owner_fqdn, address, 'IPA has no enrolled host of '
                                                            'that name to publish it on'))
    return actions


def plan_gone_host_records(fqdn, addresses, instance_floating_ips, manage_ptr=True):
    """The records of a deleted instance whose IPA host is already gone.

    With the host gone nothing is removed by name alone: only the values of
    ``fqdn`` that are floating IPs of that very instance
    (``instance_floating_ips``, as neutron shows them) go, with their PTR.
    """
    actions = []
    for address in sorted(set(addresses)):
        if address in instance_floating_ips:
            actions += _pair(fqdn, address, False, manage_ptr)
        else:
            actions.append(KeepRecords(fqdn, address, 'not a floating IP of the deleted '
                                                      'instance'))
    return actions


def changes(actions):
    """The record changes among planned actions (what an adapter applies)."""
    return [a for a in actions if isinstance(a, (AddressRecord, PointerRecord))]
