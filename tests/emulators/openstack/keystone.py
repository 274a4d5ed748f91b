"""keystone v3: password tokens with a catalog, token validation, projects;
and the keystonemiddleware check every other service makes first."""

import datetime
import secrets

from tests.emulators.openstack.common import (SERVICES, Reply, Route, dispatch, hex_id,
                                              iso, keystone_error, now)

KEYSTONE_VERSION = 'v3.14'
DEFAULT_DOMAIN_ID = 'default'
DEFAULT_DOMAIN_NAME = 'Default'

_MALFORMED = ('The server could not comply with the request since it is either malformed '
              'or otherwise incorrect. The client is assumed to be in error.')


class KeystoneData:
    """Test helpers of the facade for keystone's data (users, projects, tokens)."""

    def _init_keystone(self, username, password, project_name, user_domain, project_domain):
        self._domains = {DEFAULT_DOMAIN_ID: {'id': DEFAULT_DOMAIN_ID,
                                             'name': DEFAULT_DOMAIN_NAME}}
        self._projects = {}
        self._users = {}
        self._tokens = {}
        self._issued_tokens = []    # every token ever issued, expired ones too
        self._roles = [{'id': hex_id(), 'name': 'admin'}, {'id': hex_id(), 'name': 'member'},
                       {'id': hex_id(), 'name': 'reader'}]
        user_domain_id = self._ensure_domain(user_domain)
        project_domain_id = self._ensure_domain(project_domain)
        self.project_id = hex_id()
        self.add_project(self.project_id, project_name, domain_id=project_domain_id)
        self.user_id = hex_id()
        self._users[self.user_id] = {'id': self.user_id, 'name': username,
                                     'domain_id': user_domain_id, 'password': password}
        self.username = username
        self.password = password
        self.project_name = project_name
        self.user_domain = user_domain
        self.project_domain = project_domain
        self._service_ids = {s: hex_id() for s in SERVICES}
        self._endpoint_ids = {(s, i): hex_id() for s in SERVICES
                              for i in ('public', 'internal', 'admin')}

    def _ensure_domain(self, name_or_id):
        for d in self._domains.values():
            if name_or_id in (d['id'], d['name']):
                return d['id']
        did = hex_id()
        self._domains[did] = {'id': did, 'name': name_or_id}
        return did

    def _find_domain(self, ref):
        """A keystone domain reference {'id'} or {'name'} -> domain id or None."""
        if not isinstance(ref, dict):
            return None
        with self._lock:
            if 'id' in ref:
                return ref['id'] if ref['id'] in self._domains else None
            for d in self._domains.values():
                if d['name'] == ref.get('name'):
                    return d['id']
        return None

    def add_project(self, project_id, name, domain_id='default'):
        with self._lock:
            if domain_id not in self._domains:
                self._domains[domain_id] = {'id': domain_id, 'name': domain_id}
            project = {'id': project_id, 'name': name, 'domain_id': domain_id,
                       'description': '', 'enabled': True, 'parent_id': domain_id,
                       'is_domain': False, 'tags': [], 'options': {}}
            self._projects[project_id] = project
            return dict(project)

    def delete_project(self, project_id):
        """keystone forgets the project (GET answers 404); nova keeps its servers,
        as nova does when a project is deleted under them."""
        with self._lock:
            del self._projects[project_id]

    def issued_tokens(self):
        """Every token issued so far (to check none reaches a log)."""
        with self._lock:
            return list(self._issued_tokens)

    def expire_tokens(self):
        """Every token issued so far stops being valid; clients must authenticate again."""
        with self._lock:
            self._tokens.clear()


