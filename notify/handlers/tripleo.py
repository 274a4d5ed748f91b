"""A removed TripleO node's sub-hosts, managed services and VIP hosts.

Used by the instance-delete handler. The node's metadata only names candidates;
IPA's relations (``managedby_host``), read before the node is removed, decide
(notify.decide.tripleo).
"""

import logging

from notify import decide
from notify.handlers.common import log_kept

LOG = logging.getLogger(__name__)


class TripleONode:
    def __init__(self, hosts, naming, protection):
        self._hosts = hosts
        self._naming = naming
        self._protection = protection

    def plan(self, fqdn, event):
        """The actions for what ``fqdn`` alone managed, from IPA's state now."""
        domain = self._naming.domain
        subhosts, problems = decide.subhosts(fqdn, event.metadata, domain)
        services, more = decide.managed_services(event.metadata, domain)
        for problem in problems + more:
            LOG.warning('instance %s: %s; that part is left alone', event.instance_id,
                        problem)
        if not subhosts and not services:
            return []
        return decide.plan_tripleo(
            fqdn, event.instance_id,
            subhost_facts={name: self._hosts.facts(name) for name in subhosts},
            services=services,
            service_managers={p: self._hosts.service_managers(p) for p in services},
            vip_facts={vip: self._hosts.facts(vip) for vip in set(services.values())},
            protection=self._protection)

    def apply(self, node, actions, instance_id, remove_host):
        sub_prefix = decide.short_name(node) + '.'
        for action in actions:
            if isinstance(action, decide.RemoveHost):
                remove_host(action.fqdn, instance_id, what='sub-host' if
                            action.fqdn.startswith(sub_prefix) else 'VIP host')
            elif isinstance(action, decide.RemoveService):
                if self._hosts.remove_service(action.principal):
                    LOG.info('%s IPA service %s, managed only by deleted instance %s',
                             'dry-run: would remove' if self._hosts.dry_run else 'removed',
                             action.principal, instance_id)
            elif isinstance(action, decide.KeepService):
                log_kept(LOG, 'IPA service', action, instance_id)
            else:
                log_kept(LOG, 'IPA host', action, instance_id)
