"""Functional tests of tests/fixtures/rabbitmq/ against a real broker.

Needs root and the Debian rabbitmq-server package; never skipped.
"""

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

import oslo_messaging
from oslo_config import cfg
from oslo_messaging import opts as oslo_messaging_opts

from tests.fixtures.rabbitmq import (
    RabbitCtlError, RabbitNode, RabbitStartError, _pgid_members, _pid_alive)

pytestmark = pytest.mark.timeout(120)

TOPIC = 'novajoin_notifications'
QUEUE = TOPIC + '.info'       # oslo's notifier declares <topic>.<priority>
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


# -- oslo.messaging helpers -------------------------------------------------

def make_conf(durable=False, exchange='nova'):
    """A private ConfigOpts, as nova / the daemon would configure it."""
    conf = cfg.ConfigOpts()
    for group, opts in oslo_messaging_opts.list_opts():
        conf.register_opts(opts, group=group)
    conf(args=[], default_config_files=[], default_config_dirs=[])
    # nova's notifications go to the 'nova' exchange; read when the
    # transport is built
    conf.set_override('control_exchange', exchange)
    conf.set_override('amqp_durable_queues', durable,
                      group='oslo_messaging_rabbit')
    return conf


def notify(node, topic, count=1, durable=False, exchange='nova',
           event_type='compute.instance.create.end'):
    # NB: the Notifier logs a failed send and returns: check the queue.
    transport = oslo_messaging.get_notification_transport(
        make_conf(durable, exchange), url=node.transport_url)
    try:
        notifier = oslo_messaging.Notifier(
            transport, publisher_id='compute.host1', driver='messagingv2',
            topics=[topic], retry=3)
        for i in range(count):
            notifier.info({}, event_type, {'instance_id': 'i-%d' % i})
    finally:
        transport.cleanup()


class Endpoint:
    def __init__(self, expected):
        self.events = []
        self.expected = expected
        self.done = threading.Event()
        self._lock = threading.Lock()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        with self._lock:
            self.events.append((publisher_id, event_type, payload))
            if len(self.events) >= self.expected:
                self.done.set()


def consume(node, topic, expected, durable=False, exchange='nova',
            timeout=15):
    transport = oslo_messaging.get_notification_transport(
        make_conf(durable, exchange), url=node.transport_url)
    endpoint = Endpoint(expected)
    listener = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic)], [endpoint],
        executor='threading')
    listener.start()
    try:
        assert endpoint.done.wait(timeout), endpoint.events
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()
    return endpoint.events


def wait_gone(pids, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if _pid_alive(p)]
        if not alive:
            return []
        time.sleep(0.05)
    return alive


def port_listening(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5):
            return True
    except OSError:
        return False


# -- fixtures ---------------------------------------------------------------

@pytest.fixture(scope='module')
def shared_node():
    with RabbitNode() as n:
        yield n


@pytest.fixture
def node(shared_node):
    # tests below restart / kill the shared node: make sure it runs
    return shared_node.start()


# -- tests ------------------------------------------------------------------

def test_oslo_notifier_to_listener(node):
    assert node.transport_url == 'rabbit://guest:guest@127.0.0.1:%d/' % node.port
    notify(node, TOPIC)
    info = node.wait_queue(QUEUE, lambda q: q is not None and q['messages'] == 1,
                           timeout=10)
    # amqp_durable_queues defaults to False: a transient queue, never
    # auto-deleted (it must keep notifications until someone consumes them)
    assert info == {'messages': 1, 'consumers': 0, 'durable': False,
                    'auto_delete': False}

    events = consume(node, TOPIC, expected=1)
    assert events == [('compute.host1', 'compute.instance.create.end',
                       {'instance_id': 'i-0'})]
    node.wait_queue(QUEUE, lambda q: q['messages'] == 0 and q['consumers'] == 0,
                    timeout=10)


