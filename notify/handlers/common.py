"""Rules the handlers share: which instances are enrolled, and their IPA names."""

import logging

from notify import decide
from notify.errors import BadNotification

LOG = logging.getLogger(__name__)


class ProjectGone(Exception):
    """keystone no longer has the project: its DNS label cannot be looked up."""

    def __init__(self, project_id):
        super().__init__(f'project {project_id} is gone from keystone')
        self.project_id = project_id


class InstanceNaming:
    """Instance -> FQDN, the same strict rule for every handler and the audit."""

    def __init__(self, domain, keystone=None):
        if not domain:
            raise ValueError('[ipa] domain is not set')
        self.domain = domain.rstrip('.').lower()
        self._keystone = keystone  # set when [ipa] project_subdomain is on

    @property
    def per_project(self):
        return self._keystone is not None

    def _label(self, project_id):
        """The project's DNS label with [ipa] project_subdomain, else None."""
        if self._keystone is None:
            return None
        if not project_id:
            raise BadNotification('no project: its DNS zone cannot be told')
        name = self._keystone.project_name(project_id)
        if name is None:
            raise ProjectGone(project_id)
        return decide.dns_label(name)

    def zone(self, project_id):
        """The DNS domain a project's instances live in."""
        return decide.zone_of(self.domain, self._label(project_id) if project_id else None)

    def fqdn(self, hostname, project_id):
        """Raises BadNotification for a name outside the instance's own zone, and
        ProjectGone when the project's zone cannot be told any more."""
        return decide.instance_fqdn(hostname, self.domain, self._label(project_id))

    def live_project_labels(self):
        """The DNS labels of every project keystone still has."""
        labels = set()
        for name in self._keystone.project_names().values():
            try:
                labels.add(decide.dns_label(name))
            except BadNotification:
                continue
        return labels


class Enrollment:
    """novajoin's rule: ``ipa_enroll`` 'true' (any case) in the instance metadata,
    else in the image."""

    def __init__(self, glance):
        self._glance = glance

    def enrolled(self, metadata, image_properties=None, image_id=None):
        if decide.enrolled_by_metadata(metadata):
            return True
        if image_properties is None:
            image_properties = self._glance.image_properties(image_id)
        return decide.is_enrolled(metadata, image_properties)


def log_kept(log, what, action, instance_id):
    """One line for a host, service or record left alone: a warning when a safety
    rule refused the removal, else info."""
    name = getattr(action, 'fqdn', None) or getattr(action, 'principal', '')
    level = logging.WARNING if getattr(action, 'refused', False) else logging.INFO
    log.log(level, 'keeping %s %s of deleted instance %s: %s', what, name, instance_id,
            action.reason)


def live_instances(nova, naming, hostname, project_id, fqdn):
    """The live instances (decide.LiveInstance) that may carry ``fqdn``, the name
    of ``hostname`` in ``project_id``. nova fails closed (TransientError)."""
    live = []
    for server in nova.servers_named(hostname):
        try:
            server_fqdn = naming.fqdn(server.hostname, server.project_id)
        except ProjectGone:
            # An instance of a deleted project carries that project's name,
            # which is ours only when it is our own project.
            if server.project_id != project_id:
                continue
            server_fqdn = fqdn
        except BadNotification:
            continue  # a name that cannot map to any IPA host
        live.append(decide.LiveInstance(server.id, server_fqdn, server.status))
    return live
