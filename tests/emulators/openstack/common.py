"""Pieces every emulated OpenStack service shares: time stamps, the HTTP
answer raised by handlers, the parsed request, routes with path templates and
each service's own error body."""

import datetime
import json
import re
import urllib.parse
import uuid

from tests.emulators.https import Reply  # noqa: F401 (the services raise it)

SERVICES = ('identity', 'compute', 'image', 'network')

BOOL_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
BOOL_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(dt, subsecond=False):
    if subsecond:
        return dt.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def hex_id():
    return uuid.uuid4().hex


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query_string = query
        self.query = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self.body = body

    def param(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self):
        try:
            return json.loads(self.body or b'null')
        except ValueError:
            return None


# ----------------------------------------------------------------------------
# Routes: a path template ("/v2.1/servers/{id}") names the call in the call
# counter; its regex matches the path below the service prefix.
# ----------------------------------------------------------------------------

class Route:
    def __init__(self, template, methods, slash=False, public=False):
        self.template = template
        self.methods = methods          # {'GET': handler-method name}
        self.public = public            # answered without a token
        pattern = re.sub(r'\\\{[a-z_]+\\\}', '([^/]+)', re.escape(template.rstrip('/')))
        if slash:                       # the trailing slash is optional
            pattern += '/?'
        elif template.endswith('/'):
            pattern += '/'
        self.regex = re.compile(pattern)


def match(routes, sub):
    """(route, path arguments) of the first route matching ``sub``, or (None, ())."""
    for route in routes:
        m = route.regex.fullmatch(sub)
        if m:
            return route, m.groups()
    return None, ()


def dispatch(api, req, sub, not_found):
    """Call the handler the method names on the route ``sub`` matches: 404 for no
    route, 405 for a route without that method (HEAD is answered as GET)."""
    route, args = match(api.routes, sub)
    if route is None:
        raise not_found(404, None)
    name = route.methods.get('GET' if req.method == 'HEAD' else req.method)
    if name is None:
        raise not_found(405, sorted(route.methods))
    getattr(api, name)(req, *args)
    raise Reply(500, {'error': 'handler returned nothing'})


# ----------------------------------------------------------------------------
# Error bodies as each service writes them
# ----------------------------------------------------------------------------

_KEYSTONE_TITLES = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
                    404: 'Not Found', 405: 'Method Not Allowed'}

_NOVA_FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
                     404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
                     413: 'overLimit', 415: 'badMediaType', 429: 'overLimit',
                     501: 'notImplemented', 503: 'serviceUnavailable'}


def keystone_error(status, message):
    return Reply(status, {'error': {'code': status, 'message': message,
                                    'title': _KEYSTONE_TITLES.get(status, 'Error')}})


def nova_error(status, message):
    name = _NOVA_FAULT_NAMES.get(status, 'computeFault')
    return Reply(status, {name: {'code': status, 'message': message}})


def glance_error(status, title, message):
    # glance renders webob exceptions as HTML-ish text.
    body = ('<html>\n <head>\n  <title>%d %s</title>\n </head>\n <body>\n'
            '  <h1>%d %s</h1>\n  %s<br /><br />\n\n\n\n </body>\n</html>'
            % (status, title, status, title, message))
    return Reply(status, body, content_type='text/html; charset=UTF-8')


def neutron_error(status, type_, message):
    return Reply(status, {'NeutronError': {'type': type_, 'message': message, 'detail': ''}})


UNAVAILABLE = ('<html><body><h1>503 Service Unavailable</h1>\n'
               'No server is available to handle this request.\n</body></html>\n')
