"""Satellite (Foreman + Katello) adapter: apypie clients over reused HTTPS sessions,
the UUID-fact host search, and errors sorted into ours.

subscription-manager uploads a registered machine's facts; on an OpenStack
instance ``virt::uuid`` and ``dmi::system::uuid`` carry the instance UUID, the
latter byte-swapped in its first three groups on hosts whose SMBIOS is older
than 2.6. A host is the instance's only when one of those facts equals the
instance UUID (either form, any case): the search asks Foreman for candidates
and each candidate's facts are then read back and compared here, so a loose
or ignored search term can never turn into a deletion.
"""

import contextlib
import dataclasses
import logging
import queue
import shutil
import tempfile
import threading
import uuid
import weakref

import apypie
import requests
from requests.adapters import HTTPAdapter

from notify.errors import PermanentError, TransientError, bounded

LOG = logging.getLogger(__name__)

UUID_FACTS = ('virt::uuid', 'dmi::system::uuid')
PAGE_SIZE = 100
MAX_PAGES = 100           # 10,000 hosts carrying one UUID would be a broken Satellite
MAX_CONNECTIONS = 4


def uuid_forms(instance_id):
    """The lower-case forms a fact may give the instance UUID in: as is, and with
    its first three groups byte-swapped (SMBIOS before 2.6). Empty when
    ``instance_id`` is not a UUID."""
    try:
        value = uuid.UUID(str(instance_id))
    except ValueError:
        return frozenset()
    return frozenset({str(value), str(uuid.UUID(bytes_le=value.bytes))})


def fact_matches(fact_value, forms):
    """Whether a fact value names one of ``forms`` (compared case-insensitively)."""
    return isinstance(fact_value, str) and fact_value.strip().lower() in forms


class NotFound(PermanentError):
    """Satellite answered 404."""


@dataclasses.dataclass(frozen=True)
class SatelliteHost:
    id: int
    name: str
    fact: str           # the fact that carries the instance UUID
    value: str


class _TimeoutAdapter(HTTPAdapter):
    """apypie passes no timeout to requests; without one a hung Satellite hangs us."""

    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def send(self, request, **kwargs):
        if kwargs.get('timeout') is None:
            kwargs['timeout'] = self._timeout
        return super().send(request, **kwargs)


