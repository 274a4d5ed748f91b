"""Pure decisions: event + facts in, actions out. No I/O happens here.

The handlers (and the audit) gather facts through the adapters, then ask these
rules what to do:
- naming: which instances are enrolled (novajoin's rule) and their one IPA name;
- hosts: provenance and protection of IPA hosts, the instance-delete plan;
- dns: which floating-IP records are this daemon's to add or remove;
- tripleo: sub-hosts, managed services and VIPs of a removed TripleO node.
"""

from notify.decide.dns import (AddressRecord, KeepRecords, PointerRecord, changes,
                               plan_floating_ip, plan_gone_host_records)
from notify.decide.hosts import (NOVAJOIN_MARKER, HostFacts, HostGone, KeepHost,
                                 LiveInstance, Protection, RemoveHost, live_owners,
                                 plan_instance_delete, protected, provenance_problem)
from notify.decide.naming import (ENROLL_KEY, dns_label, enroll_requested,
                                  enrolled_by_metadata, instance_fqdn, is_enrolled,
                                  is_label, short_name, zone_of)
from notify.decide.tripleo import (KeepService, RemoveService, compact_services,
                                   managed_services, plan_tripleo, subhosts)
from notify.decide.ownership import ServerRecord, listing_problem

__all__ = [
    'AddressRecord',
    'ENROLL_KEY',
    'HostFacts',
    'HostGone',
    'KeepHost',
    'KeepRecords',
    'KeepService',
    'LiveInstance',
    'NOVAJOIN_MARKER',
    'PointerRecord',
    'Protection',
    'RemoveHost',
    'RemoveService',
    'ServerRecord',
    'changes',
    'compact_services',
    'dns_label',
    'enroll_requested',
    'enrolled_by_metadata',
    'instance_fqdn',
    'is_enrolled',
    'is_label',
    'listing_problem',
    'live_owners',
    'managed_services',
    'plan_floating_ip',
    'plan_gone_host_records',
    'plan_instance_delete',
    'plan_tripleo',
    'protected',
    'provenance_problem',
    'short_name',
    'subhosts',
    'zone_of',
]
