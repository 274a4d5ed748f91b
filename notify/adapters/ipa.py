"""IPA adapter: python-freeipa sessions, reused, with errors sorted into ours.

A small pool of logged-in python-freeipa clients is shared by the listener's
worker threads (a python-freeipa client is a requests Session and is not shared
between threads at once). Each client logs in once and is reused across events;
when IPA answers 401 (session expired) it logs in again, once, and retries.

How IPA's answers end up:
- ACIError (2100, python-freeipa's ``Denied``, a subclass of its
  ``Unauthorized``): the [ipa] user lacks a permission. No new login or retry
  heals that: PermanentError naming the command and what IPA refused, the same
  whether the call went out alone or in a batch.
- 401 on a command: the session expired; log in again once and retry.
- a refused login (password expired, wrong, locked...): one ERROR line until
  the login works again; TransientError, so the work waits for the fix.
- unreachable, timeout, 5xx, NetworkError, DatabaseError...: TransientError.
"""

import contextlib
import logging
import os
import queue
import ssl
import threading
from time import monotonic

from python_freeipa import ClientMeta
from python_freeipa import exceptions as ipa_exc
from requests.adapters import HTTPAdapter

from notify import compat, metrics
from notify.adapters import ipa_rpc
from notify.adapters.environment import read_environment_once
from notify.batch import Batcher
from notify.batch_cost import RequestCost
from notify.errors import PermanentError, TransientError, printable

LOG = logging.getLogger(__name__)

# IPA error codes (ipalib/errors.py) that may heal by themselves.
TRANSIENT_CODES = frozenset({
    904,   # ServerInternalError
    907,   # NetworkError: IPA cannot reach LDAP or a replica
    4203,  # DatabaseError
    4211,  # DatabaseTimeout
    4204,  # LimitsExceeded
})
# Commands that change IPA; with dry_run they are logged, not sent.
WRITE_COMMANDS = frozenset({'host_del', 'dnsrecord_add', 'dnsrecord_del', 'service_del',
                            'host_mod', 'dnsrecord_mod', 'batch'})
EMPTY_MODLIST = 4202       # adding a value that is already there
ATTR_VALUE_NOT_FOUND = 4026  # removing a value that is not there
# IPA runs a batch's entries one after another (host_del may revoke certificates):
# a batch request may take [ipa] timeout plus this share of it per entry.
WRITE_SHARE, READ_SHARE = 0.1, 0.02


