"""Keystone, nova and glance adapters: one keystoneauth session from
[service_credentials], cached look-ups, and errors sorted into ours."""

import contextlib
import dataclasses
import logging
import re
import urllib.parse

from glanceclient import Client as GlanceClient
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as keystone_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from notify import decide, metrics, opts
from notify.adapters.environment import read_environment_once
from notify.batch import Batcher
from notify.cache import ttl_cached
from notify.errors import PermanentError, TransientError

LOG = logging.getLogger(__name__)

# OS-EXT-SRV-ATTR:hostname appears in microversion 2.3; from 2.69 (Stein) nova
# lists the servers of a down cell as UNKNOWN instead of leaving them out, which
# the ownership check needs to fail closed.
NOVA_MICROVERSION = '2.69'
# Servers nova lists only when asked: soft-deleted (restorable) ones.
SOFT_DELETED_FILTER = {'deleted': True, 'status': 'SOFT_DELETED'}
NOVA_HEADERS = {'OpenStack-API-Version': f'compute {NOVA_MICROVERSION}',
                'X-OpenStack-Nova-API-Version': NOVA_MICROVERSION}


def load_session(conf, pool_size=None):
    """One keystoneauth session for every OpenStack API the daemon calls, with a
    connection pool as large as the number of workers that share it."""
    group = opts.SERVICE_CREDENTIALS
    auth = ks_loading.load_auth_from_conf_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group, auth=auth)
    read_environment_once(session.session)
    if pool_size:
        adapter = ks_session.TCPKeepAliveAdapter(pool_connections=pool_size,
                                                 pool_maxsize=pool_size)
        session.session.mount('https://', adapter)
        session.session.mount('http://', adapter)
    return session


@metrics.openstack_calls
@contextlib.contextmanager
def translated_errors(service):
    """Map client exceptions to TransientError / PermanentError."""
    try:
        yield
    except (ks_exc.ConnectionError, ks_exc.DiscoveryFailure) as exc:
        raise TransientError(f'{service} unreachable: {type(exc).__name__}') from None
    except ks_exc.HttpError as exc:
        raise _by_status(service, exc.http_status, exc) from None
    except ks_exc.ClientException as exc:
        # Authentication plugin errors (missing options, no endpoint in the catalog).
        raise TransientError(f'{service}: {type(exc).__name__}: {exc}') from None
    except nova_exc.ClientException as exc:
        raise _by_status(service, getattr(exc, 'code', None), exc) from None
    except glance_exc.HTTPException as exc:
        raise _by_status(service, getattr(exc, 'code', None), exc) from None


def _by_status(service, status, exc):
    text = f'{service} answered {status}: {type(exc).__name__}'
    if status is None or status >= 500 or status in (401, 403, 408, 409, 429):
        # 401/403: credentials or roles an operator must fix; keep the work queued.
        if status in (401, 403):
            LOG.error('%s refused the [service_credentials] user (%s); notifications '
                      'wait until that is fixed', service, status)
        return TransientError(text)
    return PermanentError(text)


class Keystone:
    """Project names, for per-project DNS subdomains."""

    def __init__(self, session, interface, region_name, cache_ttl=300, cache_size=4096):
        self._client = keystone_client.Client(session=session, interface=interface,
                                              region_name=region_name)
        self.project_name = ttl_cached(self._load, cache_ttl, cache_size)
        self._all_names = ttl_cached(lambda _key: self._load_all(), cache_ttl, 1)

    def _load(self, project_id):
        """The project's name, or None when keystone no longer has the project."""
        with translated_errors('keystone'):
            try:
                return self._client.projects.get(project_id).name
            except ks_exc.NotFound:
                return None

    def project_names(self):
        """{project id: name} of every project keystone has now."""
        return self._all_names('all')

    def _load_all(self):
        with translated_errors('keystone'):
            return {p.id: p.name for p in self._client.projects.list()}


