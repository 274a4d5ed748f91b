"""Instance deletes: remove the IPA host (and its DNS records) of an enrolled instance."""

import logging

from notify import decide
from notify.errors import BadNotification
from notify.events import InstanceDeleted
from notify.handlers import Handler

LOG = logging.getLogger(__name__)


class InstanceNaming:
    """Instance -> FQDN, the same rule for the deleted instance and the live ones."""

    def __init__(self, domain, keystone=None):
        if not domain:
            raise ValueError('[ipa] domain is not set')
        self.domain = domain.rstrip('.').lower()
        self._keystone = keystone  # set when [ipa] project_subdomain is on

    def fqdn(self, hostname, project_id):
        label = None
        if self._keystone is not None:
            label = decide.dns_label(self._keystone.project_name(project_id))
        return decide.instance_fqdn(hostname, self.domain, label)


class InstanceDeleteHandler(Handler):
    events = (InstanceDeleted,)

    def __init__(self, ipa, nova, glance, naming):
        self._ipa = ipa
        self._nova = nova
        self._glance = glance
        self._naming = naming

    def handle(self, event):
        if not self._enrolled(event):
            LOG.debug('instance %s (%s) was not enrolled in IPA; nothing to remove',
                      event.instance_id, event.hostname)
            return
        fqdn = self._naming.fqdn(event.hostname, event.project_id)
        action = decide.plan_instance_delete(event.instance_id, fqdn, self._live(event))
        if isinstance(action, decide.KeepHost):
            LOG.warning('keeping IPA host %s of deleted instance %s: %s',
                        action.fqdn, event.instance_id, action.reason)
            return
        if self._ipa.remove_host(action.fqdn):
            LOG.info('removed IPA host %s of deleted instance %s', action.fqdn,
                     event.instance_id)
        else:
            LOG.info('IPA host %s of deleted instance %s was already gone', action.fqdn,
                     event.instance_id)

    def _enrolled(self, event):
        if decide.enrolled_by_metadata(event.metadata):
            return True
        properties = event.image_properties
        if properties is None:
            properties = self._glance.image_properties(event.image_id)
        return decide.is_enrolled(event.metadata, properties)

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