class SatelliteClient:
    """The few Foreman operations the daemon needs."""

    def __init__(self, url, username, password, ca_cert=None, organization=None,
                 timeout=30.0, dry_run=False, max_connections=MAX_CONNECTIONS,
                 api_factory=apypie.Api):
        if not url or not url.lower().startswith('https://'):
            raise ValueError('[satellite] url must be an https:// URL')
        if not username or not password:
            raise ValueError('[satellite] username and password must be set with url')
        self.url = url.rstrip('/')
        self._username = username
        self._password = password
        self._verify = ca_cert or True
        self._timeout = timeout
        self._factory = api_factory
        self.dry_run = dry_run
        self._organization = str(organization).strip() if organization else None
        self._organization_id = (int(self._organization) if self._organization
                                 and self._organization.isdigit() else None)
        self._cache_dir = tempfile.mkdtemp(prefix='novajoin-notify-apidoc-')
        weakref.finalize(self, shutil.rmtree, self._cache_dir, True)
        self._cache_name = None
        self._lock = threading.Lock()
        self._idle = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max_connections)

    # -- clients ------------------------------------------------------------

    def _new_api(self):
        session = requests.Session()
        session.mount('https://', _TimeoutAdapter(self._timeout))
        options = {'uri': self.url, 'username': self._username, 'password': self._password,
                   'api_version': 2, 'verify_ssl': self._verify, 'session': session,
                   'apidoc_cache_dir': self._cache_dir}
        with self._lock:
            if self._cache_name is not None:
                # the apidoc one client loaded, cached under its Apipie-Checksum
                return self._factory(apidoc_cache_name=self._cache_name, **options)
            api = self._factory(**options)
            with self._translated('loading the API description'):
                api.resources   # the first client loads the apidoc, under the lock
            self._cache_name = api.apidoc_cache_name
            return api

    @contextlib.contextmanager
    def _api(self):
        with self._slots:
            try:
                api = self._idle.get_nowait()
            except queue.Empty:
                api = self._new_api()
            try:
                yield api
            except TransientError:
                raise    # unreachable or refused: the next call opens a new session
            except BaseException:
                self._idle.put(api)
                raise
            self._idle.put(api)

    def _call(self, resource, action, params, what):
        try:
            with self._api() as api, self._translated(what):
                return api.call(resource, action, params)
        except NotFound as exc:
            if action == 'destroy':
                raise
            # A look-up of a collection: its scope, the organization, is unknown.
            LOG.error('Satellite at %s: %s; check [satellite] organization', self.url, exc)
            raise TransientError(str(exc)) from None

    @contextlib.contextmanager
    def _translated(self, what):
        """apypie and requests failures -> TransientError / PermanentError."""
        try:
            yield
        except apypie.exceptions.DocLoadingError as exc:
            cause = exc.__context__
            if isinstance(cause, (requests.RequestException, ValueError)):
                raise self._mapped(cause, what) from None
            raise TransientError(f'Satellite {what}: {bounded(exc, 200)}') from None
        except (requests.RequestException, ValueError) as exc:
            raise self._mapped(exc, what) from None
        except KeyError as exc:
            LOG.error('Satellite at %s does not describe %s: is [satellite] url a Foreman '
                      'or Satellite server?', self.url, exc)
            raise TransientError(f'Satellite API has no {exc}') from None
        except OSError as exc:
            raise TransientError(f'Satellite {what}: {type(exc).__name__}') from None

    def _mapped(self, exc, what):
        if isinstance(exc, requests.exceptions.SSLError):
            LOG.error('Satellite at %s: TLS verification failed; check [satellite] ca_cert',
                      self.url)
            return TransientError(f'Satellite {what}: TLS verification failed')
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return TransientError(f'Satellite unreachable ({what}): {type(exc).__name__}')
        if not isinstance(exc, requests.HTTPError) or exc.response is None:
            return TransientError(f'Satellite {what}: unreadable answer '
                                  f'({type(exc).__name__}: {bounded(exc, 200)})')
        status = exc.response.status_code
        text = f'Satellite answered {status} to {what}: {error_message(exc.response)}'
        if status in (401, 403):
            # An operator has to fix this; until then keep the work queued.
            LOG.error('Satellite at %s refused user %s (%s: %s); notifications wait until '
                      '[satellite] credentials or the user\'s permissions are fixed',
                      self.url, self._username, status, error_message(exc.response))
            return TransientError(text)
        if status >= 500 or status in (408, 409, 429):
            return TransientError(text)
        if status == 404:
            return NotFound(text)
        return PermanentError(text)

    # -- operations ---------------------------------------------------------

    def _scope(self):
        """{'organization_id': id} for [satellite] organization, else {}."""
        if self._organization is None:
            return {}
        if self._organization_id is None:
            self._organization_id = self._organization_by_name(self._organization)
        return {'organization_id': self._organization_id}

    def _organization_by_name(self, name):
        result = self._call('organizations', 'index',
                            {'search': f'name = {quoted(name)}', 'per_page': PAGE_SIZE},
                            'organization look-up')
        found = [o['id'] for o in _results(result, list, 'organization look-up')
                 if isinstance(o, dict) and (o.get('name') == name or o.get('title') == name)]
        if len(found) != 1:
            LOG.error('Satellite at %s has %s organization named %s; check [satellite] '
                      'organization', self.url, 'no' if not found else 'more than one',
                      bounded(name, 100))
            raise TransientError(f'Satellite organization {bounded(name, 100)} not found')
        return found[0]

    def hosts_for_instance(self, instance_id):
        """The Satellite hosts whose UUID fact names the instance; every page read.

        Raises TransientError / PermanentError when Satellite cannot say: a
        failed search never reads as "no hosts"."""
        forms = uuid_forms(instance_id)
        if not forms:
            LOG.warning('instance id %s is not a UUID: no Satellite host can carry it',
                        bounded(instance_id, 80))
            return []
        scope = self._scope()
        terms = [f'facts.{fact} ~ {quoted(form)}' for fact in UUID_FACTS
                 for form in sorted(forms)]
        candidates = self._search_hosts(' or '.join(terms), scope)
        hosts = []
        for host_id, name in candidates:
            match = self._uuid_fact(host_id, forms, scope)
            if match is not None:
                hosts.append(SatelliteHost(host_id, name, *match))
            else:
                LOG.debug('Satellite host %s (%s) turned up in the search for instance %s '
                          'but none of its UUID facts names it', host_id, name, instance_id)
        return hosts

    def _search_hosts(self, query, scope):
        """[(id, name)] of every host the search finds, page after page."""
        found = {}
        for page in range(1, MAX_PAGES + 1):
            params = dict(scope, search=query, page=page, per_page=PAGE_SIZE, thin=True)
            result = self._call('hosts', 'index', params, 'the host search')
            rows = _results(result, list, 'the host search')
            for row in rows:
                if not isinstance(row, dict) or not isinstance(row.get('id'), int):
                    raise TransientError('Satellite host search: a result without an id')
                found[row['id']] = str(row.get('name') or '')
            # Foreman's subtotal counts what the search matches; a short page
            # ends the list only when no subtotal says otherwise.
            subtotal = result.get('subtotal')
            if not rows or (len(found) >= subtotal if isinstance(subtotal, int)
                            else len(rows) < PAGE_SIZE):
                return sorted(found.items())
        raise PermanentError(f'Satellite host search found more than '
                             f'{MAX_PAGES * PAGE_SIZE} hosts for one UUID')

    def _uuid_fact(self, host_id, forms, scope):
        """(fact, value) of the host's first UUID fact naming the instance, or None."""
        facts = ' or '.join(f'fact = {quoted(f)}' for f in UUID_FACTS)
        params = dict(scope, search=f'host = {int(host_id)} and ({facts})',
                      per_page=PAGE_SIZE)
        result = self._call('fact_values', 'index', params, 'the fact look-up')
        by_host = _results(result, dict, 'the fact look-up')
        for values in by_host.values():
            if not isinstance(values, dict):
                raise TransientError('Satellite fact look-up: unreadable answer')
            for fact in UUID_FACTS:
                if fact_matches(values.get(fact), forms):
                    return fact, values[fact]
        return None

    def index(self, resource, params, what):
        """One page of a collection (``page``, ``per_page``, ``search`` in
        ``params``) in the [satellite] organization: Foreman's index envelope
        (``results``, ``total``, ``subtotal``, ...). Raises TransientError /
        PermanentError when Satellite cannot say."""
        result = self._call(resource, 'index', dict(self._scope(), **params), what)
        _results(result, (list, dict), what)
        return result

    def delete_host(self, host_id):
        """Delete a host. True: deleted (or would be, in dry-run); False: already gone."""
        if self.dry_run:
            LOG.debug('dry-run: not deleting Satellite host %s', host_id)
            return True
        params = dict(self._scope(), id=int(host_id))
        try:
            self._call('hosts', 'destroy', params, f'deleting host {host_id}')
        except NotFound:
            return False
        return True


def quoted(value):
    """A value as one token of Foreman's search language."""
    return '"%s"' % str(value).replace('\\', '\\\\').replace('"', '\\"')


def error_message(response):
    """Foreman's error text ({"error": {"message": ...}} or {"message": ...})."""
    try:
        body = response.json()
    except ValueError:
        return f'HTTP {response.status_code}'
    if isinstance(body, dict):
        inner = body.get('error') if isinstance(body.get('error'), dict) else body
        message = inner.get('message') or inner.get('details')
        if message:
            return bounded(message, 200)
    return f'HTTP {response.status_code}'


def _results(result, kind, what):
    if not isinstance(result, dict) or not isinstance(result.get('results'), kind):
        raise TransientError(f'Satellite {what}: unreadable answer')
    return result['results']


def from_config(conf, dry_run=False, **extra):
    """The SatelliteClient of ``[satellite]``, or None when ``url`` is not set.
    A setting that cannot work raises ValueError."""
    from notify import satellite_opts
    group = conf[satellite_opts.GROUP]
    if not group.url:
        return None
    return SatelliteClient(group.url, group.username, group.password,
                           ca_cert=group.ca_cert, organization=group.organization,
                           timeout=group.timeout, dry_run=dry_run, **extra)