class _TimeoutAdapter(HTTPAdapter):
    """python-freeipa passes no timeout to requests; without one a hung IPA hangs us."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def send(self, request, **kwargs):
        if kwargs.get('timeout') is None:
            kwargs['timeout'] = self.timeout
        return super().send(request, **kwargs)


class _LoginRefused(TransientError):
    """IPA refused the credentials: said once at ERROR, the work waits."""


class _Conn:
    """A logged-in python-freeipa client, the adapter that times its requests, and
    the urllib3 path its commands take after the login (None: requests sends)."""

    __slots__ = ('client', 'adapter', 'server', 'rpc')

    def __init__(self, client, adapter, server):
        self.client, self.adapter, self.server = client, adapter, server
        self.rpc = None

    def close(self):
        compat.close_ipa_client(self.client)
        if self.rpc is not None:
            self.rpc.close()


def error_code(exc):
    return getattr(exc, 'code', None)


def check_ca_cert(path):
    """None if ``path`` is a readable CA bundle, else what is wrong with it."""
    try:
        if os.path.isdir(path):   # requests takes a directory of hashed certificates too
            ssl.create_default_context(capath=path)
        else:
            ssl.create_default_context(cafile=path)
    except OSError as exc:   # FileNotFoundError, PermissionError, ssl.SSLError
        return f'[ipa] ca_cert {path} cannot be used: {exc.strerror or exc}'
    return None


class IPAClient:
    """The few IPA operations novajoin-notify needs, over reused sessions."""

    @classmethod
    def from_config(cls, conf, **overrides):
        """A client as the [ipa] options describe it; ``overrides`` (max_connections,
        batch_window, timeout, dry_run...) for a caller that needs other values."""
        ipa = conf.ipa
        options = dict(timeout=ipa.timeout, max_connections=ipa.max_connections,
                       batch_window=ipa.batch_window, batch_size=ipa.batch_size,
                       batch_max_writes=ipa.batch_max_writes)
        options.update(overrides)
        return cls(ipa.server, ipa.ca_cert, ipa.username, ipa.password, **options)

    def __init__(self, servers, ca_cert, username, password, timeout=30.0,
                 max_connections=8, client_factory=ClientMeta, dry_run=False,
                 batch_window=0.0, batch_size=50, batch_max_writes=10):
        if not servers:
            raise ValueError('[ipa] server is not set')
        if not ca_cert:
            raise ValueError('[ipa] ca_cert is not set; TLS verification is mandatory')
        self._servers = list(servers)
        self._ca_cert = ca_cert
        self._username = username
        self._password = password
        self._timeout = timeout
        self._factory = client_factory
        self._idle = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._preferred = 0
        self._lock = threading.Lock()
        self._refusal = None   # the kind of login refusal last said at ERROR
        self.dry_run = dry_run
        self._batcher = None
        self.cost = RequestCost()   # what a request and a batch entry take here
        # The longest a call may take: logins on every server, a request, a new
        # login and the request again; twice, for a batch queued behind another.
        writes = min(batch_size, batch_max_writes)
        longest = self.request_timeout([('host_del', (), {})] * writes
                                       + [('host_show', (), {})] * (batch_size - writes))
        self.call_timeout = batch_window + 2 * (len(self._servers) * timeout + 2 * longest)
        if batch_window > 0 and batch_size > 1:
            self._batcher = Batcher(self._call_direct, self._call_batch, batch_window,
                                    batch_size, senders=max_connections, name='ipa-batch',
                                    timeout=self.call_timeout, max_writes=batch_max_writes,
                                    is_write=WRITE_COMMANDS.__contains__,
                                    # IPA runs a batch's entries one after another:
                                    # a window goes out over several sessions when
                                    # the measured cost says the entries dominate
                                    cost=self.cost, spread=2 * batch_max_writes)

    def request_timeout(self, calls=()):
        """Seconds one request of these batched calls may take ([ipa] timeout alone)."""
        writes = sum(1 for method, _, _ in calls if method in WRITE_COMMANDS)
        reads = len(calls) - writes
        return self._timeout * (1 + WRITE_SHARE * writes + READ_SHARE * reads)

    # -- sessions -----------------------------------------------------------

    def _new_conn(self):
        """A logged-in client, trying the configured servers in turn."""
        with self._lock:
            start = self._preferred
        last = None
        for i in range(len(self._servers)):
            index = (start + i) % len(self._servers)
            server = self._servers[index]
            client = self._factory(server, verify_ssl=self._ca_cert, dns_discovery=False)
            conn = _Conn(client, _TimeoutAdapter(self._timeout), server)
            http = read_environment_once(compat.ipa_http_session(client))
            http.mount('https://', conn.adapter)
            try:
                self._login(conn)
            except TransientError as exc:
                conn.close()
                last = exc
                if not isinstance(exc, _LoginRefused):
                    LOG.warning('IPA server %s is unavailable: %s', server, exc)
                continue
            with self._lock:
                self._preferred = index
            return conn
        raise last

    @metrics.ipa_login
    def _login(self, conn):
        conn.adapter.timeout = self._timeout
        refused = None
        try:
            conn.client.login(self._username, self._password)
        except ipa_exc.PasswordExpired:
            refused = 'PasswordExpired', (
                f'the IPA password of {self._username} has expired (IPA password policy); '
                'every IPA change waits until it is changed in IPA and in [ipa] password '
                '(README, "The IPA account")')
        except (ipa_exc.InvalidSessionPassword, ipa_exc.KrbPrincipalExpired,
                ipa_exc.UserLocked, ipa_exc.Denied) as exc:
            # An operator has to fix this; until then keep the work queued.
            refused = type(exc).__name__, (
                f'IPA refused the login of {self._username} ({type(exc).__name__}); '
                'every IPA change waits until the credentials in [ipa] are fixed')
        except ipa_exc.Unauthorized as exc:
            # HTTP 503 (or another failure) on the login page.
            raise TransientError(f'IPA login failed: {_short(exc)}') from None
        except OSError as exc:   # requests' errors, and an unreadable ca_cert
            raise TransientError(f'IPA unreachable: {type(exc).__name__}') from None
        except ipa_exc.FreeIPAError as exc:
            raise TransientError(f'IPA login failed: {_short(exc)}') from None
        if refused is not None:   # said outside the except block: no exception text
            self._refused(conn.server, *refused)
        if conn.rpc is None:
            conn.rpc = ipa_rpc.for_client(conn.client, self._ca_cert)
        else:
            conn.rpc.session_changed()
        with self._lock:
            refusal, self._refusal = self._refusal, None
        if refusal is not None:
            LOG.info('IPA accepts the login of %s again', self._username)

    def _refused(self, server, kind, text):
        with self._lock:
            first, self._refusal = self._refusal != kind, kind
        if first:
            LOG.error('%s (server %s)', text, server)
        else:
            LOG.debug('IPA server %s refused the login again (%s)', server, kind)
        raise _LoginRefused(f'IPA login refused ({kind})')

    @contextlib.contextmanager
    def _session(self):
        if not self._slots.acquire(timeout=self.call_timeout):
            raise TransientError(f'no IPA session free within {self.call_timeout:.0f}s')
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = None
            if conn is None:   # logs in outside the except block (no exception text)
                conn = self._new_conn()
            try:
                yield conn
            except TransientError:
                # Unreachable server or a session that could not be renewed:
                # drop the client; the next one logs in (maybe on another server).
                conn.close()
                raise
            except BaseException:
                self._idle.put(conn)  # IPA answered: the session is fine
                raise
            self._idle.put(conn)
        finally:
            self._slots.release()

    def call(self, method, *args, **options):
        """Run one IPA command; returns its result, raises ours or python-freeipa's
        NotFound / BadRequest for answers the caller must interpret."""
        if self.dry_run and method in WRITE_COMMANDS:
            LOG.info('dry-run: would call %s %s %s', method, list(args), options)
            return {'result': {}, 'value': list(args), 'summary': 'dry-run'}
        if self._batcher is not None:
            return self._batcher.call(method, args, options)
        return self._call_direct(method, args, options)

    def call_batch(self, calls):
        """Several IPA commands in one ``batch`` request: [(method, args, options)] ->
        a result or an exception for each, in order (reads; writes go through call)."""
        return self._call_batch(calls)

    def _call_batch(self, calls):
        """One IPA ``batch`` request; a result or an exception for each call."""
        methods = [{'method': method, 'params': [list(args),
                                                 dict(options, version=self._factory.version)]}
                   for method, args, options in calls]
        answer = self._call_direct('batch', (methods,), {}, self.request_timeout(calls))
        entries = answer.get('results') if isinstance(answer, dict) else None
        if not isinstance(entries, list):
            raise TransientError('IPA batch answer without a list of results')
        results = []
        for (method, args, _), entry in zip(calls, entries):
            if not isinstance(entry, dict):
                results.append(TransientError(f'IPA batch answer for {method} unreadable'))
            elif entry.get('error') is None:
                results.append(entry)
            else:
                results.append(_sorted_error(method, args, batch_entry_error(entry)))
        for method, _, _ in calls[len(results):]:   # a short answer: no result for these
            results.append(TransientError(f'IPA batch answer holds {len(entries)} results '
                                          f'for {len(calls)} calls; none for {method}'))
        return results

    @metrics.ipa_request
    def _call_direct(self, method, args, options, timeout=None):
        with self._session() as conn:
            conn.adapter.timeout = timeout or self._timeout
            started = monotonic()
            try:
                result = self._call_once(conn, method, args, options)
            except ipa_exc.Unauthorized:
                pass
            else:
                self.cost.observe(_entries(method, args), monotonic() - started)
                return result
            # The session expired: log in again once (outside the except block, so
            # a refusal is logged without the 401's text) and retry.
            LOG.debug('IPA session expired, logging in again')
            self._login(conn)
            conn.adapter.timeout = timeout or self._timeout
            try:
                return self._call_once(conn, method, args, options)
            except ipa_exc.Unauthorized:
                raise TransientError('IPA rejected a fresh session') from None

    @staticmethod
    def _call_once(conn, method, args, options):
        try:
            if conn.rpc is not None:
                return conn.rpc.call(method, args, options, conn.adapter.timeout)
            return compat.ipa_request(conn.client, method, args, options)
        except ipa_exc.Denied as exc:   # before Unauthorized, its base class
            raise _sorted_error(method, args, exc) from None
        except ipa_exc.Unauthorized:
            raise
        except OSError as exc:   # requests' errors, and an unreadable ca_cert
            raise TransientError(f'IPA unreachable: {type(exc).__name__}') from None
        except ipa_exc.FreeIPAError as exc:
            sorted_error = _sorted_error(method, args, exc)
            if sorted_error is not exc:
                raise sorted_error from None
            raise

    # -- operations ---------------------------------------------------------


def _entries(method, args):
    """How many commands IPA runs for this request: a batch's entries, or one."""
    if method == 'batch' and args and isinstance(args[0], (list, tuple)):
        return max(1, len(args[0]))
    return 1


def batch_entry_error(entry):
    """The python-freeipa exception for one failed ``batch`` entry."""
    try:
        ipa_exc.parse_error({'message': entry.get('error'), 'code': entry.get('error_code'),
                             'name': entry.get('error_name')})
    except ipa_exc.FreeIPAError as exc:
        return exc
    return ipa_exc.BadRequest(entry.get('error'), entry.get('error_code'))


def _sorted_error(method, args, exc):
    """Ours for IPA answers whose kind is known (permission, may heal), else ``exc``."""
    code = error_code(exc)
    if isinstance(exc, ipa_exc.Denied):
        target = printable(' '.join(str(arg) for arg in args), 200)
        return PermanentError(f'IPA denied {method} {target}: {_short(exc)} (ACIError, '
                              f'code {code}): the [ipa] user lacks this permission')
    if code in TRANSIENT_CODES or (isinstance(code, int) and 500 <= code < 600):
        return TransientError(f'IPA {method} failed: {_short(exc)} (code {code})')
    return exc


def _short(exc):
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
