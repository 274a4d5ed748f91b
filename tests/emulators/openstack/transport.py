"""The HTTPS side: a threading HTTP/1.1 server with TLS handshakes in the
connection's thread, and the dispatcher that turns one request into one
answer (statistics, faults, the service's handler, emulator bugs as 500)."""

import ssl
import time
import traceback
import urllib.parse
import uuid

from tests.emulators.https import QuietHandler, TLSServer
from tests.emulators.openstack.common import SERVICES, UNAVAILABLE, Reply, Request, match

UNKNOWN_PATH = '<unknown>'      # the call counter's template of a path no route knows


class Server(TLSServer):
    def __init__(self, address, handler, emulator, ssl_context):
        self.emulator = emulator
        super().__init__(address, handler, ssl_context)


class Handler(QuietHandler):
    def _serve(self):
        serve(self.server.emulator, self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def _is_down(down, service):
    if down is True:
        return True
    return bool(service and not isinstance(down, bool) and down and service in down)


def serve(emu, handler):
    """Answer one request of ``handler`` for the emulator ``emu``."""
    method = handler.command
    split = urllib.parse.urlsplit(handler.path)
    path, query = split.path, split.query
    try:
        length = int(handler.headers.get('Content-Length') or 0)
    except ValueError:
        length = 0
    body = handler.rfile.read(length) if length > 0 else b''
    segments = path.strip('/').split('/')
    service = segments[0] if segments[0] in SERVICES else None
    sub = '/' + '/'.join(segments[1:])
    api = emu._apis.get(service)
    template = UNKNOWN_PATH
    if api is not None:
        route, _ = match(api.routes, sub)
        if route is not None:
            template = route.template

    with emu._lock:
        emu.stats['requests'][service or 'other'] += 1
        emu.stats['paths'][(method, path)] += 1
        if service is not None:
            emu.stats['calls'][(service, method, template)] += 1
        emu.request_log.append((method, path, query))

    latency = emu.latency_of(service)
    if latency:
        time.sleep(latency)

    req = Request(method, path, query, handler.headers, body)
    try:
        if _is_down(emu.down, service):
            raise Reply(503, UNAVAILABLE, {'Cache-Control': 'no-cache'},
                        content_type='text/html')
        if api is None:
            raise Reply(404, '404 Not Found\n\nThe resource could not be found.\n',
                        content_type='text/plain')
        api.handle(req, sub)
        raise Reply(500, {'error': 'handler returned nothing'})
    except Reply as reply:
        answer = reply
    except Exception:  # an emulator bug: say so loudly
        tb = traceback.format_exc()
        with emu._lock:
            emu.errors.append(tb)
        answer = Reply(500, tb, content_type='text/plain')

    answer.headers.setdefault('x-openstack-request-id', 'req-' + str(uuid.uuid4()))
    payload = b'' if method == 'HEAD' else answer.body
    try:
        handler.send_response(answer.status)
        for key, value in answer.headers.items():
            if isinstance(value, list):
                for v in value:
                    handler.send_header(key, v)
            else:
                handler.send_header(key, value)
        handler.send_header('Content-Length', str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(payload)
    except (OSError, ssl.SSLError):
        handler.close_connection = True
