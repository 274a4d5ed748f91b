"""Login and sessions (ipaserver/rpcserver.py login_password, jsonserver_session,
and the Apache configuration in front of them, install/share/ipa.conf.template).

* ``/ipa/session/login_password``: the Referer must start with
  ``https://<server>/ipa`` (check_referer, else 400 "denied"; the emulator
  takes <server> from the Host header, IPA from its own host name); then the
  form is checked; a malformed principal is 401 "denied", a wrong user or
  password 401 "invalid-password", an expired password (``password_expired``)
  401 "password-expired", all with X-IPA-Rejection-Reason; success sets the
  ``ipa_session`` cookie.
* ``/ipa/session/json`` sits behind Apache's ``Require valid-user``: without a
  valid session cookie (none, unknown, expired, or past
  ``session_max_calls``) Apache answers 401 with ``WWW-Authenticate:
  Negotiate`` and its ErrorDocument page, before IPA sees the request. A
  known cookie whose Kerberos credentials expired
  (``expire_sessions(credentials_only=True)``) reaches IPA, which answers 401
  with an empty body and clears the cookie (need_login, logout_cookie). Then
  the Referer is checked (400 "denied").
"""

import secrets
import urllib.parse

from .transport import _bad_request, _unauthorized

# Apache's ErrorDocument 401 for /ipa (install/html/unauthorized.html): a page
# telling the user to log in; this stands for it
UNAUTHORIZED_PAGE = (b'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
                     b'<title>Identity Management</title>\n</head>\n<body>\n'
                     b'<p>Unable to verify your Kerberos credentials</p>\n</body>\n</html>\n')
LOGOUT_COOKIE = 'ipa_session=MagBearerToken=;path=/ipa;httponly;secure;'


class SessionsMixin:

    def _login(self, handler, method, body):
        if self.login_requires_referer and not self._referer_ok(handler):
            return handler.respond(400, _bad_request('denied'))
        content_type = handler.headers.get('Content-Type', '').lower()
        if not content_type.startswith('application/x-www-form-urlencoded'):
            return handler.respond(400, _bad_request(
                'Content-Type must be application/x-www-form-urlencoded'))
        if method != 'POST':
            return handler.respond(400, _bad_request('HTTP request method must be POST'))
        try:
            form = urllib.parse.parse_qs(body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            return handler.respond(400, _bad_request('cannot parse query data'))
        users, passwords = form.get('user'), form.get('password')
        if users is None:
            return handler.respond(400, _bad_request('no user specified'))
        if len(users) != 1:
            return handler.respond(400, _bad_request('more than one user parameter'))
        user = users[0]
        name, at, realm = user.partition('@')
        if not name or '@' in realm or (at and not realm):
            self._count('login_failures')
            return handler.respond(401, _unauthorized(''), [('X-IPA-Rejection-Reason', 'denied')])
        if passwords is None:
            return handler.respond(400, _bad_request('no password specified'))
        if len(passwords) != 1:
            return handler.respond(400, _bad_request('more than one password parameter'))
        principal = f'{name}@{realm or self.realm}'
        if name != self.username or (realm and realm.upper() != self.realm.upper()):
            reason = (f"kinit: Client '{principal}' not found in Kerberos database while "
                      "getting initial credentials")
        elif passwords[0] != self.password:
            reason = 'kinit: Password incorrect while getting initial credentials'
        elif self.password_expired:
            # kinit asks for a new password and gets none (PasswordExpired)
            self._count('login_failures')
            message = (f'Principal {principal} cannot be authenticated: '
                       'kinit: Cannot read password while getting initial credentials')
            return handler.respond(401, _unauthorized(message),
                                   [('X-IPA-Rejection-Reason', 'password-expired')])
        else:
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._sessions[token] = {'calls': 0, 'principal': self.principal}
                self.stats['logins'] += 1
            cookie = f'ipa_session=MagBearerToken={token};path=/ipa;httponly;secure;'
            return handler.respond(200, b'', [('Set-Cookie', cookie)],
                                   content_type='text/plain; charset=utf-8')
        self._count('login_failures')
        message = f'Principal {principal} cannot be authenticated: {reason}'
        return handler.respond(401, _unauthorized(message),
                               [('X-IPA-Rejection-Reason', 'invalid-password')])

    def _session_token(self, handler):
        for header in handler.headers.get_all('Cookie') or ():
            for part in header.split(';'):
                key, _eq, value = part.strip().partition('=')
                if key == 'ipa_session' and value.startswith('MagBearerToken='):
                    return value[len('MagBearerToken='):]
        return None

    def _referer_ok(self, handler):
        """rpcserver check_referer (against the Host the client connected to)."""
        host = handler.headers.get('Host') or self.server
        referer = handler.headers.get('Referer')
        return referer is not None and referer.startswith(f'https://{host}/ipa')

    def _authenticate(self, handler):
        """True when the request may go on to JSON-RPC; else the refusal was sent."""
        token = self._session_token(handler)
        with self._lock:
            session = self._sessions.get(token) if token else None
            limit = self.session_max_calls
            if session is not None and limit is not None and session['calls'] >= limit:
                del self._sessions[token]
                session = None
            if session is None or session.get('expired'):
                self.stats['unauthorized'] += 1
            else:
                session['calls'] += 1
        if session is None:
            handler.respond(401, UNAUTHORIZED_PAGE, [('WWW-Authenticate', 'Negotiate')],
                            content_type='text/html; charset=UTF-8')
            return False
        if session.get('expired'):
            with self._lock:
                self._sessions.pop(token, None)
            handler.respond(401, b'', [('Set-Cookie', LOGOUT_COOKIE)], content_type=None)
            return False
        if not self._referer_ok(handler):
            handler.respond(400, _bad_request('denied'))
            return False
        return True