def test_restart_keeps_durable_messages(node):
    # An exchange's durability is fixed by its first declaration: a
    # publisher with other settings gets PRECONDITION_FAILED, so each
    # setting gets its own exchange here ('nova' is transient since the
    # first test).
    durable_topic, transient_topic = 'durable_topic', 'transient_topic'
    notify(node, durable_topic, count=3, durable=True, exchange='nova_durable')
    notify(node, transient_topic, count=1, durable=False,
           exchange='nova_transient')
    node.wait_queue(durable_topic + '.info',
                    lambda q: q is not None and q['messages'] == 3, timeout=10)
    node.wait_queue(transient_topic + '.info',
                    lambda q: q is not None and q['messages'] == 1, timeout=10)
    ports = (node.port, node.dist_port, node.epmd_port)
    old_pids = node.pids()

    node.restart()

    assert (node.port, node.dist_port, node.epmd_port) == ports
    assert not wait_gone(old_pids)
    queues = node.queues()
    assert queues[durable_topic + '.info'] == {
        'messages': 3, 'consumers': 0, 'durable': True, 'auto_delete': False}
    # a non-durable queue does not survive a broker restart
    assert transient_topic + '.info' not in queues

    events = consume(node, durable_topic, expected=3, durable=True,
                     exchange='nova_durable')
    assert sorted(e[2]['instance_id'] for e in events) == ['i-0', 'i-1', 'i-2']
    node.wait_queue(durable_topic + '.info', lambda q: q['messages'] == 0,
                    timeout=10)


def test_kill_is_a_crash_and_start_recovers(node):
    notify(node, 'crash_topic', count=2, durable=True, exchange='nova_durable')
    node.wait_queue('crash_topic.info', lambda q: q and q['messages'] == 2,
                    timeout=10)
    pgid = node._pgid
    pids = node.pids()

    t0 = time.monotonic()
    node.kill()
    assert time.monotonic() - t0 < 5
    assert not node.running
    assert not wait_gone(pids, timeout=1)
    assert _pgid_members(pgid) == [] and node.pids() == []
    assert not port_listening(node.port)
    assert not port_listening(node.epmd_port)

    # after the crash, the same data dir recovers the durable queue
    node.start()
    info = node.wait_queue('crash_topic.info', lambda q: q is not None,
                           timeout=10)
    assert info['durable'] is True and info['messages'] == 2


def test_stop_leaves_no_process(tmp_path):
    # a caller's base_dir under pytest's 0700 tmp dirs works too
    base_dir = str(tmp_path / 'rabbit')
    with RabbitNode(base_dir=base_dir, name='stoptest') as n:
        assert n.nodename == 'stoptest@localhost'
        assert os.stat(base_dir).st_uid == n._uid
        pids = n.pids()
        # our epmd, the rabbitmq-server shell, beam.smp, erl_child_setup,
        # inet_gethost, the disk monitor's shell...
        names = {open('/proc/%d/comm' % p).read().strip() for p in pids}
        assert {'epmd', 'beam.smp', 'erl_child_setup'} <= names, names
        assert port_listening(n.epmd_port) and port_listening(n.port)

        n.stop()

        assert not wait_gone(pids, timeout=1)
        assert n.pids() == [] and not n.running
        assert not port_listening(n.port)
        assert not port_listening(n.epmd_port)
        assert n.last_stop_seconds < 15
        n.stop()     # idempotent
    # the caller's directory is left alone, with the node's log
    assert os.path.exists(os.path.join(base_dir, 'log', 'node.log'))


@pytest.mark.parametrize('which', ['amqp', 'epmd'])
def test_start_fails_fast_when_port_taken(which):
    n = RabbitNode()
    port = n.port if which == 'amqp' else n.epmd_port
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(('127.0.0.1', port))
    blocker.listen()     # it even accepts connections: no AMQP answer
    try:
        t0 = time.monotonic()
        with pytest.raises(RabbitStartError) as err:
            n.start(timeout=30)
        elapsed = time.monotonic() - t0
        assert elapsed < 20, elapsed
        assert n.pids() == [] and not n.running
        if which == 'amqp':
            # the node's own log explains why
            assert 'eaddrinuse' in str(err.value)
            assert n.nodename in str(err.value)
        else:
            assert 'epmd exited' in str(err.value)
            # rabbitmqctl against a node that is down fails (and, with
            # ERL_FLAGS=-start_epmd false, starts no epmd of its own)
            blocker.close()
            with pytest.raises(RabbitCtlError):
                n.ctl('status', timeout=15)
            assert not port_listening(n.epmd_port)
    finally:
        blocker.close()
        n.close()
    assert not os.path.exists(n.base_dir)


def test_atexit_stops_forgotten_node():
    code = (
        'from tests.fixtures.rabbitmq import RabbitNode\n'
        'n = RabbitNode().start()\n'
        'print(n.base_dir, *n.pids(), flush=True)\n'
        # exit without stop(): the atexit hook must clean up
    )
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    base_dir, *pids = proc.stdout.split()
    pids = [int(p) for p in pids]
    assert len(pids) >= 3
    assert not wait_gone(pids, timeout=2)
    assert not os.path.exists(base_dir)
