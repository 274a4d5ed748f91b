"""The daemon's HTTP side: Prometheus metrics, a health check, and /check/{uuid}.

    GET /metrics         Prometheus text format (prometheus-client's WSGI app)
    GET /healthz         200 {"status": "ok", ...}, or 503 {"status": "unhealthy",
                         "reasons": [...]}: broker disconnected, IPA unreachable for
                         longer than [http] unhealthy_after, or the watchdog's stall
    GET /check/{uuid}    200 {"uuid": ..., "exists": true}: nova has the instance (any
                         project, any state but deleted); 404 {..., "exists": false};
                         400 not a UUID; 401 without the [http] check_token; 503 nova
                         cannot be asked

Served by waitress from threads of the daemon itself, beside the listener.
Waitress reads and buffers each request in its I/O thread before a worker
thread sees it, so a slow or hostile client holds a socket (up to the
connection limit, for at most CHANNEL_TIMEOUT idle seconds), never a worker.
"""

import hmac
import json
import logging
import re
import threading

import waitress
from prometheus_client import make_wsgi_app
from waitress import wasyncore
from waitress.trigger import trigger as waitress_trigger

from notify import metrics
from notify.cache import ttl_cached
from notify.errors import NotifyError, bounded

LOG = logging.getLogger(__name__)

THREADS = 4
CHECK_CONCURRENCY = 2        # workers /check may hold while nova is asked
CONNECTION_LIMIT = 100
CHANNEL_TIMEOUT = 30         # seconds an idle or stalled connection is kept
CLEANUP_INTERVAL = 5
MAX_HEADER_BYTES = 8192      # request line and headers; more: 431
MAX_BODY_BYTES = 1024        # nothing here takes a body
CHECK_CACHE_SIZE = 50_000
NOVA_TIMEOUT = 10.0          # when [service_credentials] timeout is unset

UUID_RE = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
CHECK_PREFIX = '/check/'
STATUS = {200: '200 OK', 400: '400 Bad Request', 401: '401 Unauthorized',
          404: '404 Not Found', 405: '405 Method Not Allowed',
          503: '503 Service Unavailable'}


class Busy(Exception):
    """Too many /check look-ups are waiting for nova already."""


class InstanceCheck:
    """Does nova have this instance? Answers are cached for ``ttl`` seconds (a
    failure is not), concurrent asks of one UUID wait for a single nova call, and
    at most ``concurrency`` distinct look-ups wait for nova at once."""

    def __init__(self, server_of, ttl, size=CHECK_CACHE_SIZE, concurrency=CHECK_CONCURRENCY):
        self._server_of = server_of     # uuid -> the server, or None when nova has none
        self._slots = threading.BoundedSemaphore(concurrency)
        self._cached = ttl_cached(self._ask, ttl, size)

    def exists(self, uuid):
        return self._cached(uuid)

    def _ask(self, uuid):
        if not self._slots.acquire(blocking=False):
            raise Busy()
        try:
            return self._server_of(uuid) is not None
        finally:
            self._slots.release()


class Health:
    """Is the daemon doing its job? Read from state kept in memory: no I/O."""

    def __init__(self, progress, broker, ipa, unhealthy_after, watchdog_stall):
        self._progress = progress       # notify.endpoint.Progress
        self._broker = broker           # () -> True, False or None (unknown)
        self._ipa = ipa                 # notify.metrics.Liveness
        self._unhealthy_after = unhealthy_after
        self._stall = watchdog_stall

    def broker_gauge(self):
        state = self._broker()
        return float('nan') if state is None else float(state)

    def check(self):
        """(healthy, a small JSON-able body saying why)."""
        reasons = []
        broker = self._broker()
        if broker is False:
            reasons.append('broker disconnected: the listener is not consuming')
        down = self._ipa.down_for()
        if down > self._unhealthy_after:
            reasons.append(f'IPA unreachable for {down:.0f}s ({self._ipa.reason})')
        stalled = self._progress.stalled_for()
        if stalled >= self._stall:
            reasons.append(f'no notification finished for {stalled:.0f}s while '
                           f'{self._progress.in_flight} are in flight')
        body = {'status': 'unhealthy' if reasons else 'ok',
                'broker': {True: 'connected', False: 'disconnected'}.get(broker, 'unknown'),
                'ipa_idle_seconds': round(self._ipa.idle_for(), 1),
                'in_flight': self._progress.in_flight}
        if reasons:
            body['reasons'] = reasons
        return not reasons, body


