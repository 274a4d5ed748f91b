"""Instance deletes: remove the Satellite (Foreman) hosts of a deleted instance.

subscription-manager registration does not depend on novajoin, so every deleted
instance is looked at, enrolled in IPA or not. Its hosts are the Satellite hosts
whose ``virt::uuid`` or ``dmi::system::uuid`` fact names the instance UUID
(notify.adapters.satellite): never a host matched by name alone, never a host
without such a fact. They are deleted only once nova confirms the instance is
gone.
"""

import logging

from notify.adapters import satellite
from notify.errors import printable
from notify.events import InstanceDeleted
from notify.handlers import ConfigurationError, Handler

LOG = logging.getLogger(__name__)


class SatelliteHostHandler(Handler):
    name = 'satellite'
    events = (InstanceDeleted,)

    def __init__(self, satellite, nova):
        self._satellite = satellite
        self._nova = nova

    @classmethod
    def from_config(cls, conf, shared):
        try:
            client = satellite.from_config(conf, shared.dry_run)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        return None if client is None else cls(client, shared.nova)

    def handle(self, event):
        hosts = self._satellite.hosts_for_instance(event.instance_id)
        if not hosts:
            LOG.debug('deleted instance %s has no Satellite host', event.instance_id)
            return
        if self._nova.server(event.instance_id) is not None:
            named = ', '.join(f'{printable(h.name)} (id {h.id})' for h in hosts)
            LOG.warning('keeping Satellite host(s) %s of instance %s: nova still has the '
                        'instance', named, event.instance_id)
            return
        for host in hosts:
            if self._satellite.delete_host(host.id):
                LOG.info('%s Satellite host %s (id %s) of deleted instance %s (%s %s)',
                         'dry-run: would remove' if self._satellite.dry_run else 'removed',
                         printable(host.name), host.id, event.instance_id, host.fact,
                         printable(host.value))
            else:
                LOG.info('Satellite host %s (id %s) of deleted instance %s was already '
                         'gone', printable(host.name), host.id, event.instance_id)
