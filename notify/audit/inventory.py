"""Complete listings for the audit: IPA, nova and neutron, each paged to the end.

A listing the audit cannot trust raises AuditAborted before anything is decided:
IPA answering ``truncated`` (a search size or time limit), nova or neutron paging
that stops early (checked by asking once more past the last page), a down nova
cell (``UNKNOWN`` servers), servers without their hostname.
"""

import datetime
import logging
import urllib.parse

from python_freeipa import exceptions as ipa_exc

from notify import decide
from notify.adapters.ipa_dns import dns_text
from notify.adapters.ipa_hosts import host_facts
from notify.adapters.openstack import (NOVA_MICROVERSION, SOFT_DELETED_FILTER,
                                       translated_errors)
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
                hosts[name] = Host(host_facts(entry), enrolled_age(entry, now))
            if progress:
                progress(len(chunk))
        return hosts

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
            services[principal] = {str(h).lower() for h in entry.get('managedby_host', ())}
        return hosts, services


class Paged:
    """GET a collection through keystoneauth, following ``<name>_links`` next."""

    def __init__(self, session, service_type, interface, region_name, headers=None,
                 page_size=1000):
        self._session = session
        self._filter = {'service_type': service_type, 'interface': interface,
                        'region_name': region_name}
        self._headers = headers or {}
        self._page_size = page_size

    def _get(self, url, service):
        with translated_errors(service):
            kwargs = {'headers': self._headers}
            if not url.startswith('http'):
                kwargs['endpoint_filter'] = self._filter
            return self._session.get(url, **kwargs).json()

    def all(self, path, key, query, service, progress=None, keep=None):
        """Every item, or ``keep(item)`` of every item: applied page by page, so
        only what the caller keeps of each item stays in memory."""
        query = dict(query, limit=self._page_size)
        url = f'{path}?{urllib.parse.urlencode(query, doseq=True)}'
        items, full = [], self._page_size
        while url:
            body = self._get(url, service)
            page = body.get(key) or []
            items += page if keep is None else map(keep, page)
            if progress:
                progress(len(page))
            url = next((link['href'] for link in body.get(f'{key}_links') or ()
                        if link.get('rel') == 'next'), None)
            if url is not None:
                full = len(page)    # the server's page size (its max_limit may be lower)
            elif page:
                self._check_last_page(path, key, query, service, page, full)
        return items

    def first_page(self, path, key, query, service):
        """One page as the server sizes it (no limit, no marker)."""
        return self._get(f'{path}?{urllib.parse.urlencode(query, doseq=True)}',
                         service).get(key) or []

    def _check_last_page(self, path, key, query, service, page, full):
        """nova and neutron link a next page after every full one: a full page
        without that link, or anything past the last page, means the listing was
        cut short and cannot be trusted."""
        if len(page) >= full:
            raise AuditAborted(f'{service} paging stopped early: a full page of {key} '
                               f'without a link to the next one')
        probe = dict(query, marker=page[-1]['id'])
        if self._get(f'{path}?{urllib.parse.urlencode(probe, doseq=True)}', service).get(key):
            raise AuditAborted(f'{service} paging stopped early: {key} exist past the '
                               f'last page it linked')


def nova_servers(paged, progress=None):
    """Every server of every project (decide.ServerRecord, metadata, image id)."""
    # Paged listings skip a down cell's servers silently; an unfiltered one shows
    # them (2.69) as UNKNOWN, first.
    probe = paged.first_page('/servers', 'servers', {'all_tenants': 'True'}, 'nova')
    problem = decide.listing_problem([decide.ServerRecord(s.get('id'), '', '',
                                                          s.get('status', '')) for s in probe])
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
    hostname = s.get('OS-EXT-SRV-ATTR:hostname')
    image = s.get('image')
    return (decide.ServerRecord(s['id'], hostname if isinstance(hostname, str) else None,
                                s.get('tenant_id') or '', s.get('status', '')),
            (s.get('metadata') or {}, image.get('id') if isinstance(image, dict) else None))


NOVA_HEADERS = {'OpenStack-API-Version': f'compute {NOVA_MICROVERSION}',
                'X-OpenStack-Nova-API-Version': NOVA_MICROVERSION}
