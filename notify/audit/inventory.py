"""Complete listings for the audit: IPA, nova and neutron, each paged to the end.

A listing the audit cannot trust raises AuditAborted before anything is decided:
IPA answering ``truncated`` (a search size or time limit), nova or neutron paging
that stops early (checked by asking once more past the last page), a down nova
cell (``UNKNOWN`` servers), servers without their hostname.
"""

import datetime
import logging

from python_freeipa import exceptions as ipa_exc

from notify import decide
from notify.adapters.ipa_dns import dns_text
from notify.adapters.ipa_hosts import host_facts, hostnames
from notify.adapters.openstack import SOFT_DELETED_FILTER, down_cell_problem, server_record
from notify.audit import AuditAborted
from notify.audit.plan import Host

LOG = logging.getLogger(__name__)

BATCH = 100        # host_show calls per IPA batch request


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _timestamp(value):
    """IPA's generalized time ('20261129223000Z', or {'__datetime__': ...})."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get('__datetime__')
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.strptime(value[:14], '%Y%m%d%H%M%S').replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def enrolled_age(entry, now):
    """Seconds since the host was enrolled (its keytab set), None when unknown."""
    when = _timestamp(entry.get('krblastpwdchange'))
    return None if when is None else max(0.0, (now - when).total_seconds())


class IPAInventory:
    def __init__(self, ipa, domain, project_zones):
        self._ipa = ipa
        self._domain = domain
        self._project_zones = project_zones

    def in_zones(self, fqdn):
        """``<label>.<domain>``, or with project zones ``<label>.<label>.<domain>``."""
        suffix = '.' + self._domain
        if not fqdn.endswith(suffix):
            return False
        labels = fqdn[:-len(suffix)].split('.')
        wanted = 2 if self._project_zones else 1
        return len(labels) == wanted and all(decide.is_label(x) for x in labels)

    def _complete(self, command, *args, **options):
        result = self._ipa.call(command, *args, sizelimit=0, timelimit=0, **options)
        if result.get('truncated'):
            raise AuditAborted(f'IPA truncated the {command} answer (a search size or '
                               f'time limit of the IPA server or user): the listing is '
                               f'incomplete')
        return result['result']

    def host_names(self):
        names = [str(n).lower() for e in self._complete('host_find', pkey_only=True)
                 for n in e.get('fqdn', ())]
        return sorted(n for n in names if self.in_zones(n))

    def hosts(self, names, now, progress=None):
        """{fqdn: plan.Host} with IPA's details, fetched in batch requests."""
        hosts = {}
        for chunk in _chunks(names, BATCH):
            answers = self._ipa.call_batch([('host_show', (n,), {'all': True})
                                            for n in chunk])
            for name, answer in zip(chunk, answers):
                if isinstance(answer, ipa_exc.NotFound):
                    continue      # removed meanwhile
                if isinstance(answer, Exception):
                    raise answer
                entry = answer['result']
                hosts[name] = Host(host_facts(entry), enrolled_age(entry, now),
                                   frozenset(hostnames(entry.get('managing_host'))) - {name})
            if progress:
                progress(len(chunk))
        return hosts

    def service_managers(self):
        """Every host that manages some IPA service (one service_find)."""
        return frozenset().union(*(hostnames(entry.get('managedby_host'))
                                   for entry in self._complete('service_find', all=True)))

    def records(self):
        """{fqdn: [A/AAAA values]} in every IPA zone under the domain."""
        suffix = '.' + self._domain + '.'
        zones = [dns_text(z['idnsname'][0]).lower() for z in
                 self._complete('dnszone_find', pkey_only=True)]
        zones = [z if z.endswith('.') else z + '.' for z in zones]
        found = {}
        for zone in zones:
            if not ('.' + zone).endswith(suffix):
                continue
            for entry in self._complete('dnsrecord_find', zone):
                relative = dns_text(entry['idnsname'][0])
                fqdn = (zone if relative == '@' else f'{relative}.{zone}').rstrip('.').lower()
                values = list(entry.get('arecord', ())) + list(entry.get('aaaarecord', ()))
                if values:
                    found.setdefault(fqdn, []).extend(values)
        return found

    def managed(self, node):
        """({fqdn: HostFacts} of hosts ``node`` manages, {principal: managers})."""
        hosts = {}
        # find commands leave membership attributes out unless asked (no_members)
        for entry in self._complete('host_find', man_by_host=[node], all=True):
            facts = host_facts(entry)
            if facts.fqdn != node:
                hosts[facts.fqdn] = facts
        services = {}
        for entry in self._complete('service_find', man_by_host=[node], all=True):
            principal = str(entry['krbprincipalname'][0])
            services[principal] = set(hostnames(entry.get('managedby_host')))
        return hosts, services


def nova_servers(paged, progress=None):
    """Every server of every project (decide.ServerRecord, metadata, image id)."""
    # Paged listings skip a down cell's servers silently; an unfiltered one shows
    # them (2.69) as UNKNOWN, first.
    problem = down_cell_problem(paged)
    if problem:
        raise AuditAborted(f'nova cannot list every instance: {problem}')
    servers = paged.all('/servers/detail', 'servers', {'all_tenants': 'True'}, 'nova',
                        progress, keep=_server_facts)
    # soft-deleted servers can be restored: nova lists them only when asked
    servers += paged.all('/servers/detail', 'servers', dict(
        {'all_tenants': 'True'}, **SOFT_DELETED_FILTER), 'nova', progress, keep=_server_facts)
    records = [record for record, _ in servers]
    problem = decide.listing_problem(records)
    if problem:
        raise AuditAborted(f'nova cannot list every instance: {problem}')
    return records, {record.id: details for record, details in servers}


def _server_facts(s):
    """(decide.ServerRecord, (metadata, image id)): what the audit uses of a server."""
    image = s.get('image')
    return (server_record(s),
            (s.get('metadata') or {}, image.get('id') if isinstance(image, dict) else None))


