"""The audit's adapters, built from the daemon's configuration."""

import dataclasses

from notify import satellite_opts
from notify.adapters import openstack
from notify.adapters.ipa import IPAClient
from notify.adapters.ipa_dns import IPADns
from notify.adapters.ipa_hosts import IPAHosts
from notify.adapters import satellite
from notify.audit import AuditAborted, inventory
from notify.audit.run import Audit
from notify.audit.satellite import SatelliteAudit
from notify.coordination import make_locks
from notify.handlers import ConfigurationError
from notify.handlers.common import Enrollment, InstanceNaming, ProjectGone


@dataclasses.dataclass
class Parts:
    ipa: object
    ipa_inventory: object
    hosts: object
    dns: object
    nova: object
    nova_paged: object
    neutron_paged: object
    naming: object
    enrollment: object
    locks: object
    project_gone: type = ProjectGone
    satellite: object = None      # SatelliteAudit when [satellite] url is set
    satellite_products: frozenset = None   # [satellite] instance_products


def build_parts(conf, dry_run=False, locks=None):
    sc, cache, audit = conf.service_credentials, conf.cache, conf.audit
    session = openstack.load_session(conf, pool_size=audit.workers)
    keystone = None
    if conf.ipa.project_subdomain:
        keystone = openstack.Keystone(session, sc.interface, sc.region_name, cache.ttl,
                                      cache.size)
    # Its own IPA sessions: a periodic audit never takes the listener's. No more
    # of them than [ipa] max_connections: the workers' calls share them, coalesced
    # into batch requests, as the listener's workers do.
    ipa = IPAClient.from_config(
        conf, max_connections=min(audit.workers, conf.ipa.max_connections), dry_run=dry_run)
    naming = InstanceNaming(conf.ipa.domain, keystone)
    neutron_paged = None
    if conf.dns.manage_floating_ips:
        neutron_paged = openstack.Paged(session, 'network', sc.interface, sc.region_name,
                                        page_size=audit.page_size, incomplete=AuditAborted)
    return Parts(
        ipa=ipa,
        ipa_inventory=inventory.IPAInventory(ipa, naming.domain, naming.per_project),
        hosts=IPAHosts(ipa), dns=IPADns(ipa, zone_ttl=cache.ttl, record_ttl=conf.dns.ttl),
        nova=openstack.Nova(session, sc.interface, sc.region_name,
                            batch_window=conf.listener.lookup_batch_window,
                            batch_size=conf.ipa.batch_size),
        nova_paged=openstack.Paged(session, 'compute', sc.interface, sc.region_name,
                                   headers=openstack.NOVA_HEADERS, page_size=audit.page_size,
                                   incomplete=AuditAborted),
        neutron_paged=neutron_paged,
        naming=naming,
        enrollment=Enrollment(openstack.Glance(session, sc.interface, sc.region_name,
                                               cache.ttl, cache.size)),
        locks=locks if locks is not None else make_locks(conf.coordination.backend_url,
                                                         conf.coordination.lock_timeout),
        satellite=_satellite(conf, dry_run),
        satellite_products=frozenset(conf[satellite_opts.GROUP].instance_products))


def _satellite(conf, dry_run):
    """A Satellite client as the handler builds it, or None without [satellite] url."""
    try:
        client = satellite.from_config(conf, dry_run, max_connections=conf.audit.workers)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    return None if client is None else SatelliteAudit(client, conf.audit.page_size)


def build_audit(conf, protection, max_removals=None, dry_run=False, locks=None,
                progress=None):
    audit = conf.audit
    return Audit(build_parts(conf, dry_run, locks), protection, min_age=audit.min_age,
                 max_removals=audit.max_removals if max_removals is None else max_removals,
                 manage_ptr=conf.dns.manage_ptr, workers=audit.workers, progress=progress)
