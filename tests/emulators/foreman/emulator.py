"""The Foreman emulator: state (organizations, hosts and their facts, users),
fault knobs, counters, and the API actions."""

import base64
import collections
import copy
import datetime
import re
import threading
import time
import traceback
import uuid

from tests.emulators.foreman import apidoc, search, views
from tests.emulators.foreman.server import Listener, Reply
from tests.emulators.tls import shared_ca

FOREMAN_VERSION = '3.12.1'
DEFAULT_ORGANIZATION = 'Default Organization'
# The permission Foreman checks for each action (Foreman::AccessControl).
PERMISSIONS = {'hosts#index': 'view_hosts', 'hosts#show': 'view_hosts',
               'hosts#destroy': 'destroy_hosts', 'fact_values#index': 'view_facts',
               'organizations#index': 'view_organizations',
               'organizations#show': 'view_organizations', 'ping#ping': None}

CallRecord = collections.namedtuple('CallRecord', 'method path params action status user')

_ROUTES = [
    ('GET', r'/api/hosts', 'hosts#index'),
    ('GET', r'/api/organizations/(?P<organization_id>[^/]+)/hosts', 'hosts#index'),
    ('GET', r'/api/hosts/(?P<host_id>[^/]+)/facts', 'fact_values#index'),
    ('GET', r'/api/hosts/(?P<id>[^/]+)', 'hosts#show'),
    ('DELETE', r'/api/hosts/(?P<id>[^/]+)', 'hosts#destroy'),
    ('GET', r'/api/fact_values', 'fact_values#index'),
    ('GET', r'/api/organizations', 'organizations#index'),
    ('GET', r'/api/organizations/(?P<id>[^/]+)', 'organizations#show'),
    ('GET', r'/api/ping', 'ping#ping'),
]