def broker_connected(listener):
    """Is the oslo.messaging notification listener's broker connection up? None
    when that cannot be told (not started yet, another driver)."""
    adapter = getattr(listener, 'listener', None)           # PollStyleListenerAdapter
    amqp = getattr(adapter, '_poll_style_listener', None)   # NotificationAMQPListener
    context = getattr(amqp, 'conn', None)                   # ConnectionContext
    rabbit = getattr(context, 'connection', None)           # impl_rabbit.Connection
    kombu = getattr(rabbit, 'connection', None)             # kombu.Connection
    if kombu is None:
        return None
    try:
        return bool(kombu.connected)
    except Exception:   # a connection being torn down
        return False


class IPAProbe:
    """Pings IPA when nothing has asked it anything for ``interval`` seconds, so
    /healthz knows whether IPA answers while no notification needs it. A ping's
    answer or failure is recorded by notify.metrics like any IPA request."""

    def __init__(self, ping, liveness, interval):
        self._ping = ping
        self._liveness = liveness
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name='ipa-probe', daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stopping.set()

    def _run(self):
        while not self._stopping.wait(min(1.0, self._interval / 2)):
            if self._liveness.idle_for() < self._interval:
                continue
            try:
                self._ping()
            except Exception as exc:   # recorded by the IPA adapter; keep probing
                LOG.debug('IPA ping failed: %s', bounded(exc, 200))


def _json_reply(start_response, code, body, head=False, headers=()):
    data = (json.dumps(body, sort_keys=True) + '\n').encode()
    start_response(STATUS[code], [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(data))),
                                  ('Cache-Control', 'no-store'), *headers])
    return [] if head else [data]


def _authorized(environ, token):
    if not token:
        return True
    scheme, _, given = environ.get('HTTP_AUTHORIZATION', '').strip().partition(' ')
    if scheme.lower() != 'bearer':
        return False
    return hmac.compare_digest(given.strip().encode('latin-1', 'replace'),
                               token.encode('utf-8'))


def build_app(health, check, token=None):
    """The WSGI application: a plain function of (environ, start_response)."""
    metrics_app = make_wsgi_app(metrics.REGISTRY)

    def app(environ, start_response):
        method = environ.get('REQUEST_METHOD', '')
        path = environ.get('PATH_INFO', '')
        head = method == 'HEAD'
        if method not in ('GET', 'HEAD'):
            return _json_reply(start_response, 405, {'error': 'only GET and HEAD'},
                               headers=[('Allow', 'GET, HEAD')])
        if path == '/metrics':
            body = metrics_app(dict(environ, REQUEST_METHOD='GET'), start_response)
            return [] if head else body
        if path == '/healthz':
            ok, body = health.check()
            return _json_reply(start_response, 200 if ok else 503, body, head)
        if path.startswith(CHECK_PREFIX):
            code, body, headers = _check(environ, path[len(CHECK_PREFIX):], check, token)
            return _json_reply(start_response, code, body, head, headers)
        return _json_reply(start_response, 404,
                           {'error': 'not found; try /metrics, /healthz or /check/{uuid}'},
                           head)

    return app


def _check(environ, text, check, token):
    """(status, body, extra headers) of GET /check/{text}."""
    if not _authorized(environ, token):
        metrics.check_answer('unauthorized')
        return 401, {'error': 'a valid "Authorization: Bearer" token is required'}, [
            ('WWW-Authenticate', 'Bearer realm="novajoin-notify"')]
    uuid = text.lower()
    if not UUID_RE.fullmatch(uuid):
        metrics.check_answer('bad_request')
        return 400, {'error': 'not an instance UUID (8-4-4-4-12 hexadecimal digits)'}, []
    try:
        exists = check.exists(uuid)
    except Busy:
        metrics.check_answer('busy')
        return 503, {'error': 'too many checks are waiting for nova; retry later'}, [
            ('Retry-After', '1')]
    except NotifyError as exc:
        metrics.check_answer('unavailable')
        return 503, {'error': f'nova cannot be asked: {bounded(exc, 200)}'}, []
    except Exception as exc:   # a client error not sorted into ours: still 503, one line
        LOG.error('/check: asking nova failed unexpectedly: %s: %s', type(exc).__name__,
                  bounded(exc, 200))
        metrics.check_answer('unavailable')
        return 503, {'error': f'nova cannot be asked: {type(exc).__name__}'}, []
    metrics.check_answer('exists' if exists else 'absent')
    return (200 if exists else 404), {'uuid': uuid, 'exists': exists}, []


