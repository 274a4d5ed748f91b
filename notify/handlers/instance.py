"""Instance deletes: remove the IPA host of an enrolled instance with its DNS
records, and a TripleO node's sub-hosts and the services only it managed."""

import logging

from notify import decide, metrics
from notify.errors import BadNotification
from notify.events import InstanceDeleted
from notify.handlers import Handler

LOG = logging.getLogger(__name__)


class InstanceDeleteHandler(Handler):
    events = (InstanceDeleted,)

    def __init__(self, ipa, dns, nova, enrollment, naming, locks):
        self._ipa = ipa
        self._dns = dns
        self._nova = nova
        self._enrollment = enrollment
        self._naming = naming
        self._locks = locks   # one worker at a time per host name

    def handle(self, event):
        if not self._enrollment.enrolled(event.metadata, event.image_properties,
                                         event.image_id):
            LOG.debug('instance %s (%s) was not enrolled in IPA; nothing to remove',
                      event.instance_id, event.hostname)
            metrics.outcome('not_enrolled')
            return
        fqdn = self._naming.fqdn(event.hostname, event.project_id)
        with self._locks(fqdn):
            self._delete(event, fqdn)

    def _delete(self, event, fqdn):
        # nova is asked inside the lock: a new instance taking the name is seen.
        action = decide.plan_instance_delete(event.instance_id, fqdn, self._live(event))
        if isinstance(action, decide.KeepHost):
            LOG.warning('keeping IPA host %s of deleted instance %s: %s',
                        action.fqdn, event.instance_id, action.reason)
            metrics.outcome('kept_live')
            return
        self._remove_host(action.fqdn, event.instance_id)
        removed = {action.fqdn}
        subhosts, problems = decide.subhosts(action.fqdn, event.metadata,
                                             self._naming.domain)
        for subhost in subhosts:
            self._remove_host(subhost, event.instance_id, what='sub-host')
        removed.update(subhosts)
        services, more = decide.managed_services(event.metadata, self._naming.domain)
        for problem in problems + more:
            LOG.warning('instance %s: %s; that part is left alone', event.instance_id, problem)
        if services:
            self._release_services(services, removed, event.instance_id)

    def _remove_host(self, fqdn, instance_id, what='host'):
        if self._ipa.remove_host(fqdn):
            LOG.info('%s IPA %s %s of deleted instance %s',
                     'dry-run: would remove' if self._ipa.dry_run else 'removed', what, fqdn,
                     instance_id)
            return
        LOG.info('IPA %s %s of deleted instance %s was already gone', what, fqdn,
                 instance_id)
        # The host may be gone while records of its name remain (a floating IP
        # record, a host removed by hand without --updatedns): look them up.
        self._dns.apply([change for address in self._dns.addresses_of(fqdn)
                         for change in decide.plan_floating_ip(address, None, {fqdn})])

    def _release_services(self, services, removed, instance_id):
        managers = {p: self._dns.service_managers(p) for p in services}
        vips = {v: self._dns.host_managers(v) for v in set(services.values())}
        for action in decide.plan_managed_services(services, managers, vips, removed):
            if isinstance(action, decide.RemoveService):
                if self._dns.remove_service(action.principal):
                    LOG.info('removed IPA service %s, managed only by deleted instance %s',
                             action.principal, instance_id)
            elif isinstance(action, decide.RemoveHost):
                self._remove_host(action.fqdn, instance_id, what='VIP host')
            else:
                LOG.info('keeping %s %s: %s', 'IPA service' if isinstance(
                    action, decide.KeepService) else 'VIP host',
                    getattr(action, 'principal', None) or action.fqdn, action.reason)

    def _live(self, event):
        """The live instances that might carry the deleted instance's name."""
        live = []
        for server_id, hostname, project_id, status in self._nova.servers_named(
                event.hostname):
            try:
                fqdn = self._naming.fqdn(hostname, project_id)
            except BadNotification:
                continue  # a name that cannot map to any IPA host
            live.append(decide.LiveInstance(server_id, fqdn, status))
        return live
