"""The emulator object: its state and lifecycle, one mixin per concern."""

import collections
import threading

from tests.emulators.tls import shared_ca

from .batch import BatchMixin
from .commands import CommandsMixin
from .dnscheck import DnscheckMixin
from .dnsrecords import DnsrecordsMixin
from .dnszones import DnszonesMixin
from .errors import SEARCH_RECORDS_LIMIT, SERVER_SIZE_LIMIT
from .faults import FaultsMixin
from .hostdel import HostDeleteMixin
from .hostgroups import HostgroupsMixin
from .hosts import HostsMixin
from .hostsearch import HostSearchMixin
from .members import MembersMixin
from .params import _normalize_hostname
from .services import MASTER_SERVICES, ServicesMixin
from .sessions import SessionsMixin
from .transport import TransportMixin


class IPAEmulator(TransportMixin, SessionsMixin, CommandsMixin, BatchMixin, FaultsMixin,
                  HostsMixin, HostSearchMixin, HostDeleteMixin, HostgroupsMixin, MembersMixin,
                  ServicesMixin, DnszonesMixin, DnsrecordsMixin, DnscheckMixin):
    """A FreeIPA server on 127.0.0.1 (HTTPS, JSON-RPC, password sessions).

    Knobs (attributes, settable at any time): ``latency`` (seconds a JSON-RPC
    request takes from its arrival to its answer, the emulator's own work
    included), ``entry_latency`` (seconds of one command's own work: once for a
    lone command, once per entry of a batch, as IPA runs a batch's entries one
    after another), ``down``, ``session_max_calls``,
    ``password_expired`` (logins are refused as IPA refuses an expired
    password), ``search_size_limit`` (ipasearchrecordslimit, used when a search
    gives no ``sizelimit``; IPA's default 100), ``server_size_limit`` (389-ds
    nsslapd-sizelimit, which caps even ``sizelimit=0``; IPA sets 100000),
    ``search_time_limit_hit`` (None, or how many entries a search returns
    before the time limit cuts it).
    ``denied``: commands answered with ACIError (see FaultsMixin.deny).
    """

    def __init__(self, domain='example.test', realm=None, username='admin',
                 password='Secret123', ca=None, latency=0.0, port=0, denied=(),
                 entry_latency=0.0, search_size_limit=SEARCH_RECORDS_LIMIT,
                 server_size_limit=SERVER_SIZE_LIMIT, password_expired=False):
        self.domain = _normalize_hostname(domain)
        self.realm = realm or self.domain.upper()
        self.username = username
        self.password = password
        self.ca = ca or shared_ca()
        self.ca_path = self.ca.ca_path
        self.latency = latency
        self.entry_latency = entry_latency
        self.search_size_limit = search_size_limit
        self.server_size_limit = server_size_limit
        self.search_time_limit_hit = None
        self.password_expired = password_expired
        self.port = port
        self.down = False
        self.session_max_calls = None
        # login_password checks the Referer (rpcserver check_referer) as FreeIPA
        # >= 4.11 does; False accepts a login without one, as older servers did
        self.login_requires_referer = True
        self.master = f'ipa.{self.domain}'
        self.basedn = ','.join(f'dc={part}' for part in self.domain.split('.'))
        self.internal_errors = []

        self._lock = threading.RLock()
        self._hosts = {}
        # {host fqdn: {('host', fqdn) | ('service', principal)}}: the entries whose
        # managedby named it (389-ds indexes managedby); see MembersMixin._managed
        self._managers = collections.defaultdict(set)
        self._hostgroups = {}
        self._services = {}
        self._masters = {self.master}
        self._zones = {}
        self._sessions = {}
        self._faults = collections.defaultdict(collections.deque)
        self._denied = {}
        for method in denied:
            self.deny(method, denied[method] if isinstance(denied, dict) else None)
        self.stats = {}
        self.call_log = []
        # (time.monotonic(), fqdn) of every host deleted, for the benchmarks
        self.host_removed_at = []
        self.reset_stats()

        self._create_host(self.master, {'description': ['IPA master']}, has_keytab=True)
        self._create_hostgroup('ipaservers', 'IPA server hosts')
        self._hostgroups['ipaservers']['member_host'].append(self.master)
        for name in MASTER_SERVICES:
            self._create_service(f'{name}/{self.master}@{self.realm}', [self.master],
                                 has_keytab=True)

        self._server = None
        self._thread = None
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

