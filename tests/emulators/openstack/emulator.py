"""The facade: one object that holds every service's data, starts the HTTPS
server and offers the test helpers (from the per-service ``*Data`` mixins)."""

import collections
import threading
import uuid

from tests.emulators.openstack.common import hex_id
from tests.emulators.openstack.glance import Glance, GlanceData
from tests.emulators.openstack.keystone import Keystone, KeystoneData
from tests.emulators.openstack.neutron import Neutron, NeutronData
from tests.emulators.openstack.nova import Nova
from tests.emulators.openstack.nova_data import NovaData
from tests.emulators.openstack.transport import Handler, Server
from tests.emulators.tls import shared_ca


class OpenStackEmulator(KeystoneData, NovaData, GlanceData, NeutronData):
    """keystone v3 + nova v2.1 + glance v2 + neutron v2.0 over one HTTPS port."""

    def __init__(self, ca=None, username='novajoin', password='Secret456',
                 project_name='service', user_domain='Default', project_domain='Default',
                 region='RegionOne', page_size=1000, port=0, token_ttl=3600,
                 nova_max_version='2.96', max_limit=None):
        self.ca = ca or shared_ca()
        # an older cloud: a lower maximum microversion (nova answers 406 above it)
        self.nova_max_version = tuple(int(x) for x in nova_max_version.split('.'))
        self.ca_path = self.ca.ca_path
        self.region = region
        self.token_ttl = token_ttl
        self._requested_port = port
        self.port = None
        self.base_url = None
        self.auth_url = None
        self.down = set()
        # seconds slept before every answer: a number for all services, or
        # {service: seconds} ('identity', 'compute', 'image', 'network')
        self.latency = 0.0

        self._lock = threading.RLock()
        self._server = None
        self._thread = None

        self._init_keystone(username, password, project_name, user_domain, project_domain)

        # nova / glance / neutron
        self._init_nova(page_size if max_limit is None else max_limit)
        self._images = {}
        self._ports = {}
        self._floatingips = {}
        self.neutron_max_limit = None     # neutron's pagination_max_limit (-1: none)
        self.default_user_id = hex_id()   # the user who "booted" servers
        self.default_network_id = str(uuid.uuid4())
        self.default_subnet_id = str(uuid.uuid4())
        self.default_security_group_id = str(uuid.uuid4())

        self._keystone = Keystone(self)
        self._apis = {'identity': self._keystone, 'compute': Nova(self),
                      'image': Glance(self), 'network': Neutron(self)}

        self.errors = []          # tracebacks of emulator bugs (answered 500)
        self.reset_stats()

    # ------------------------------------------------------------------ life

    def start(self):
        ctx = self.ca.server_context()
        self._server = Server(('127.0.0.1', self._requested_port), Handler, self, ctx)
        self.port = self._server.server_address[1]
        self._requested_port = self.port   # a restart keeps the port the catalog names
        self.base_url = 'https://localhost:%d' % self.port
        self.auth_url = self.base_url + '/identity/v3'
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        name='openstack-emulator-%d' % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, service):
        """The catalog URL of a service."""
        return {'identity': self.base_url + '/identity',
                'compute': self.base_url + '/compute/v2.1',
                'image': self.base_url + '/image',
                'network': self.base_url + '/network'}[service]

    # ----------------------------------------------------------------- stats

    def latency_of(self, service):
        latency = self.latency
        if isinstance(latency, dict):
            return latency.get(service, 0.0)
        return latency or 0.0

    def reset_stats(self):
        """``stats``: 'requests' {service: n}, 'paths' {(method, path): n},
        'calls' {(service, method, path template): n}, 'token_issues' n."""
        with self._lock:
            self.stats = {'requests': collections.Counter(), 'token_issues': 0,
                          'paths': collections.Counter(), 'calls': collections.Counter()}
            self.request_log = []

    def calls(self, service=None, method=None, template=None):
        """How many calls since ``reset_stats()`` match: e.g.
        ``calls('compute', 'GET', '/v2.1/servers/detail')``; None matches anything.
        Templates are the paths below the service prefix, ids as ``{id}``; a path
        no route knows counts under the template '<unknown>'."""
        with self._lock:
            return sum(n for (s, m, t), n in self.stats['calls'].items()
                       if service in (None, s) and method in (None, m)
                       and template in (None, t))
