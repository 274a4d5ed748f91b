"""Instance deletes: remove the IPA host of an enrolled instance with its DNS
records, and what a TripleO node alone managed; only what IPA shows the cloud
enrolled for that instance (notify.decide.hosts), only once nova confirms no
live instance carries the name."""

import logging

from notify import decide, metrics
from notify.errors import BadNotification
from notify.events import InstanceDeleted
from notify.handlers import Handler
from notify.handlers.common import ProjectGone, live_instances, log_kept
from notify.handlers.tripleo import TripleONode

LOG = logging.getLogger(__name__)


class InstanceDeleteHandler(Handler):
    name = 'ipa_host'
    events = (InstanceDeleted,)

    @classmethod
    def from_config(cls, conf, shared):
        neutron = shared.neutron if conf.dns.manage_floating_ips else None
        return cls(shared.hosts, shared.dns, shared.nova, shared.enrollment, shared.naming,
                   shared.locks, shared.protection, neutron=neutron,
                   manage_ptr=conf.dns.manage_ptr)

    def __init__(self, hosts, dns, nova, enrollment, naming, locks, protection,
                 neutron=None, manage_ptr=True):
        self._hosts = hosts
        self._dns = dns
        self._nova = nova
        self._neutron = neutron        # None: floating-IP records are not managed
        self._enrollment = enrollment
        self._naming = naming
        self._locks = locks            # one worker (of any daemon) at a time per name
        self._protection = protection
        self._manage_ptr = manage_ptr
        self._tripleo = TripleONode(hosts, naming, protection)

    def handle(self, event):
        if not self._enrollment.enrolled(event.metadata, event.image_properties,
                                         event.image_id):
            LOG.debug('instance %s (%s) was not enrolled in IPA; nothing to remove',
                      event.instance_id, event.hostname)
            metrics.outcome('not_enrolled')
            return
        try:
            fqdn = self._naming.fqdn(event.hostname, event.project_id)
        except ProjectGone:
            fqdn = self._fqdn_in_deleted_project(event)
            if fqdn is None:
                return
        with self._locks(fqdn):
            self._delete(event, fqdn)

    def _delete(self, event, fqdn):
        # nova is asked inside the lock: a new instance taking the name is seen.
        live = live_instances(self._nova, self._naming, event.hostname, event.project_id,
                              fqdn)
        facts = self._hosts.facts(fqdn)
        action = decide.plan_instance_delete(event.instance_id, fqdn, live, facts,
                                             self._protection)
        if isinstance(action, decide.KeepHost):
            log_kept(LOG, 'IPA host', action, event.instance_id)
            metrics.outcome('refused' if action.refused else 'kept_live')
            return
        if isinstance(action, decide.HostGone):
            LOG.info('IPA host %s of deleted instance %s was already gone', fqdn,
                     event.instance_id)
            self._gone_host_records(event, fqdn)
            return
        plan = self._tripleo.plan(fqdn, event)   # IPA's relations, read before removal
        self._remove_host(fqdn, event.instance_id)
        self._tripleo.apply(fqdn, plan, event.instance_id, self._remove_host)

    def _remove_host(self, fqdn, instance_id, what='host'):
        if self._hosts.remove(fqdn):
            LOG.info('%s IPA %s %s of deleted instance %s',
                     'dry-run: would remove' if self._hosts.dry_run else 'removed', what,
                     fqdn, instance_id)
        else:
            LOG.info('IPA %s %s of deleted instance %s was already gone', what, fqdn,
                     instance_id)

    def _gone_host_records(self, event, fqdn):
        """With the host gone, only records holding a floating IP of this very
        instance go (a host removed by hand without --updatedns)."""
        addresses = self._dns.addresses_of(fqdn)
        if not addresses:
            return
        mine = set()
        if self._neutron is not None:
            for address in addresses:
                mine.update(fip['floating_ip_address'] for fip
                            in self._neutron.floatingips_at(address)
                            if self._instance_fip(fip, event))
        actions = decide.plan_gone_host_records(fqdn, addresses, mine, self._manage_ptr)
        for action in actions:
            if isinstance(action, decide.KeepRecords):
                LOG.info('keeping DNS record %s -> %s: %s', action.fqdn, action.address,
                         action.reason)
        self._dns.apply(actions)

    def _instance_fip(self, fip, event):
        """A floating IP of the deleted instance: in its project, and attached to
        nothing else (nova released it, or its port still names the instance)."""
        project = fip.get('project_id') or fip.get('tenant_id')
        if project != event.project_id:
            return False
        if not fip.get('port_id'):
            return True
        port = self._neutron.port(fip['port_id'])
        return port is None or port[0] == event.instance_id

    def _fqdn_in_deleted_project(self, event):
        """The FQDN of an instance whose project keystone no longer has: the one
        enrolled host ``<label>.<zone>.<domain>`` whose zone belongs to no project
        keystone still has. None (and one line) when that is not exactly one."""
        label = decide.short_name(event.hostname)
        if not decide.is_label(label):
            raise BadNotification(f'hostname of deleted project {event.project_id} is not '
                                  f'a DNS label')
        taken = self._naming.live_project_labels()
        suffix = '.' + self._naming.domain
        candidates = []
        for facts in self._hosts.find(label):
            zone_label, _, rest = facts.fqdn.partition('.')[2].partition('.')
            if (facts.fqdn.startswith(label + '.') and '.' + rest == suffix
                    and decide.is_label(zone_label) and zone_label not in taken
                    and decide.provenance_problem(facts, self._protection) is None):
                candidates.append(facts.fqdn)
        if len(candidates) == 1:
            return candidates[0]
        LOG.warning('instance %s of deleted project %s: %s enrolled IPA host(s) named %s '
                    'in a zone of no existing project (%s); nothing removed, left for the '
                    'audit', event.instance_id, event.project_id, len(candidates), label,
                    ', '.join(sorted(candidates)) or 'none')
        return None
