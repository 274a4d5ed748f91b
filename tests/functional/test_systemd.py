"""sd_notify: READY, watchdog pings only while work makes progress, STOPPING."""

import socket
import time
import uuid

from tests import payloads
from tests.functional.conftest import PROJECT
from tests.harness import wait_for
from notify.decide import NOVAJOIN_MARKER as MARKER


class NotifySocket:
    """What systemd listens on: a datagram socket, NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.received = []   # (time, line)

    def collect(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.received += [(time.monotonic(), line) for line in data.splitlines()]
        return self.received

    def lines(self, since=0.0):
        return [line for when, line in self.received if when >= since]


def test_ready_watchdog_and_stopping(start_daemon, nova, ipa, tmp_path):
    notify = NotifySocket(tmp_path / 'notify.sock')
    daemon = start_daemon(extra='[listener]\nwatchdog_stall = 2\n',
                          env={'NOTIFY_SOCKET': notify.path, 'WATCHDOG_USEC': '400000'})
    notify.collect(1.5)
    lines = notify.lines()
    assert lines[0] == 'READY=1'
    assert lines.count('WATCHDOG=1') >= 3

    # IPA hangs: a delete stays in flight with nothing finishing -> no more pings.
    ipa.add_host('slow1.example.test', description=MARKER)
    ipa.latency = 8.0
    nova.send(*payloads.legacy_delete(str(uuid.uuid4()), 'slow1', PROJECT,
                                      metadata={'ipa_enroll': 'true'}))
    wait_for(lambda: 'no longer pinging the systemd watchdog' in daemon.log(), timeout=20,
             what='stall detected')
    quiet_from = time.monotonic()
    notify.collect(1.0)
    assert 'WATCHDOG=1' not in notify.lines(since=quiet_from + 0.3)

    ipa.latency = 0.0
    wait_for(lambda: not ipa.has_host('slow1.example.test'), timeout=30, what='delete done')
    resumed = time.monotonic()
    notify.collect(1.0)
    assert 'WATCHDOG=1' in notify.lines(since=resumed)

    assert daemon.stop() == 0
    notify.collect(0.5)
    assert 'STOPPING=1' in notify.lines()
