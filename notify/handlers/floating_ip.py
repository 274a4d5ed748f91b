"""Floating IPs: the A/AAAA and PTR records of an enrolled instance follow them."""

import logging

from notify import decide
from notify.errors import BadNotification
from notify.events import FloatingIPAssociated, FloatingIPReleased
from notify.handlers import Handler

LOG = logging.getLogger(__name__)

COMPUTE_OWNER = 'compute:'


class FloatingIPHandler(Handler):
    events = (FloatingIPAssociated, FloatingIPReleased)

    def __init__(self, dns, nova, neutron, enrollment, naming, manage_ptr=True):
        self._dns = dns
        self._nova = nova
        self._neutron = neutron
        self._enrollment = enrollment
        self._naming = naming
        self._manage_ptr = manage_ptr

    def handle(self, event):
        address = event.floating_ip
        if address is None:
            LOG.info('floating IP %s was deleted but neutron sent no address; any DNS '
                     'record of it is left for the audit', event.floatingip_id)
            return
        owner = self._owner(event) if isinstance(event, FloatingIPAssociated) else None
        hints = {owner} if owner else set()
        if event.project_id:
            hints.add(self._naming.zone(event.project_id))
        hints.add(self._naming.domain)
        pointing = self._dns.names_pointing_at(address, hints)
        actions = decide.plan_floating_ip(address, owner, pointing, self._manage_ptr)
        self._dns.apply(actions)
        LOG.info('floating IP %s %s: %s', address,
                 f'now names {owner}' if owner else 'names no enrolled instance',
                 f'{len(actions)} record(s) made as wanted' if actions else 'nothing to change')

    def _owner(self, event):
        """The FQDN of the enrolled instance the floating IP now points at, or None."""
        instance_id, device_owner = event.instance_id, event.device_owner
        if not instance_id or not device_owner:
            port = self._neutron.port(event.port_id)
            if port is None:
                LOG.debug('port %s of floating IP %s is gone', event.port_id,
                          event.floating_ip)
                return None
            instance_id, device_owner = port
        if not instance_id or not device_owner.startswith(COMPUTE_OWNER):
            LOG.debug('floating IP %s points at a %s port, not an instance',
                      event.floating_ip, device_owner or 'unowned')
            return None
        server = self._nova.server(instance_id)
        if server is None:
            return None
        if not self._enrollment.enrolled(server.metadata, image_id=server.image_id):
            LOG.debug('instance %s is not enrolled in IPA: floating IP %s not published',
                      instance_id, event.floating_ip)
            return None
        try:
            return self._naming.fqdn(server.hostname, server.project_id)
        except BadNotification as exc:
            LOG.warning('instance %s behind floating IP %s: %s', instance_id,
                        event.floating_ip, exc)
            return None