class Keystone:
    """The identity API, under /identity."""

    routes = [
        Route('/', {'GET': 'versions'}, slash=True, public=True),
        Route('/v3', {'GET': 'version'}, slash=True, public=True),
        Route('/v3/auth/tokens', {'POST': 'issue_token', 'GET': 'validate_token'}),
        Route('/v3/projects', {'GET': 'list_projects'}, slash=True),
        Route('/v3/projects/{id}', {'GET': 'show_project'}),
    ]

    def __init__(self, emu):
        self.emu = emu

    @staticmethod
    def not_found(status, allowed):
        if status == 405:
            return Reply(405, {'error': {'code': 405, 'title': 'Method Not Allowed',
                                         'message': 'The method is not allowed for the '
                                                    'requested URL.'}},
                         {'Allow': ', '.join(allowed)})
        return keystone_error(404, 'The resource could not be found.')

    def handle(self, req, sub):
        dispatch(self, req, sub, self.not_found)

    # ------------------------------------------------- checks other APIs make

    def token(self, req, error):
        """The valid token record of the request or the 401 ``error()`` answer."""
        emu = self.emu
        token = req.headers.get('X-Auth-Token')
        with emu._lock:
            rec = emu._tokens.get(token) if token else None
            if rec is not None and rec['expires'] <= now():
                del emu._tokens[token]
                rec = None
        if rec is None:
            raise error()
        return rec

    def middleware_401(self):
        # keystonemiddleware's auth_token rejection, before the service sees the call
        return Reply(401, {'error': {'code': 401, 'title': 'Unauthorized',
                                     'message': 'The request you have made requires '
                                                'authentication.'}},
                     {'WWW-Authenticate': 'Keystone uri="%s"' % self.emu.url('identity')})

    def service_token(self, req):
        rec = self.token(req, self.middleware_401)
        if rec['project_id'] is None:
            # an unscoped token carries no roles: services refuse it
            raise self.middleware_401()
        return rec

    @staticmethod
    def keystone_401():
        return keystone_error(401, 'The request you have made requires authentication.')

    # ----------------------------------------------------------------- calls

    def _version(self):
        return {'id': KEYSTONE_VERSION, 'status': 'stable', 'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.emu.base_url + '/identity/v3/'}],
                'media-types': [{'base': 'application/json',
                                 'type': 'application/vnd.openstack.identity-v3+json'}]}

    def versions(self, req):
        raise Reply(300, {'versions': {'values': [self._version()]}}, {'Vary': 'X-Auth-Token'})

    def version(self, req):
        raise Reply(200, {'version': self._version()}, {'Vary': 'X-Auth-Token'})

    def _find_user(self, identity):
        emu = self.emu
        user_ref = (identity.get('password') or {}).get('user') or {}
        if 'id' in user_ref:
            user = emu._users.get(user_ref['id'])
        elif 'name' in user_ref:
            if 'domain' not in user_ref:
                raise keystone_error(400, 'Expecting to find domain in user. ' + _MALFORMED)
            domain_id = emu._find_domain(user_ref['domain'])
            user = next((u for u in emu._users.values()
                         if u['name'] == user_ref['name'] and u['domain_id'] == domain_id),
                        None)
        else:
            raise keystone_error(400, "Invalid input for field 'identity/password/user': "
                                      "{} does not have enough properties")
        if user is None or user['password'] != user_ref.get('password'):
            raise self.keystone_401()
        return user

    def _find_scope(self, scope):
        emu = self.emu
        if scope in (None, 'unscoped'):
            return None
        if not (isinstance(scope, dict) and 'project' in scope):
            raise self.keystone_401()
        pref = scope['project'] or {}
        if 'id' in pref:
            project = emu._projects.get(pref['id'])
        elif 'name' in pref and 'domain' in pref:
            domain_id = emu._find_domain(pref['domain'])
            project = next((p for p in emu._projects.values()
                            if p['name'] == pref['name'] and p['domain_id'] == domain_id),
                           None)
        else:
            raise keystone_error(400, 'Expecting to find domain in project. ' + _MALFORMED)
        if project is None or project['id'] != emu.project_id:
            # the user has a role on its own project only
            raise self.keystone_401()
        return project

    def issue_token(self, req):
        emu = self.emu
        body = req.json()
        try:
            auth = body['auth']
            identity = auth['identity']
            methods = identity['methods']
            if not isinstance(methods, list):
                raise TypeError
        except (TypeError, KeyError):
            raise keystone_error(400, "Invalid input for field 'identity': 'identity' is a "
                                      "required property") from None
        if 'password' not in methods:
            raise self.keystone_401()
        with emu._lock:
            user = self._find_user(identity)
            project = self._find_scope(auth.get('scope'))
            issued = now()
            token = 'gAAAAAB' + secrets.token_urlsafe(135)
            rec = {'user_id': user['id'], 'project_id': project['id'] if project else None,
                   'issued': issued,
                   'expires': issued + datetime.timedelta(seconds=emu.token_ttl),
                   'audit_id': secrets.token_urlsafe(16)[:22], 'methods': ['password']}
            emu._tokens[token] = rec
            emu._issued_tokens.append(token)
            emu.stats['token_issues'] += 1
            body = self._token_body(rec)
        raise Reply(201, body, {'X-Subject-Token': token, 'Vary': 'X-Auth-Token'})

    def _token_body(self, rec):
        emu = self.emu
        user = emu._users[rec['user_id']]
        udom = emu._domains[user['domain_id']]
        token = {
            'methods': rec['methods'],
            'user': {'domain': {'id': udom['id'], 'name': udom['name']},
                     'id': user['id'], 'name': user['name'], 'password_expires_at': None},
            'audit_ids': [rec['audit_id']],
            'expires_at': iso(rec['expires'], subsecond=True),
            'issued_at': iso(rec['issued'], subsecond=True),
        }
        if rec['project_id']:
            project = emu._projects[rec['project_id']]
            pdom = emu._domains[project['domain_id']]
            token['project'] = {'domain': {'id': pdom['id'], 'name': pdom['name']},
                                'id': project['id'], 'name': project['name']}
            token['is_domain'] = False
            token['roles'] = [dict(r) for r in emu._roles]
            token['catalog'] = self._catalog()
        return {'token': token}

    def _catalog(self):
        emu = self.emu
        names = {'identity': 'keystone', 'compute': 'nova', 'image': 'glance',
                 'network': 'neutron'}
        return [{
            'endpoints': [{'id': emu._endpoint_ids[(service, iface)],
                           'interface': iface, 'region_id': emu.region,
                           'url': emu.url(service), 'region': emu.region}
                          for iface in ('public', 'internal', 'admin')],
            'id': emu._service_ids[service], 'type': service, 'name': names[service],
        } for service in SERVICES]

    def validate_token(self, req):
        emu = self.emu
        self.token(req, self.keystone_401)
        subject = req.headers.get('X-Subject-Token')
        with emu._lock:
            rec = emu._tokens.get(subject) if subject else None
            if rec is None or rec['expires'] <= now():
                raise keystone_error(404, 'Could not find token: %s.' % subject)
            body = self._token_body(rec)
        raise Reply(200, body, {'X-Subject-Token': subject, 'Vary': 'X-Auth-Token'})

    def _render_project(self, project):
        out = dict(project)
        out['links'] = {'self': '%s/identity/v3/projects/%s'
                                % (self.emu.base_url, project['id'])}
        return out

    def show_project(self, req, project_id):
        emu = self.emu
        self.token(req, self.keystone_401)
        with emu._lock:
            project = emu._projects.get(project_id)
            if project is None:
                raise keystone_error(404, 'Could not find project: %s.' % project_id)
            raise Reply(200, {'project': self._render_project(project)},
                        {'Vary': 'X-Auth-Token'})

    def list_projects(self, req):
        emu = self.emu
        self.token(req, self.keystone_401)
        with emu._lock:
            projects = [self._render_project(p) for p in emu._projects.values()
                        if all(p.get(k) == req.param(k) for k in ('name', 'domain_id')
                               if req.param(k) is not None)]
        raise Reply(200, {'projects': projects,
                          'links': {'self': emu.base_url + '/identity/v3/projects',
                                    'previous': None, 'next': None}},
                    {'Vary': 'X-Auth-Token'})