class Glance:
    """Image properties, for ``ipa_enroll`` set on the image."""

    def __init__(self, session, interface, region_name, cache_ttl=300, cache_size=4096):
        self._client = GlanceClient('2', session=session, interface=interface,
                                    region_name=region_name)
        self._cached_load = ttl_cached(self._load, cache_ttl, cache_size)

    def image_properties(self, image_id):
        """The image's properties; {} for an image glance no longer has."""
        if not image_id:
            return {}
        return self._cached_load(image_id)

    def _load(self, image_id):
        with translated_errors('glance'):
            try:
                image = self._client.images.get(image_id)
            except glance_exc.HTTPNotFound:
                LOG.debug('image %s is gone from glance: no image properties', image_id)
                return {}
        return {k: v for k, v in dict(image).items() if isinstance(v, str)}


class Paged:
    """GET a collection through keystoneauth, following ``<name>_links`` next.

    A listing cut short (a full page without a next link, or anything past the
    last page) raises ``incomplete``: TransientError for the listener (the work
    waits), AuditAborted for the audit."""

    def __init__(self, session, service_type, interface, region_name, headers=None,
                 page_size=1000, incomplete=TransientError):
        self._session = session
        self._incomplete = incomplete
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
        url = _url(path, query)
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
        return self._get(_url(path, query), service).get(key) or []

    def _check_last_page(self, path, key, query, service, page, full):
        """nova and neutron link a next page after every full one: a full page
        without that link, or anything past the last page, means the listing was
        cut short and cannot be trusted."""
        if len(page) >= full:
            raise self._incomplete(f'{service} paging stopped early: a full page of {key} '
                                   f'without a link to the next one')
        if self._get(_url(path, dict(query, marker=page[-1]['id'])), service).get(key):
            raise self._incomplete(f'{service} paging stopped early: {key} exist past the '
                                   f'last page it linked')


def _url(path, query):
    return f'{path}?{urllib.parse.urlencode(query, doseq=True)}'


class Nova:
    """Which instances nova still has, for the ownership check.

    Ownership checks of concurrent notifications within ``batch_window`` are one
    nova query (a regex naming all their hostnames), split again per hostname.
    The listings are plain paged GETs: novaclient's listing also rewrites its
    shell-completion cache files under ~/.novaclient, behind one process-wide
    lock, on every call.
    """

    def __init__(self, session, interface, region_name, batch_window=0.0, batch_size=50,
                 senders=4, cells_ttl=10.0):
        self._client = nova_client.Client(NOVA_MICROVERSION, session=session,
                                          endpoint_type=interface, region_name=region_name)
        self._paged = Paged(session, 'compute', interface, region_name, NOVA_HEADERS)
        self._cells = ttl_cached(lambda _key: self._down_cell_probe(), cells_ttl, 1)
        self._batcher = None
        if batch_window > 0 and batch_size > 1:
            self._batcher = Batcher(self._one, self._many, batch_window, batch_size,
                                    senders, name='nova-batch')

    def servers_named(self, hostname):
        """Not-deleted servers of all projects whose hostname's first label is that
        of ``hostname``, as decide.ServerRecord. Raises TransientError when nova
        cannot tell (a down cell, a hidden hostname, an ignored filter)."""
        short = decide.short_name(hostname)
        if self._batcher is not None:
            return self._batcher.call('servers_named', (short,), {})
        return self._named([short])[short]

    def _one(self, _method, args, _options):
        return self._named([args[0]])[args[0]]

    def _many(self, calls):
        found = self._named([args[0] for _, args, _ in calls])
        return [found[args[0]] for _, args, _ in calls]

    def _down_cell_probe(self):
        return down_cell_problem(self._paged)

    def cells_problem(self):
        """The down-cell probe's answer, asked at most every ``cells_ttl`` seconds."""
        return self._cells('cells')

    def _named(self, labels):
        """{label: servers} for one nova query. nova's hostname filter is an
        unanchored regex: anchor it, escape the names."""
        names = sorted(set(labels))
        problem = self.cells_problem()
        if problem:
            raise TransientError(problem)
        pattern = '^(%s)(\\..*)?$' % '|'.join(re.escape(n) for n in names)
        servers = []
        # nova leaves soft-deleted servers out unless deleted ones are asked for;
        # they can be restored, so they are live here too.
        for extra in ({}, SOFT_DELETED_FILTER):
            servers += self._paged.all('/servers/detail', 'servers', dict(
                {'all_tenants': 'True', 'hostname': pattern}, **extra), 'nova',
                keep=server_record)
        problem = decide.listing_problem(servers, names)
        if problem:
            raise TransientError(problem)
        found = {name: [] for name in names}
        for server in servers:
            found[decide.short_name(server.hostname)].append(server)
        return found

    def server(self, instance_id):
        """The instance's facts, or None when nova no longer has it. Raises
        TransientError when nova cannot tell (a down cell, a hidden hostname)."""
        with translated_errors('nova'):
            try:
                s = self._client.servers.get(instance_id)
            except nova_exc.NotFound:
                return None
        problem = decide.listing_problem([server_record(s.to_dict())])
        if problem:
            raise TransientError(f'instance {instance_id}: {problem}')
        image = getattr(s, 'image', None)
        return Server(
            id=s.id, hostname=getattr(s, 'OS-EXT-SRV-ATTR:hostname', None) or '',
            project_id=getattr(s, 'tenant_id', None) or '',
            metadata=dict(getattr(s, 'metadata', None) or {}),
            image_id=image.get('id') if isinstance(image, dict) else None,
            status=getattr(s, 'status', ''))


