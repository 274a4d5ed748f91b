"""Floating IPs: the A/AAAA and PTR records of an enrolled instance follow them.

A notification only says that a floating IP changed. Neutron's current state of
that floating IP is what the records are made to match, so two notifications
about one address handled out of order, or twice, still leave the records
right. Only this daemon's records change (notify.decide.dns): those of names
that are IPA hosts of enrolled instances; an operator's ``www`` holding the same
address stays. Work on one address, and on one host name, is done by one
worker (of any daemon) at a time; the owner is checked again once its name is
locked, so an instance deleted meanwhile never gets its record back.
"""

import logging

from notify import decide
from notify.errors import BadNotification
from notify.events import FloatingIPAssociated, FloatingIPReleased
from notify.handlers import Handler
from notify.handlers.common import ProjectGone, live_instances

LOG = logging.getLogger(__name__)

COMPUTE_OWNER = 'compute:'


class FloatingIPHandler(Handler):
    name = 'ipa_dns'
    events = (FloatingIPAssociated, FloatingIPReleased)

    @classmethod
    def from_config(cls, conf, shared):
        if not conf.dns.manage_floating_ips:
            return None
        return cls(shared.dns, shared.hosts, shared.nova, shared.neutron, shared.enrollment,
                   shared.naming, shared.locks, shared.protection,
                   manage_ptr=conf.dns.manage_ptr)

    def __init__(self, dns, hosts, nova, neutron, enrollment, naming, locks, protection,
                 manage_ptr=True):
        self._dns = dns
        self._hosts = hosts
        self._nova = nova
        self._neutron = neutron
        self._enrollment = enrollment
        self._naming = naming
        self._locks = locks
        self._protection = protection
        self._manage_ptr = manage_ptr

    def handle(self, event):
        address = event.floating_ip
        if address is None:
            LOG.info('floating IP %s was deleted but neutron sent no address; any DNS '
                     'record of it is left for the audit', event.floatingip_id)
            return
        with self._locks(address):
            target = self._target(event)
            owner = self._owner(address, *target) if target else None
            with self._locks(owner):
                if owner and self._nova.server(target[0]) is None:
                    owner = None   # deleted while we looked
                self._reconcile(address, owner, event.project_id)

    def _reconcile(self, address, owner, project_id):
        hints = {owner, self._naming.domain} - {None}
        if project_id:
            try:
                hints.add(self._naming.zone(project_id))
            except (ProjectGone, BadNotification):
                pass
        pointing = self._dns.names_pointing_at(address, hints)
        managed = {name for name in set(pointing) | ({owner} - {None}) if self._ours(name)}
        actions = decide.plan_floating_ip(address, owner, pointing, managed,
                                          self._manage_ptr)
        for action in actions:
            if isinstance(action, decide.KeepRecords):
                LOG.info('floating IP %s: leaving the records of %s alone: %s', address,
                         action.fqdn, action.reason)
        changes = decide.changes(actions)
        self._dns.apply(changes)
        LOG.info('floating IP %s %s: %s', address,
                 f'names {owner}' if owner in managed else 'names no enrolled instance',
                 f'{len(changes)} record change(s) applied' if changes else 'records as wanted')

    def _ours(self, fqdn):
        """Is ``fqdn`` the IPA host of an enrolled instance (provenance)?"""
        facts = self._hosts.facts(fqdn)
        return facts is not None and decide.provenance_problem(facts,
                                                               self._protection) is None

    def _target(self, event):
        """(instance_id, device_owner) the floating IP points at now, or None."""
        if event.source == 'nova-network' or not event.floatingip_id:
            if isinstance(event, FloatingIPReleased):
                return None
            return self._port_target(event.port_id, event.instance_id, event.device_owner)
        fip = self._neutron.floatingip(event.floatingip_id)
        if not fip or not fip.get('port_id'):
            return None
        details = fip.get('port_details') or {}
        return self._port_target(fip['port_id'], details.get('device_id'),
                                 details.get('device_owner'))

    def _port_target(self, port_id, instance_id, device_owner):
        if instance_id and device_owner:
            return instance_id, device_owner
        port = self._neutron.port(port_id)
        if port is None:
            LOG.debug('port %s is gone', port_id)
        return port

    def _owner(self, address, instance_id, device_owner):
        """The FQDN of the enrolled instance behind the floating IP, or None."""
        if not instance_id or not device_owner.startswith(COMPUTE_OWNER):
            LOG.debug('floating IP %s points at a %s port, not an instance', address,
                      device_owner or 'unowned')
            return None
        server = self._nova.server(instance_id)
        if server is None:
            return None
        if not self._enrollment.enrolled(server.metadata, image_id=server.image_id):
            LOG.debug('instance %s is not enrolled in IPA: floating IP %s not published',
                      instance_id, address)
            return None
        try:
            fqdn = self._naming.fqdn(server.hostname, server.project_id)
        except (BadNotification, ProjectGone) as exc:
            LOG.warning('instance %s behind floating IP %s: %s', instance_id, address, exc)
            return None
        others = decide.live_owners(instance_id, fqdn, live_instances(
            self._nova, self._naming, server.hostname, server.project_id, fqdn))
        if others:
            LOG.warning('floating IP %s of instance %s not published: live instance(s) %s '
                        'carry the same name %s', address, instance_id, ', '.join(others),
                        fqdn)
            return None
        return fqdn
