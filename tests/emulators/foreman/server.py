"""HTTPS plumbing of the Foreman emulator: a threaded TLS server on 127.0.0.1 with
the shared test CA's certificate, and the request/answer objects the API code
uses. Nothing Foreman-specific lives here."""

import json
import ssl
import threading
import urllib.parse

from tests.emulators import https


class Reply(https.Reply):
    JSON_TYPE = 'application/json; charset=utf-8'


class Request:
    def __init__(self, method, target, headers, body):
        split = urllib.parse.urlsplit(target)
        self.method = method
        self.path = split.path
        self.query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        # Rails merges a JSON body into params (apypie sends non-GET params as JSON).
        if body and 'json' in (headers.get('Content-Type') or ''):
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            if isinstance(document, dict):
                for key, value in document.items():
                    self.query[key] = [value if isinstance(value, str) else str(value)]

    def param(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def params(self):
        return {k: v[-1] for k, v in self.query.items()}


class TLSServer(https.TLSServer):
    def __init__(self, address, serve, ssl_context):
        self.serve = serve
        super().__init__(address, _Handler, ssl_context)


class _Handler(https.QuietHandler):
    def _serve(self):
        try:
            length = int(self.headers.get('Content-Length') or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b''
        answer = self.server.serve(Request(self.command, self.path, self.headers, body))
        try:
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header('Content-Length', str(len(answer.body)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(answer.body)
        except (OSError, ssl.SSLError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class Listener:
    """Start, stop, and pause (connection refused on the same port) a TLSServer."""

    def __init__(self, serve, ca, port=0, name='foreman-emulator'):
        self._serve = serve
        self._ca = ca
        self.port = port
        self._name = name
        self._server = None
        self._thread = None

    @property
    def running(self):
        return self._server is not None

    def open(self):
        ctx = self._ca.server_context()
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self._server = TLSServer(('127.0.0.1', self.port), self._serve, ctx)
        self.port = self._server.server_address[1]   # a restart keeps the port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        name=f'{self._name}-{self.port}', daemon=True)
        self._thread.start()

    def close(self):
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(5)