class ForemanEmulator:
    """Foreman's API v2 (hosts, fact values, organizations) over HTTPS on 127.0.0.1."""

    def __init__(self, username='novajoin-sat', password='Sat-Secret-789', ca=None,
                 port=0, latency=0.0):
        self.ca = ca or shared_ca()
        self.ca_path = self.ca.ca_path
        self.username = username
        self.password = password
        self.latency = latency
        self.down = False
        # {action: n}: that index ('hosts#index', 'fact_values#index'), asked for
        # by page, serves only its first n items, pages past them short or empty,
        # while total and subtotal still count them all: a paged listing cut short.
        self.truncate_lists = {}
        self.errors = []             # tracebacks of emulator bugs (answered 500)
        self.apidoc = apidoc.build()
        self.apidoc_checksum = apidoc.checksum(self.apidoc)
        self._lock = threading.RLock()
        self._users = {username: {'password': password, 'permissions': None}}  # None: admin
        self._organizations = {1: DEFAULT_ORGANIZATION}
        self._hosts = {}
        self._next_id = 1
        self._faults = collections.deque()
        self.deleted = []            # (id, name) of every host deleted through the API
        self._listener = Listener(self._serve, self.ca, port)
        self.reset_stats()

    # -- lifecycle ------------------------------------------------------------

    @property
    def port(self):
        return self._listener.port

    @property
    def url(self):
        return f'https://localhost:{self.port}'

    def start(self):
        self._listener.open()
        return self

    def stop(self):
        self._listener.close()

    def pause_listening(self):
        """Close the socket: connection refused until resume_listening() (same port)."""
        self._listener.close()

    def resume_listening(self):
        if not self._listener.running:
            self._listener.open()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- state ----------------------------------------------------------------

    def add_organization(self, name):
        with self._lock:
            org_id = max(self._organizations) + 1
            self._organizations[org_id] = name
            return org_id

    def add_user(self, login, password, permissions=()):
        """A non-admin user holding only ``permissions`` (e.g. {'view_hosts'})."""
        with self._lock:
            self._users[login] = {'password': password, 'permissions': set(permissions)}

    def add_host(self, name, facts=None, organization_id=1, comment=None):
        """Register a host as subscription-manager does, with its facts; returns its id."""
        with self._lock:
            host_id = self._next_id
            self._next_id += 1
            self._hosts[host_id] = {
                'id': host_id, 'name': name.lower(), 'organization_id': organization_id,
                'facts': dict(facts or {}), 'comment': comment,
                'consumer_uuid': str(uuid.uuid4()),
                'created_at': datetime.datetime.now(datetime.timezone.utc).strftime(
                    '%Y-%m-%d %H:%M:%S UTC')}
            return host_id

    def host(self, host_id):
        with self._lock:
            host = self._hosts.get(host_id)
            return copy.deepcopy(host) if host else None

    def has_host(self, host_id):
        with self._lock:
            return host_id in self._hosts

    def hosts(self):
        """{id: name} of every host."""
        with self._lock:
            return {h['id']: h['name'] for h in self._hosts.values()}

    # -- faults and counters -----------------------------------------------------

    def fail_next(self, what, status, count=1, message=None):
        """The next ``count`` API calls matching ``what`` (an HTTP method such as
        'DELETE', or an action such as 'hosts#index') answer ``status`` with
        Foreman's error body, after authentication and before anything changes."""
        with self._lock:
            for _ in range(count):
                self._faults.append((what, status, message))

    def reset_stats(self):
        with self._lock:
            self.stats = collections.Counter()
            self.call_log = []

    def calls(self, action):
        """The call_log records of one action ('hosts#destroy', ...)."""
        with self._lock:
            return [c for c in self.call_log if c.action == action]

    # -- dispatching ------------------------------------------------------------

    def _serve(self, req):
        if self.latency:
            time.sleep(self.latency)
        action, user, app = None, None, False
        try:
            with self._lock:
                self.stats['http_requests'] += 1
            if self.down:
                raise Reply(503, views.UNAVAILABLE, content_type='text/html; charset=iso-8859-1')
            app = True   # past the front web server: Foreman itself answers
            if req.path.startswith('/apidoc/'):
                answer = self._apidoc(req)
            else:
                action, args = self._route(req)
                user = self._authenticate(req)
                answer = self._act(req, action, args, user)
        except Reply as reply:
            answer = reply
        except Exception:   # an emulator bug: say so loudly
            tb = traceback.format_exc()
            with self._lock:
                self.errors.append(tb)
            answer = Reply(500, tb, content_type='text/plain')
        if app and req.path.startswith(('/api/', '/apidoc/')):
            # apipie-rails: config.update_checksum, checksum_path ['/api/', '/apidoc/']
            answer.headers.setdefault('Apipie-Checksum', self.apidoc_checksum)
            answer.headers.setdefault('Foreman_version', FOREMAN_VERSION)
            answer.headers.setdefault('Foreman_api_version', '2')
        if action:
            with self._lock:
                self.stats[action] += 1
                self.call_log.append(CallRecord(req.method, req.path, req.params(), action,
                                                answer.status, user))
        return answer

    def _apidoc(self, req):
        with self._lock:
            self.stats['apidoc'] += 1
        if req.method != 'GET' or not re.fullmatch(r'/apidoc/v2(\.[a-z]{2}(_[A-Z]{2})?)?\.json',
                                                   req.path):
            raise Reply(404, {'message': 'Not Found'})
        if req.path not in ('/apidoc/v2.json', '/apidoc/v2.en.json'):
            raise Reply(404, {'message': 'Not Found'})
        return Reply(200, self.apidoc)

    @staticmethod
    def _route(req):
        for method, pattern, action in _ROUTES:
            m = re.fullmatch(pattern, req.path.rstrip('/') or '/')
            if m and method == req.method:
                return action, m.groupdict()
        raise Reply(404, {'message': 'Route not found'})

    def _authenticate(self, req):
        header = req.headers.get('Authorization') or ''
        login = password = None
        if header.startswith('Basic '):
            try:
                login, _, password = base64.b64decode(header[6:]).decode().partition(':')
            except (ValueError, UnicodeDecodeError):
                login = None
        with self._lock:
            user = self._users.get(login)
        if user is None or user['password'] != password:
            raise views.unauthorized(login)
        return login

    def _act(self, req, action, args, user):
        with self._lock:
            permissions = self._users[user]['permissions']
            needed = PERMISSIONS[action]
            if permissions is not None and needed and needed not in permissions:
                raise views.access_denied(needed)
            for i, (what, status, message) in enumerate(self._faults):
                if what in (req.method, action):
                    del self._faults[i]
                    raise views.error(status, message or f'injected failure of {action}')
            org_id = args.get('organization_id') or req.param('organization_id')
            if org_id is not None:
                if not str(org_id).isdigit() or int(org_id) not in self._organizations:
                    raise views.nested_not_found('Organization', org_id)
                org_id = int(org_id)
            return getattr(self, '_' + action.replace('#', '_'))(req, args, org_id)

    # -- actions (called with the lock held) -------------------------------------

    def _visible_hosts(self, org_id):
        return [h for h in self._hosts.values()
                if org_id is None or h['organization_id'] == org_id]

    def _find_host(self, ident, org_id):
        for host in self._visible_hosts(org_id):
            if str(host['id']) == ident or host['name'] == ident:
                return host
        raise views.not_found('host', ident)

    def _hosts_index(self, req, args, org_id):
        visible = sorted(self._visible_hosts(org_id), key=lambda h: h['name'])
        chosen = self._search(req, visible, views.host_field(self._organizations),
                              views.host_field_known, views.host_free_text)
        page, per_page, items = views.page_of(req, self._served(req, 'hosts#index', chosen))
        if req.param('thin') in ('true', '1'):
            results = [{'id': h['id'], 'name': h['name']} for h in items]
        else:
            results = [views.host_json(h, self._organizations) for h in items]
        return Reply(200, views.envelope(req, len(visible), len(chosen), page, per_page,
                                         results))

    def _hosts_show(self, req, args, org_id):
        host = self._find_host(args['id'], org_id)
        return Reply(200, views.host_json(host, self._organizations, full=True))

    def _hosts_destroy(self, req, args, org_id):
        host = self._find_host(args['id'], org_id)
        del self._hosts[host['id']]
        self.deleted.append((host['id'], host['name']))
        return Reply(200, views.host_json(host, self._organizations))

    def _fact_values_index(self, req, args, org_id):
        query = req.param('search') or ''
        if args.get('host_id'):
            # FactValuesController#setup_search_options
            query += ' host = ' + args['host_id']
        rows = sorted(((h['id'], h['name'], h['organization_id'], fact, value)
                       for h in self._visible_hosts(org_id)
                       for fact, value in h['facts'].items() if fact != views.TIMESTAMP_FACT),
                      key=lambda r: (str(r[4]), r[1], r[3]))
        chosen = self._search_text(query, rows, views.fact_field, views.fact_field_known,
                                   views.fact_free_text)
        page, per_page, items = views.page_of(req, self._served(req, 'fact_values#index', chosen))
        results = {}
        for _, hostname, _, fact, value in items:
            results.setdefault(hostname, {})[fact] = value
        # metadata_subtotal counts @fact_values, a hash: hosts, not values.
        subtotal = len(results) if query.strip() else len(rows)
        body = views.envelope(req, len(rows), subtotal, page, per_page, results)
        body['search'] = query or None
        return Reply(200, body)

    def _organizations_index(self, req, args, org_id):
        orgs = sorted(self._organizations.items())
        chosen = self._search(req, orgs, views.organization_field,
                              views.organization_field_known, views.organization_free_text)
        page, per_page, items = views.page_of(req, chosen)
        return Reply(200, views.envelope(req, len(orgs), len(chosen), page, per_page,
                                         [views.organization_json(*o) for o in items]))

    def _organizations_show(self, req, args, org_id):
        for oid, name in self._organizations.items():
            if args['id'] in (str(oid), name):
                return Reply(200, views.organization_json(oid, name))
        raise views.not_found('organization', args['id'])

    def _ping_ping(self, req, args, org_id):
        return Reply(200, {'results': {'foreman': {
            'database': {'active': True, 'duration_ms': '1'}, 'cache': {'servers': []}}}})

    def _served(self, req, action, items):
        limit = self.truncate_lists.get(action)
        return items if limit is None or req.param('page') is None else items[:limit]

    def _search(self, req, records, field, known, free_text):
        return self._search_text(req.param('search') or '', records, field, known, free_text)

    @staticmethod
    def _search_text(text, records, field, known, free_text):
        try:
            tree = search.parse(text)
            search.check_fields(tree, known)
            return [r for r in records if search.matches(tree, r, field, free_text)]
        except search.QueryNotSupported as exc:
            raise views.param_error(exc) from None
