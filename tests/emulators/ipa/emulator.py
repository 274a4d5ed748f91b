"""The emulator object: its state and lifecycle, one mixin per concern."""

import collections
import threading

from tests.emulators.tls import shared_ca

from .batch import BatchMixin
from .commands import CommandsMixin
from .dnscheck import DnscheckMixin
from .dnsrecords import DnsrecordsMixin
from .dnszones import DnszonesMixin
from .faults import FaultsMixin
from .hosts import HostsMixin
from .members import MembersMixin
from .params import _normalize_hostname
from .services import MASTER_SERVICES, ServicesMixin
from .transport import TransportMixin


class IPAEmulator(TransportMixin, CommandsMixin, BatchMixin, FaultsMixin, HostsMixin,
                  MembersMixin, ServicesMixin, DnszonesMixin, DnsrecordsMixin, DnscheckMixin):
    """A FreeIPA server on 127.0.0.1 (HTTPS, JSON-RPC, password sessions)."""

    def __init__(self, domain='example.test', realm=None, username='admin',
                 password='Secret123', ca=None, latency=0.0, port=0):
        self.domain = _normalize_hostname(domain)
        self.realm = realm or self.domain.upper()
        self.username = username
        self.password = password
        self.ca = ca or shared_ca()
        self.ca_path = self.ca.ca_path
        self.latency = latency
        self.port = port
        self.down = False
        self.session_max_calls = None
        # Real IPA's login_password handler does not itself check the Referer;
        # this emulator insists on one (python-freeipa always sends it).
        self.login_requires_referer = True
        self.master = f'ipa.{self.domain}'
        self.basedn = ','.join(f'dc={part}' for part in self.domain.split('.'))
        self.internal_errors = []

        self._lock = threading.RLock()
        self._hosts = {}
        self._services = {}
        self._masters = {self.master}
        self._zones = {}
        self._sessions = {}
        self._faults = collections.defaultdict(collections.deque)
        self.stats = {}
        self.call_log = []
        # (time.monotonic(), fqdn) of every host deleted, for the benchmarks
        self.host_removed_at = []
        self.reset_stats()

        self._create_host(self.master, {'description': ['IPA master']}, has_keytab=True)
        for name in MASTER_SERVICES:
            self._create_service(f'{name}/{self.master}@{self.realm}', [self.master],
                                 has_keytab=True)

        self._server = None
        self._thread = None
        self._conns = set()
        self._conns_lock = threading.Lock()
        self._commands = self._build_commands()

    @property
    def server(self):
        return f'localhost:{self.port}'

    @property
    def principal(self):
        return f'{self.username}@{self.realm}'

    def start(self):
        self._open()
        return self

    def stop(self):
        self._close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

