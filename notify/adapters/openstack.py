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


def load_session(conf, pool_size=None):
    """One keystoneauth session for every OpenStack API the daemon calls, with a
    connection pool as large as the number of workers that share it."""
    group = opts.SERVICE_CREDENTIALS
    auth = ks_loading.load_auth_from_conf_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group, auth=auth)
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


class Nova:
    """Which instances nova still has, for the ownership check.

    Ownership checks of concurrent notifications within ``batch_window`` are one
    nova query (a regex naming all their hostnames), split again per hostname.
    """

    def __init__(self, session, interface, region_name, batch_window=0.0, batch_size=50,
                 senders=4, cells_ttl=10.0):
        self._client = nova_client.Client(NOVA_MICROVERSION, session=session,
                                          endpoint_type=interface, region_name=region_name)
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
        """Why nova cannot tell now (a down cell), or None. A filtered or paged
        listing silently skips the servers of a down cell, even at 2.69; only an
        unfiltered one shows them, as UNKNOWN minimal records, first."""
        with translated_errors('nova'):
            servers = self._client.servers.list(detailed=False,
                                                search_opts={'all_tenants': True})
        return decide.listing_problem([decide.ServerRecord(
            s.id, '', '', getattr(s, 'status', '') or '') for s in servers])

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
            with translated_errors('nova'):
                servers += [_record(s) for s in self._client.servers.list(
                    search_opts=dict({'all_tenants': True, 'hostname': pattern}, **extra),
                    limit=-1)]
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
        problem = decide.listing_problem([_record(s)])
        if problem:
            raise TransientError(f'instance {instance_id}: {problem}')
        image = getattr(s, 'image', None)
        return Server(
            id=s.id, hostname=getattr(s, 'OS-EXT-SRV-ATTR:hostname', None) or '',
            project_id=getattr(s, 'tenant_id', None) or '',
            metadata=dict(getattr(s, 'metadata', None) or {}),
            image_id=image.get('id') if isinstance(image, dict) else None,
            status=getattr(s, 'status', ''))


def _record(server):
    """A novaclient Server as decide.ServerRecord (hostname None: nova hid it)."""
    hostname = getattr(server, 'OS-EXT-SRV-ATTR:hostname', None)
    return decide.ServerRecord(
        id=server.id, hostname=hostname if isinstance(hostname, str) else None,
        project_id=getattr(server, 'tenant_id', None) or '',
        status=getattr(server, 'status', '') or '')


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
