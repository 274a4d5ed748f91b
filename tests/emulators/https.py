"""What every HTTPS emulator here shares: a threaded HTTP/1.1 server on loopback
whose TLS handshakes happen in each connection's own thread (one stuck client
cannot block accept()), with its open connections tracked so a test can cut
them, and the HTTP answer a handler raises to leave early."""

import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Reply(Exception):
    """An HTTP answer, raised to leave a handler early."""

    JSON_TYPE = 'application/json'

    def __init__(self, status, body=None, headers=None, content_type='application/json'):
        super().__init__(status)
        self.status = status
        self.headers = dict(headers or {})
        if body is None:
            self.body = b''
        elif isinstance(body, (bytes, str)):
            self.body = body.encode() if isinstance(body, str) else body
            self.headers.setdefault('Content-Type', content_type)
        else:
            self.body = json.dumps(body).encode()
            self.headers.setdefault('Content-Type', self.JSON_TYPE)


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128    # the daemon runs 64 workers; socketserver's 5 drops SYNs

    def __init__(self, address, handler, ssl_context):
        self.ssl_context = ssl_context
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        with self.connections_lock:
            self.connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass

    def close_connections(self):
        """Cut every open connection: TCP shutdown under the TLS layer, so a
        handler blocked reading it sees the end at once."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, answering as Apache does, logging nothing."""

    protocol_version = 'HTTP/1.1'
    server_version = 'Apache'
    sys_version = ''

    def version_string(self):
        return self.server_version      # "Server: Apache", no Python version

    def log_message(self, *args):
        pass
