"""IPA adapter: python-freeipa sessions, reused, with errors sorted into ours.

A small pool of logged-in python-freeipa clients is shared by the listener's
worker threads (a python-freeipa client is a requests Session and is not shared
between threads at once). Each client logs in once and is reused across events;
when IPA answers 401 (session expired) it logs in again, once, and retries.
"""

import contextlib
import logging
import queue
import threading

import requests
from python_freeipa import ClientMeta
from python_freeipa import exceptions as ipa_exc
from requests.adapters import HTTPAdapter

from notify import metrics
from notify.batch import Batcher
from notify.errors import PermanentError, TransientError

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


class _TimeoutAdapter(HTTPAdapter):
    """python-freeipa passes no timeout to requests; without one a hung IPA hangs us."""

    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def send(self, request, **kwargs):
        if kwargs.get('timeout') is None:
            kwargs['timeout'] = self._timeout
        return super().send(request, **kwargs)


def error_code(exc):
    return getattr(exc, 'code', None)


class IPAClient:
    """The few IPA operations novajoin-notify needs, over reused sessions."""

    def __init__(self, servers, ca_cert, username, password, timeout=30.0,
                 max_connections=8, client_factory=ClientMeta, dry_run=False,
                 batch_window=0.0, batch_size=50):
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
        self.dry_run = dry_run
        self._batcher = None
        if batch_window > 0 and batch_size > 1:
            self._batcher = Batcher(self._call_direct, self._call_batch, batch_window,
                                    batch_size, senders=max_connections, name='ipa-batch')

    # -- sessions -----------------------------------------------------------

    def _new_client(self):
        """A logged-in client, trying the configured servers in turn."""
        with self._lock:
            start = self._preferred
        last = None
        for i in range(len(self._servers)):
            index = (start + i) % len(self._servers)
            server = self._servers[index]
            client = self._factory(server, verify_ssl=self._ca_cert, dns_discovery=False)
            adapter = _TimeoutAdapter(self._timeout)
            client._session.mount('https://', adapter)
            try:
                self._login(client, server)
            except TransientError as exc:
                last = exc
                LOG.warning('IPA server %s is unavailable: %s', server, exc)
                continue
            with self._lock:
                self._preferred = index
            return client
        raise last

    @metrics.ipa_login
    def _login(self, client, server):
        try:
            client.login(self._username, self._password)
        except (ipa_exc.InvalidSessionPassword, ipa_exc.PasswordExpired,
                ipa_exc.KrbPrincipalExpired, ipa_exc.UserLocked, ipa_exc.Denied) as exc:
            # An operator has to fix this; until then keep the work queued.
            LOG.error('IPA server %s refused the login of %s (%s); notifications wait '
                      'until the credentials in [ipa] are fixed',
                      server, self._username, type(exc).__name__)
            raise TransientError(f'IPA login refused ({type(exc).__name__})') from None
        except ipa_exc.Unauthorized as exc:
            # HTTP 503 (or another failure) on the login page.
            raise TransientError(f'IPA login failed: {_short(exc)}') from None
        except requests.RequestException as exc:
            raise TransientError(f'IPA unreachable: {type(exc).__name__}') from None
        except ipa_exc.FreeIPAError as exc:
            raise TransientError(f'IPA login failed: {_short(exc)}') from None

    @contextlib.contextmanager
    def _session(self):
        with self._slots:
            try:
                client = self._idle.get_nowait()
            except queue.Empty:
                client = self._new_client()
            try:
                yield client
            except TransientError:
                # Unreachable server or a session that could not be renewed:
                # drop the client; the next one logs in (maybe on another server).
                raise
            except BaseException:
                self._idle.put(client)  # IPA answered: the session is fine
                raise
            self._idle.put(client)

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
        entries = self._call_direct('batch', (methods,), {})['results']
        results = []
        for (method, _, _), entry in zip(calls, entries):
            if entry.get('error') is None:
                results.append(entry)
                continue
            exc = batch_entry_error(entry)
            results.append(_transient(method, exc) or exc)
        return results

    @metrics.ipa_request
    def _call_direct(self, method, args, options):
        with self._session() as client:
            try:
                return self._call_once(client, method, args, options)
            except ipa_exc.Unauthorized:
                # The session expired: log in again once and retry.
                LOG.debug('IPA session expired, logging in again')
                self._login(client, client.current_host)
                try:
                    return self._call_once(client, method, args, options)
                except ipa_exc.Unauthorized:
                    raise TransientError('IPA rejected a fresh session') from None

    @staticmethod
    def _call_once(client, method, args, options):
        try:
            return client._request(method, list(args), dict(options))
        except ipa_exc.Unauthorized:
            raise
        except requests.RequestException as exc:
            raise TransientError(f'IPA unreachable: {type(exc).__name__}') from None
        except ipa_exc.FreeIPAError as exc:
            transient = _transient(method, exc)
            if transient is not None:
                raise transient from None
            raise

    # -- operations ---------------------------------------------------------

    def remove_host(self, fqdn):
        """Remove a host and its DNS records. True: removed; False: it was not there."""
        if self.dry_run:
            try:
                self.call('host_show', fqdn)
            except ipa_exc.NotFound:
                return False
        try:
            self.call('host_del', fqdn, updatedns=True)
        except ipa_exc.NotFound:
            return False
        except ipa_exc.FreeIPAError as exc:
            raise PermanentError(f'IPA refused host_del {fqdn}: {_short(exc)} '
                                 f'(code {error_code(exc)})') from None
        return True


def batch_entry_error(entry):
    """The python-freeipa exception for one failed ``batch`` entry."""
    try:
        ipa_exc.parse_error({'message': entry.get('error'), 'code': entry.get('error_code'),
                             'name': entry.get('error_name')})
    except ipa_exc.FreeIPAError as exc:
        return exc
    return ipa_exc.BadRequest(entry.get('error'), entry.get('error_code'))


def _transient(method, exc):
    """A TransientError for IPA answers that may heal by themselves, else None."""
    code = error_code(exc)
    if code in TRANSIENT_CODES or (isinstance(code, int) and 500 <= code < 600):
        return TransientError(f'IPA {method} failed: {_short(exc)} (code {code})')
    return None


def _short(exc):
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
