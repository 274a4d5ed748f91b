"""Which instances are enrolled, and the one IPA name each may have.

Pure: no I/O. Every input here is chosen by a tenant (hostname, metadata,
project), so every rule is strict and fails with BadNotification.
"""

import re

from notify.errors import BadNotification, shown

ENROLL_KEY = 'ipa_enroll'

# One DNS label: letters, digits and hyphens, 1-63 characters, no hyphen at
# either end. ASCII only and never normalised: a full-width "ｗｅｂ１" must not
# become the existing host "web1".
_LABEL = re.compile(r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z')
_NOT_LDH = re.compile(r'[^a-z0-9-]+')


def enroll_requested(value):
    """novajoin's test, exactly: ``value.lower() == 'true'`` (join.py). Nothing else
    enrolls: not '1', not 'yes', not ' true', not a JSON boolean."""
    return isinstance(value, str) and value.lower() == 'true'


def enrolled_by_metadata(metadata):
    return enroll_requested((metadata or {}).get(ENROLL_KEY))


def is_enrolled(metadata, image_properties):
    """Enrolled when ``ipa_enroll`` is 'true' (any case) in the instance metadata,
    else in the image's properties: novajoin's vendordata rule."""
    return (enrolled_by_metadata(metadata)
            or enroll_requested((image_properties or {}).get(ENROLL_KEY)))


def is_label(text):
    return isinstance(text, str) and text.isascii() and bool(_LABEL.match(text))


def dns_label(name):
    """Normalise a keystone project name to one DNS label ('Web Team_2' -> 'web-team-2')."""
    if not isinstance(name, str):
        raise BadNotification(f'project name {shown(name)} is not a string')
    label = _NOT_LDH.sub('-', name.lower())
    label = label.strip('-')[:63].rstrip('-')
    if not label:
        raise BadNotification(f'project name {shown(name)} gives no usable DNS label')
    return label


def zone_of(domain, project_label=None):
    """The DNS domain an instance's name lives in."""
    domain = domain.rstrip('.').lower()
    return f'{project_label}.{domain}' if project_label else domain


def instance_fqdn(hostname, domain, project_label=None):
    """The IPA host name of an instance: exactly ``<label>.<zone>``.

    ``zone`` is ``domain``, or with project subdomains the instance's own
    project zone ``<project_label>.<domain>``. A hostname may be that one label,
    or (nova 2.94+ lets the owner set an FQDN) the full ``<label>.<zone>``.
    Anything else is bad input: another domain, a name in another project's
    zone, a name in a TripleO sub-host namespace (``web1.internalapi.<domain>``),
    an invalid or non-ASCII label.
    """
    if not isinstance(hostname, str):
        raise BadNotification(f'hostname is {type(hostname).__name__}, not a string')
    zone = zone_of(domain, project_label)
    name = hostname.lower()
    if name.endswith('.'):
        name = name[:-1]
    label, dot, rest = name.partition('.')
    if is_label(label) and (not dot or rest == zone):
        return f'{label}.{zone}'
    raise BadNotification(f'hostname {shown(hostname)} is neither one DNS label nor '
                          f'<label>.{zone}')


def short_name(hostname):
    """The first label of a hostname, lower case ('' for anything but a string)."""
    return hostname.split('.', 1)[0].lower() if isinstance(hostname, str) else ''
