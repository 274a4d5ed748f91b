"""notify.http's server in a thread (waitress on loopback), the broker state read
from oslo.messaging's listener, and the IPA probe."""

import http.client
import socket
import threading
import time
import types

import pytest

from notify import http as nhttp
from notify import metrics
from tests.harness import wait_for
from tests.unit.test_http import UUID, Nova, make_app


@pytest.fixture
def served():
    server = nhttp.HTTPServer(make_app(Nova([UUID])), '127.0.0.1', 0, channel_timeout=30)
    server.start()
    yield server.addresses[0][1]
    server.stop()


def request(port, path, method='GET', timeout=10):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_serves_and_stops():
    server = nhttp.HTTPServer(make_app(Nova([UUID])), '127.0.0.1', 0)
    server.start()
    port = server.addresses[0][1]
    assert request(port, f'/check/{UUID}')[0] == 200
    assert request(port, '/healthz')[0] == 200
    held = socket.create_connection(('127.0.0.1', port))   # an idle client at stop
    server.stop()
    assert not server._thread.is_alive()
    held.close()
    with pytest.raises(OSError):
        request(port, '/healthz', timeout=2)


def test_slow_clients_do_not_hold_the_workers(served):
    # More partial requests than worker threads, each holding its socket.
    slow = []
    try:
        for _ in range(nhttp.THREADS * 5):
            s = socket.create_connection(('127.0.0.1', served))
            s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ')
            slow.append(s)
        for path in ('/healthz', '/metrics', f'/check/{UUID}'):
            assert request(served, path)[0] == 200
    finally:
        for s in slow:
            s.close()


def test_oversized_request_line_is_refused(served):
    status, _ = request(served, '/check/' + 'a' * 20000)
    assert status == 431
    assert request(served, '/healthz')[0] == 200


def test_body_over_the_limit_is_refused(served):
    conn = http.client.HTTPConnection('127.0.0.1', served, timeout=10)
    conn.request('GET', '/healthz', body=b'x' * (nhttp.MAX_BODY_BYTES + 1))
    assert conn.getresponse().status == 413
    conn.close()


def test_server_header_names_no_version(served):
    conn = http.client.HTTPConnection('127.0.0.1', served, timeout=10)
    conn.request('GET', '/healthz')
    response = conn.getresponse()
    assert response.getheader('Server') == 'novajoin-notify'
    conn.close()


def fake_listener(connected):
    kombu = types.SimpleNamespace(connected=connected)
    rabbit = types.SimpleNamespace(connection=kombu)
    amqp = types.SimpleNamespace(conn=types.SimpleNamespace(connection=rabbit))
    return types.SimpleNamespace(listener=types.SimpleNamespace(_poll_style_listener=amqp))


def test_broker_state_from_the_listener():
    assert nhttp.broker_connected(fake_listener(True)) is True
    assert nhttp.broker_connected(fake_listener(False)) is False
    assert nhttp.broker_connected(types.SimpleNamespace(listener=None)) is None
    assert nhttp.broker_connected(object()) is None


class Raises:
    @property
    def connected(self):
        raise OSError('torn down')


def test_broker_state_while_torn_down_is_disconnected():
    listener = fake_listener(True)
    listener.listener._poll_style_listener.conn.connection.connection = Raises()
    assert nhttp.broker_connected(listener) is False


def test_ipa_probe_pings_only_when_ipa_was_idle():
    live = metrics.Liveness()
    pings = []

    def ping():
        pings.append(time.monotonic())
        live.answered()

    probe = nhttp.IPAProbe(ping, live, interval=0.2)
    probe.start()
    try:
        wait_for(lambda: len(pings) >= 2, timeout=10, what='two pings')
        # Busy IPA (answers all the time): no ping.
        stop_busy = threading.Event()

        def busy():
            while not stop_busy.is_set():
                live.answered()
                time.sleep(0.01)

        worker = threading.Thread(target=busy)
        worker.start()
        time.sleep(0.05)
        count = len(pings)
        time.sleep(1.0)
        stop_busy.set()
        worker.join(5)
        assert len(pings) == count
    finally:
        probe.stop()


def test_ipa_probe_survives_failing_pings():
    live = metrics.Liveness()
    calls = []

    def ping():
        calls.append(1)
        live.failed('IPA unreachable: ConnectionError')
        raise RuntimeError('down')

    probe = nhttp.IPAProbe(ping, live, interval=0.1)
    probe.start()
    try:
        wait_for(lambda: len(calls) >= 3, timeout=10, what='three pings')
    finally:
        probe.stop()


def test_a_stalled_client_is_dropped_after_the_channel_timeout():
    server = nhttp.HTTPServer(make_app(), '127.0.0.1', 0, channel_timeout=1)
    server.start()
    try:
        s = socket.create_connection(('127.0.0.1', server.addresses[0][1]), timeout=30)
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ')
        assert s.recv(1024) == b''      # closed by the server, not answered
        s.close()
    finally:
        server.stop()
