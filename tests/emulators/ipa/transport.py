"""HTTPS server, login, session cookies, Referer and the JSON-RPC envelope
(ipaserver/rpcserver.py)."""

import datetime
import json
import ssl
import threading
import time
import traceback
import urllib.parse

from tests.emulators.https import QuietHandler, TLSServer

from .errors import (
    LDAP_GENERALIZED_TIME_FORMAT, VERSION_WITHOUT_CAPABILITIES, CallRecord, DNSName, IPAError,
    IPA_VERSION, _err, _has_capability)


_REQUEST = threading.local()


def _decode(value):
    """json_decode_binary: {'__dns_name__': x} -> x (other wrappers are kept)."""
    if isinstance(value, dict):
        if set(value) == {'__dns_name__'}:
            return value['__dns_name__']
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _encode(value, dns_names, datetimes=False):
    """ipalib.ipajson: DNS names and datetimes as objects for clients that have the
    capability (dns_name_values, datetime_values), plain strings otherwise."""
    if isinstance(value, DNSName):
        return {'__dns_name__': str(value)} if dns_names else str(value)
    if isinstance(value, datetime.datetime):
        text = value.strftime(LDAP_GENERALIZED_TIME_FORMAT)
        return {'__datetime__': text} if datetimes else text
    if isinstance(value, dict):
        return {k: _encode(v, dns_names, datetimes) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, dns_names, datetimes) for v in value]
    return value


def _unmarshal(body):
    """jsonserver.unmarshal."""
    try:
        data = json.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _err('JSONError', error=str(exc)) from None
    data = _decode(data)
    if not isinstance(data, dict):
        raise _err('JSONError', error='Request must be a dict')
    if 'method' not in data:
        raise _err('JSONError', error='Request is missing "method"')
    if 'params' not in data:
        raise _err('JSONError', error='Request is missing "params"')
    params = data['params']
    if not isinstance(params, list):
        raise _err('JSONError', error='params must be a list')
    if len(params) != 2:
        raise _err('JSONError', error='params must contain [args, options]')
    args, options = params
    if not isinstance(args, list):
        raise _err('JSONError', error='params[0] (aka args) must be a list')
    if not isinstance(options, dict):
        raise _err('JSONError', error='params[1] (aka options) must be a dict')
    return data['method'], args, {str(k): v for k, v in options.items()}, data.get('id')


def _html(title, heading, message):
    from html import escape
    return (f'<html>\n<head>\n<title>{title}</title>\n</head>\n<body>\n<h1>{heading}</h1>\n'
            f'<p>\n<strong>{escape(message)}</strong>\n</p>\n</body>\n</html>').encode('utf-8')


def _bad_request(message):
    return _html('400 Bad Request', 'Bad Request', message)


def _unauthorized(message):
    return _html('401 Unauthorized', 'Invalid Authentication', message)


class _TLSServer(TLSServer):
    """The shared TLS server, with TLS 1.2 at least and the emulator its handlers
    dispatch to."""

    def __init__(self, address, handler, emulator):
        self.emulator = emulator
        context = emulator.ca.server_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        super().__init__(address, handler, context)


class _Handler(QuietHandler):
    arrived = None

    def parse_request(self):
        # the request line has just been read: the request's time at IPA starts
        self.arrived = time.monotonic()
        return super().parse_request()

    def do_POST(self):
        self._dispatch('POST')

    def do_GET(self):
        self._dispatch('GET')

    def _dispatch(self, method):
        emulator = self.server.emulator
        _REQUEST.token = emulator._session_token(self)
        try:
            emulator._handle(self, method)
        finally:
            _REQUEST.token = None
            # how long the server held the request, from its arrival to the answer
            # (latency included): the benchmarks' ideal at the time requests took
            emulator._count('busy_seconds', time.monotonic() - self.arrived)

    def respond(self, status, body, headers=(), content_type='text/html; charset=utf-8'):
        self.send_response(status)
        if content_type:
            self.send_header('Content-Type', content_type)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(body)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        # headers and body in one write: no Nagle / delayed-ACK stall per call
        self._headers_buffer.append(b'\r\n' + body)
        self.flush_headers()


class TransportMixin:
    def pause_listening(self):
        """Close the listening socket and drop open connections: connection refused."""
        self._close()

    def resume_listening(self):
        """Listen again on the same port."""
        if self._server is None:
            self._open()

    def _open(self):
        server = _TLSServer(('127.0.0.1', self.port), _Handler, self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        name=f'ipa-emulator-{self.port}', daemon=True)
        self._thread.start()

    def _close(self):
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(5)

    def _count(self, key, amount=1):
        with self._lock:
            self.stats[key] += amount

    def _handle(self, handler, method):
        self._count('http_requests')
        length = handler.headers.get('Content-Length')
        try:
            body = handler.rfile.read(int(length)) if length else b''
        except ValueError:
            return handler.respond(400, _html('400 Bad Request', 'Bad Request',
                                              'invalid Content-Length'))
        if self.down:
            return handler.respond(503, _html(
                '503 Service Unavailable', 'Service Unavailable',
                'The server is temporarily unable to service your request due to '
                'maintenance downtime or capacity problems. Please try again later.'))
        path = urllib.parse.urlsplit(handler.path).path
        if path == '/ipa/session/login_password':
            return self._login(handler, method, body)
        if path == '/ipa/session/json':
            return self._json(handler, method, body)
        return handler.respond(404, _html(
            '404 Not Found', 'Not Found',
            f'The requested URL {path} was not found on this server.'))

    def _json(self, handler, method, body):
        if not self._authenticate(handler):
            return None

        content_type = handler.headers.get('Content-Type', '')
        if not (content_type.startswith('application/json') and method == 'POST'):
            # rpcserver falls back to simple_unmarshal: the command is the path
            return self._reply(handler, None, _err('CommandError', name='session/json'))
        try:
            name, args, options, _id = _unmarshal(body)
        except IPAError as exc:
            return self._reply(handler, None, exc)

        with self._lock:
            self.stats['calls'][name if isinstance(name, str) else repr(name)] += 1
            self.call_log.append(CallRecord(name, args, options))
        # per request, counted from its arrival: the emulator's own reading and
        # checking are part of it, as a real server's are of the time it answers in;
        # a command's own work (entry_latency) once here, and once per entry inside
        # a batch (BatchMixin), as IPA runs each entry as a command
        cost = self.latency + (self.entry_latency if name != 'batch' else 0.0)
        if cost:
            time.sleep(max(0.0, handler.arrived + cost - time.monotonic()))
        result, error = None, None
        try:
            result = self._execute(name, args, options)
        except IPAError as exc:
            error = exc
        except Exception:
            self.internal_errors.append(traceback.format_exc())
            traceback.print_exc()
            error = _err('InternalError')
        version = options.get('version', VERSION_WITHOUT_CAPABILITIES)
        return self._reply(handler, result, error, _id, version)

    def _reply(self, handler, result, error, _id=None, version=VERSION_WITHOUT_CAPABILITIES):
        response = {
            'result': result,
            'error': error.to_dict() if error is not None else None,
            'id': _id,
            'principal': self.principal,
            'version': IPA_VERSION,
        }
        dns_names = _has_capability(str(version), 'dns_name_values')
        datetimes = _has_capability(str(version), 'datetime_values')
        body = json.dumps(_encode(response, dns_names, datetimes)).encode('utf-8')
        return handler.respond(200, body, content_type='application/json; charset=utf-8')

