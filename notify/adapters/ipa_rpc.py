"""IPA commands on the session python-freeipa logged in, sent with urllib3.

python-freeipa sends every command through requests (``Client._request``).
requests' layers (cookie policy checks, settings merged per request, the
adapter's per-request set-up) cost about 1.4 ms of CPU per command on a
controller's Python 3.11; the same request on urllib3 (which requests sends
with) costs about 0.5 ms. A removal is two commands, so this was most of the
daemon's CPU in a burst of deletes.

python-freeipa still logs in (its cookie jar holds the session); the commands
after the login go out here, to the same server, with the same TLS
verification (``[ipa] ca_cert``, host name checked), the same headers, the
session's cookies as requests would send them, and the same answers: the
command's result, or python-freeipa's exceptions (``Unauthorized`` for 401,
``FreeIPAError`` for another HTTP error, ``parse_error`` for IPA's error
object). A ``Set-Cookie`` in an answer goes into the jar, as requests would put
it there. Transport failures are requests' exceptions (``ConnectionError``,
``ReadTimeout``, ``SSLError``...), as they were.

Where the environment names a proxy for the IPA server, this path is not used:
requests applies the proxy settings.
"""

import json
import os

import requests
import urllib3
from python_freeipa import client as ipa_client
from python_freeipa import exceptions as ipa_exc
from requests import cookies as requests_cookies
from urllib3 import exceptions as u3_exc

from notify import compat

PATH = '/ipa/session/json'


def for_client(client, ca_cert):
    """A JsonRpc for a logged-in python-freeipa client, or None where requests
    must keep sending (not python-freeipa's client, or a proxy applies)."""
    session = compat.ipa_http_session(client)
    if not isinstance(client, ipa_client.Client) or not isinstance(session, requests.Session):
        return None
    host = client.current_host
    if not host:
        return None
    # the proxies requests itself would use for this URL (session and environment)
    url = f'https://{host}{PATH}'
    proxies = session.merge_environment_settings(url, {}, None, None, None)['proxies']
    if requests.utils.select_proxy(url, proxies):
        return None
    return JsonRpc(session, host, ca_cert, getattr(client, 'version', None))


class _Headers:
    """An answer's headers as http.cookiejar reads them (``get_all``)."""

    def __init__(self, headers):
        self._headers = headers

    def get_all(self, name, default=None):
        return self._headers.getlist(name) or default


class JsonRpc:
    def __init__(self, session, host, ca_cert, version):
        self._session = session
        self._url = f'https://{host}{PATH}'
        self._version = version
        self._headers = {'Referer': f'https://{host}/ipa', 'Content-Type': 'application/json',
                         'Accept': 'application/json'}
        verify = {'ca_cert_dir': ca_cert} if os.path.isdir(ca_cert) else {'ca_certs': ca_cert}
        self._pool = urllib3.connection_from_url(
            self._url, maxsize=1, block=False, cert_reqs='CERT_REQUIRED',
            retries=urllib3.Retry(0, read=False), **verify)
        # what the cookie jar is asked about: the request this path sends
        self._prepared = requests.Request('POST', self._url).prepare()
        self._cookie = None   # the Cookie header, made from the jar after each change

    def session_changed(self):
        """The jar changed (a new login): the Cookie header is made again."""
        self._cookie = None

    def call(self, method, args, options, timeout):
        params = dict(options)
        if self._version:
            params.setdefault('version', self._version)
        body = json.dumps({'method': method, 'params': [list(args), params]})
        headers = dict(self._headers)
        cookie = self._cookie_header()
        if cookie:
            headers['Cookie'] = cookie
        try:
            response = self._pool.urlopen('POST', PATH, body=body, headers=headers,
                                          timeout=urllib3.Timeout(connect=timeout, read=timeout),
                                          redirect=False)
        except u3_exc.HTTPError as exc:
            raise _as_requests_error(exc) from None
        if response.headers.getlist('Set-Cookie'):
            self._keep_cookies(response)
        if response.status == 401:
            raise ipa_exc.Unauthorized()
        if response.status >= 400:
            raise ipa_exc.FreeIPAError(message=response.data.decode('utf-8', 'replace'),
                                       code=response.status)
        try:
            answer = json.loads(response.data)
            error = answer['error']
        except (ValueError, TypeError, KeyError) as exc:
            raise requests.exceptions.InvalidJSONError(
                f'IPA answer to {method} unreadable: {type(exc).__name__}') from None
        if error:
            ipa_exc.parse_error(error)
        return answer['result']

    def close(self):
        self._pool.close()

    def _cookie_header(self):
        if self._cookie is None:
            self._cookie = requests_cookies.get_cookie_header(self._session.cookies,
                                                              self._prepared) or ''
        return self._cookie

    def _keep_cookies(self, response):
        self._session.cookies.extract_cookies(
            requests_cookies.MockResponse(_Headers(response.headers)),
            requests_cookies.MockRequest(self._prepared))
        self._cookie = None


def _as_requests_error(exc):
    """The requests exception requests would have raised for this urllib3 error."""
    reason = getattr(exc, 'reason', None) or exc
    if isinstance(reason, u3_exc.SSLError):
        return requests.exceptions.SSLError(type(reason).__name__)
    if isinstance(reason, u3_exc.ConnectTimeoutError):
        return requests.exceptions.ConnectTimeout(type(reason).__name__)
    if isinstance(reason, u3_exc.ReadTimeoutError):
        return requests.exceptions.ReadTimeout(type(reason).__name__)
    return requests.exceptions.ConnectionError(type(reason).__name__)
