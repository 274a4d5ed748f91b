"""Rules the handlers share: which instances are enrolled, and their IPA names."""

from notify import decide


class InstanceNaming:
    """Instance -> FQDN, the same rule for every handler and every instance."""

    def __init__(self, domain, keystone=None):
        if not domain:
            raise ValueError('[ipa] domain is not set')
        self.domain = domain.rstrip('.').lower()
        self._keystone = keystone  # set when [ipa] project_subdomain is on

    def _label(self, project_id):
        """The project's DNS label with [ipa] project_subdomain, else None."""
        if self._keystone is None:
            return None
        return decide.dns_label(self._keystone.project_name(project_id))

    def zone(self, project_id):
        """The DNS domain a project's instances live in."""
        return decide.zone_of(self.domain, self._label(project_id) if project_id else None)

    def fqdn(self, hostname, project_id):
        return decide.instance_fqdn(hostname, self.domain, self._label(project_id))


class Enrollment:
    """novajoin's rule: ``ipa_enroll`` in the instance metadata, else in the image."""

    def __init__(self, glance):
        self._glance = glance

    def enrolled(self, metadata, image_properties=None, image_id=None):
        if decide.enrolled_by_metadata(metadata):
            return True
        if image_properties is None:
            image_properties = self._glance.image_properties(image_id)
        return decide.is_enrolled(metadata, image_properties)