def down_cell_problem(paged):
    """Why nova cannot tell now (a down cell), or None. A filtered or paged
    listing silently skips the servers of a down cell, even at 2.69; only an
    unfiltered one shows them, as UNKNOWN minimal records, first."""
    servers = paged.first_page('/servers', 'servers', {'all_tenants': 'True'}, 'nova')
    return decide.listing_problem([decide.ServerRecord(
        s.get('id'), '', '', s.get('status') or '') for s in servers])


def server_record(server):
    """A server of a nova listing (its JSON) as decide.ServerRecord; hostname None:
    nova hid it."""
    hostname = server.get('OS-EXT-SRV-ATTR:hostname')
    return decide.ServerRecord(
        id=server.get('id'), hostname=hostname if isinstance(hostname, str) else None,
        project_id=server.get('tenant_id') or '', status=server.get('status') or '')


@dataclasses.dataclass(frozen=True)
class Server:
    id: str
    hostname: str
    project_id: str
    metadata: dict
    image_id: str | None
    status: str


class Neutron:
    """Ports, to find the instance behind a floating IP's port."""

    def __init__(self, session, interface, region_name):
        self._session = session
        self._filter = {'service_type': 'network', 'interface': interface,
                        'region_name': region_name}

    def _get(self, path, key):
        with translated_errors('neutron'):
            try:
                response = self._session.get(path, endpoint_filter=self._filter)
            except ks_exc.NotFound:
                return None
        return response.json().get(key) or {}

    def port(self, port_id):
        """(device_id, device_owner) of a port, or None when neutron no longer has it."""
        port = self._get(f'/v2.0/ports/{port_id}', 'port')
        if port is None:
            return None
        return port.get('device_id') or '', port.get('device_owner') or ''

    def floatingip(self, fip_id):
        """The floating IP as neutron has it now, or None when it is gone."""
        return self._get(f'/v2.0/floatingips/{fip_id}', 'floatingip')

    def floatingips_at(self, address):
        """The floating IPs neutron has with this address (normally 0 or 1)."""
        query = urllib.parse.urlencode({'floating_ip_address': address})
        return self._get(f'/v2.0/floatingips?{query}', 'floatingips') or []
