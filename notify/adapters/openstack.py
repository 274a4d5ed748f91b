"""Keystone, nova and glance adapters: one keystoneauth session from
[service_credentials], cached look-ups, and errors sorted into ours."""

import contextlib
import dataclasses
import logging
import re

from glanceclient import Client as GlanceClient
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as keystone_client
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

from notify import metrics, opts
from notify.batch import Batcher
from notify.cache import ttl_cached
from notify.errors import PermanentError, TransientError

LOG = logging.getLogger(__name__)

# OS-EXT-SRV-ATTR:hostname appears in microversion 2.3; 2.53 is Pike's, old
# enough for every maintained cloud.
NOVA_MICROVERSION = '2.53'


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

    def _load(self, project_id):
        with translated_errors('keystone'):
            return self._client.projects.get(project_id).name


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
                 senders=4):
        self._client = nova_client.Client(NOVA_MICROVERSION, session=session,
                                          endpoint_type=interface, region_name=region_name)
        self._batcher = None
        if batch_window > 0 and batch_size > 1:
            self._batcher = Batcher(self._one, self._many, batch_window, batch_size,
                                    senders, name='nova-batch')

    def servers_named(self, hostname):
        """Not-deleted servers of all projects whose hostname's first label is that
        of ``hostname``, as (id, hostname, project_id, status)."""
        short = hostname.split('.', 1)[0].lower()
        if self._batcher is not None:
            return self._batcher.call('servers_named', (short,), {})
        return self._named([short])[short]

    def _one(self, _method, args, _options):
        return self._named([args[0]])[args[0]]

    def _many(self, calls):
        found = self._named([args[0] for _, args, _ in calls])
        return [found[args[0]] for _, args, _ in calls]

    def _named(self, labels):
        """{label: servers} for one nova query. nova's hostname filter is an
        unanchored regex: anchor it, escape the names."""
        names = sorted(set(labels))
        pattern = '^(%s)(\\..*)?$' % '|'.join(re.escape(n) for n in names)
        with translated_errors('nova'):
            servers = self._client.servers.list(
                search_opts={'all_tenants': True, 'hostname': pattern}, limit=-1)
        found = {name: [] for name in names}
        for s in servers:
            hostname = getattr(s, 'OS-EXT-SRV-ATTR:hostname', None) or ''
            first = hostname.split('.', 1)[0].lower()
            if first in found:
                found[first].append((s.id, hostname, getattr(s, 'tenant_id', None) or '',
                                     getattr(s, 'status', '')))
        return found

    def server(self, instance_id):
        """The instance's facts, or None when nova no longer has it."""
        with translated_errors('nova'):
            try:
                s = self._client.servers.get(instance_id)
            except nova_exc.NotFound:
                return None
        image = getattr(s, 'image', None)
        return Server(
            id=s.id, hostname=getattr(s, 'OS-EXT-SRV-ATTR:hostname', None) or '',
            project_id=getattr(s, 'tenant_id', None) or '',
            metadata=dict(getattr(s, 'metadata', None) or {}),
            image_id=image.get('id') if isinstance(image, dict) else None,
            status=getattr(s, 'status', ''))


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