def parse_listen(text):
    """(host, port) of ``[http] listen`` (HOST:PORT, [IPv6]:PORT); ValueError if not."""
    host, sep, port = text.strip().rpartition(':')
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 \
            or any(c.isspace() for c in host):
        raise ValueError(f'[http] listen must be HOST:PORT, not {text!r}')
    return host, int(port)


class HTTPServer:
    """A waitress server on its own private socket map, run in a thread."""

    def __init__(self, app, host, port, threads=THREADS, connection_limit=CONNECTION_LIMIT,
                 channel_timeout=CHANNEL_TIMEOUT):
        self._map = {}
        listen = f'[{host}]:{port}' if ':' in host else f'{host}:{port}'
        self._server = waitress.create_server(
            app, map=self._map, listen=listen, threads=threads,
            connection_limit=connection_limit, channel_timeout=channel_timeout,
            cleanup_interval=CLEANUP_INTERVAL, max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=MAX_BODY_BYTES, asyncore_use_poll=True,
            expose_tracebacks=False, clear_untrusted_proxy_headers=True,
            ident='novajoin-notify')
        self.addresses = getattr(self._server, 'effective_listen', None) or [
            (self._server.effective_host, self._server.effective_port)]
        self._thread = threading.Thread(target=self._server.run, name='http', daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=5.0):
        """Close every socket from the server's own thread, then end its workers."""
        trigger = next((d for d in list(self._map.values())
                        if isinstance(d, waitress_trigger)), None)
        if trigger is not None and self._thread.is_alive():
            trigger.pull_trigger(lambda: wasyncore.close_all(self._map))
            self._thread.join(timeout)
        self._server.task_dispatcher.shutdown(timeout=timeout)


class _Off:
    def stop(self):
        pass


class Service:
    """The HTTP server and the IPA probe, stopped together."""

    def __init__(self, server, probe):
        self.server = server
        self.probe = probe

    def stop(self):
        self.probe.stop()
        self.server.stop()


def _nova_check(conf):
    from notify.adapters import openstack
    sc = conf.service_credentials
    session = openstack.load_session(conf)
    if session.timeout is None:
        session.timeout = NOVA_TIMEOUT
    nova = openstack.Nova(session, sc.interface, sc.region_name)
    return InstanceCheck(nova.server, conf.http.check_cache_ttl)


def _ipa_ping(conf, timeout):
    from notify.adapters.ipa import IPAClient
    ipa = IPAClient.from_config(conf, timeout=timeout, max_connections=1, batch_window=0)
    return lambda: ipa.call('ping')


def start(conf, endpoint, listener):
    """Serve /metrics, /healthz and /check beside ``listener`` (the oslo.messaging
    server) when [http] listen is set; returns what to stop on SIGTERM."""
    options = conf.http
    if not options.listen:
        LOG.info('[http] listen is empty: no /metrics, /healthz or /check')
        return _Off()
    try:
        host, port = parse_listen(options.listen)
    except ValueError as exc:
        LOG.error('configuration: %s', exc)
        raise SystemExit(2) from None
    probe = IPAProbe(_ipa_ping(conf, min(conf.ipa.timeout, options.unhealthy_after)),
                     metrics.IPA, interval=max(1.0, options.unhealthy_after / 3))
    health = Health(endpoint.progress, lambda: broker_connected(listener), metrics.IPA,
                    options.unhealthy_after, conf.listener.watchdog_stall)
    metrics.HEALTHY.set_function(lambda: 1.0 if health.check()[0] else 0.0)
    metrics.BROKER_CONNECTED.set_function(lambda: health.broker_gauge())
    app = build_app(health, _nova_check(conf), options.check_token)
    try:
        server = HTTPServer(app, host, port)
    except OSError as exc:
        LOG.error('cannot serve HTTP on %s: %s', options.listen, exc)
        raise SystemExit(2) from None
    server.start()
    probe.start()
    LOG.info('serving /metrics, /healthz and /check/{uuid} on %s%s',
             ', '.join(f'http://{h}:{p}' if ':' not in h else f'http://[{h}]:{p}'
                       for h, p in server.addresses),
             '' if options.check_token else ' (/check without a token)')
    return Service(server, probe)
