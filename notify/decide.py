"""Pure decisions: facts in, actions out. No I/O happens here.

The handlers gather facts (image properties, project names, which live instances
carry a name) through the adapters, then ask these functions what to do.
"""

import dataclasses
import re

from notify.errors import BadNotification

TRUE_VALUES = frozenset({'true', '1', 'yes'})
ENROLL_KEY = 'ipa_enroll'

# One DNS label: letters, digits and hyphens, 1-63 characters, no hyphen at
# either end. ASCII only and never normalised: a full-width "ｗｅｂ１" must not
# become the existing host "web1".
_LABEL = re.compile(r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z')
_NOT_LDH = re.compile(r'[^a-z0-9-]+')


def is_true(value):
    """nova metadata and glance properties are strings: 'true', '1', 'yes' (any case)."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in TRUE_VALUES


def enrolled_by_metadata(metadata):
    return is_true((metadata or {}).get(ENROLL_KEY))


def is_enrolled(metadata, image_properties):
    """Enrolled when ``ipa_enroll`` is true in the instance metadata, else in the image.

    This mirrors novajoin's vendordata service, which enrolls an instance when
    either says so.
    """
    return enrolled_by_metadata(metadata) or is_true((image_properties or {}).get(ENROLL_KEY))


def is_label(text):
    return isinstance(text, str) and text.isascii() and bool(_LABEL.match(text))


def dns_label(name):
    """Normalise a keystone project name to one DNS label ('Web Team_2' -> 'web-team-2')."""
    label = _NOT_LDH.sub('-', name.lower())
    label = label.strip('-')[:63].rstrip('-')
    if not label:
        raise BadNotification(f'project name {name!r} gives no usable DNS label')
    return label


def zone_of(domain, project_label=None):
    """The DNS domain an instance's name lives in."""
    domain = domain.rstrip('.').lower()
    return f'{project_label}.{domain}' if project_label else domain


def instance_fqdn(hostname, domain, project_label=None):
    """The IPA host name of an instance.

    ``hostname`` is the instance's one-label hostname; a hostname that is already
    a name inside ``domain`` is used as it is. Anything else (other domains,
    invalid labels, names that try to escape the domain) is bad input.
    """
    if not isinstance(hostname, str):
        raise BadNotification(f'hostname is {type(hostname).__name__}, not a string')
    name = hostname.rstrip('.').lower() if hostname.isascii() else hostname
    domain = domain.rstrip('.').lower()
    if is_label(name):
        return f'{name}.{zone_of(domain, project_label)}'
    suffix = '.' + domain
    if name.endswith(suffix):
        labels = name[:-len(suffix)].split('.')
        if all(is_label(label) for label in labels):
            return name
    raise BadNotification(f'hostname {hostname!r} is not a valid DNS label nor a '
                          f'name inside {domain}')


@dataclasses.dataclass(frozen=True)
class RemoveHost:
    """Remove an IPA host together with its DNS records."""
    fqdn: str
    instance_id: str


@dataclasses.dataclass(frozen=True)
class KeepHost:
    """Leave an IPA host alone, and say why."""
    fqdn: str
    reason: str


@dataclasses.dataclass(frozen=True)
class LiveInstance:
    """A not-deleted instance, with the FQDN it carries."""
    instance_id: str
    fqdn: str
    status: str = ''


def plan_instance_delete(instance_id, fqdn, live_instances):
    """What to do with the host of a deleted, enrolled instance.

    ``live_instances``: instances nova still has whose hostname could map to
    ``fqdn``. The host stays when any other one of them carries the same FQDN.
    """
    owners = sorted(i.instance_id for i in live_instances
                    if i.fqdn == fqdn and i.instance_id != instance_id)
    if owners:
        return KeepHost(fqdn, f'live instance(s) {", ".join(owners)} still carry '
                              f'{fqdn}')
    return RemoveHost(fqdn, instance_id)
