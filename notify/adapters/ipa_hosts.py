"""IPA hosts and services: the facts the safety rules need, and their removal.

Reads are plain ``host_show`` / ``service_show`` answers turned into
decide.HostFacts; removals are ``host_del --updatedns`` and ``service_del``.
Nothing here decides whether a removal is allowed: notify.decide does.
"""

import logging

from python_freeipa import exceptions as ipa_exc

from notify import decide
from notify.adapters.ipa import error_code
from notify.errors import PermanentError, TransientError

LOG = logging.getLogger(__name__)

VALIDATION_ERROR = 3009   # e.g. "An IPA master host cannot be deleted or disabled"


def hostnames(values):
    """IPA's host names (fqdn, managedby_host, ...) as compared here: lower case,
    no trailing dot; anything not a string left out."""
    return [str(v).rstrip('.').lower() for v in values or () if isinstance(v, str)]


def host_facts(entry):
    """decide.HostFacts from one ``host_show`` / ``host_find`` entry."""
    fqdn = hostnames(entry.get('fqdn'))[0]
    description = tuple(str(d) for d in entry.get('description') or ())
    managed_by = frozenset(hostnames(entry.get('managedby_host'))) - {fqdn}
    groups = frozenset(hostnames(entry.get('memberof_hostgroup'))
                       + hostnames(entry.get('memberofindirect_hostgroup')))
    return decide.HostFacts(fqdn, description, managed_by, groups)


class IPAHosts:
    def __init__(self, ipa):
        self._ipa = ipa

    @property
    def dry_run(self):
        return self._ipa.dry_run

    def facts(self, fqdn):
        """HostFacts of ``fqdn``, or None when IPA has no such host."""
        try:
            entry = self._ipa.call('host_show', fqdn)['result']
        except ipa_exc.NotFound:
            return None
        return host_facts(entry)

    def find(self, criteria):
        """HostFacts of every host IPA finds for ``criteria`` (its whole list: a
        truncated answer cannot be trusted)."""
        result = self._ipa.call('host_find', criteria, sizelimit=0)
        if result.get('truncated'):
            raise TransientError(f'IPA truncated host_find {criteria!r}: raise the '
                                 f'search limits of the IPA user')
        names = sorted(hostnames(n for entry in result['result'] for n in entry.get('fqdn') or ()))
        return [facts for facts in map(self.facts, names) if facts is not None]

    def service_managers(self, principal):
        """Hosts managing a service, or None when IPA has no such service."""
        try:
            result = self._ipa.call('service_show', principal)['result']
        except ipa_exc.NotFound:
            return None
        return set(hostnames(result.get('managedby_host')))

    def remove(self, fqdn):
        """``host_del --updatedns``: the host with its A/AAAA/SSHFP records and their
        PTRs. True: removed; False: it was not there."""
        return self._delete('host_del', fqdn, updatedns=True)

    def remove_service(self, principal):
        """``service_del``. True: removed; False: it was not there."""
        return self._delete('service_del', principal)

    def _delete(self, command, name, **options):
        try:
            self._ipa.call(command, name, **options)
        except ipa_exc.NotFound:
            return False
        except ipa_exc.FreeIPAError as exc:
            raise PermanentError(f'IPA refused {command} {name}: {_short(exc)} '
                                 f'(code {error_code(exc)})') from None
        return True


def _short(exc):
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
