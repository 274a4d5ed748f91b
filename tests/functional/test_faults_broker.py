"""Fault tests: the broker restarted under a running daemon (durable queues).

Every message must end acknowledged without restarting the daemon: after a
restart RabbitMQ redelivers what the daemon had not acknowledged, and messages
whose acknowledgement was lost with the connection come back too (oslo.messaging
recognises them and, unhelped, leaves them unacknowledged for good). Figures go
to the session's fault report, like the other tests/functional/test_faults_*.py.
"""

import time

from tests import harness
from tests.functional import faults_lib
from tests.functional.faults_lib import (Workload, duplicates, fast_retries, publish,
                                         queue_messages, wait_all_removed)
from tests.harness import wait_for

_secrets_in_every_output = faults_lib.secrets_in_every_output   # autouse

REDELIVERED = 'delivered again after it was handled'


def unacked(rabbit, topic):
    """Messages of the daemon's queue delivered and not acknowledged, per RabbitMQ."""
    out = rabbit.ctl('list_queues', '--no-table-headers', 'name', 'messages_unacknowledged')
    for line in out.splitlines():
        name, _, count = line.rpartition('\t')
        if name == f'{topic}.info':
            return int(count)
    return None


def settled(rabbit, topic, timeout):
    """Wait until the queue holds nothing, ready or unacknowledged; what is left."""
    try:
        rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0,
                          timeout=timeout)
    except TimeoutError:
        pass
    return queue_messages(rabbit, topic), unacked(rabbit, topic)


class Aftermath:
    """After the restarts: every host removed, the queue settled; what the daemon
    and RabbitMQ show then."""

    def __init__(self, work, daemon, rabbit, topic):
        wait_all_removed(work, timeout=120)
        self.lost = work.lost()
        self.left, self.left_unacked = settled(rabbit, topic, timeout=20)
        log = daemon.log()
        self.alive = daemon.process.poll() is None
        self.reconnects = log.count('Reconnected to AMQP server')
        self.redelivered = log.count(REDELIVERED)

    def summary(self):
        return (f'reconnects {self.reconnects}; left in the queue {self.left} '
                f'({self.left_unacked} unacked) without a daemon restart; acknowledged '
                f'when delivered again {self.redelivered}')

    def check(self, restarts):
        assert self.alive, 'the daemon died'
        assert self.lost == [], f'{len(self.lost)} hosts not removed, e.g. {self.lost[:5]}'
        assert self.reconnects >= restarts
        assert (self.left, self.left_unacked) == (0, 0), 'messages left unacknowledged'


def durable_daemon(start_daemon, rabbit, topic, tmp_path):
    # Exchanges of the test's own: the durability of an exchange is fixed when it is
    # first declared, and the shared broker already has non-durable 'nova'/'neutron'.
    nova_x, neutron_x = f'nova_d_{topic}', f'neutron_d_{topic}'
    extra = fast_retries(tmp_path) + (
        f'[listener]\nnova_exchange = {nova_x}\nneutron_exchange = {neutron_x}\n'
        '[oslo_messaging_rabbit]\namqp_durable_queues = True\n'
        '[DEFAULT]\ndebug = False\n')
    daemon = start_daemon(extra=extra)
    assert rabbit.queues()[f'{topic}.info']['durable']
    return daemon, harness.Publisher(rabbit.transport_url, nova_x, topic, durable=True)


# ---------------------------------------------------------------------------
# broker restarted in the middle of 1000 deletes

def test_broker_restart(start_daemon, ipa, cloud, rabbit, topic, tmp_path, fault_report):
    work = Workload(ipa, cloud, 'br').enrolled(1000)
    daemon, publisher = durable_daemon(start_daemon, rabbit, topic, tmp_path)
    # Slow IPA and nova so that the restart finds messages in flight and queued.
    ipa.latency, cloud.latency = 0.5, 0.3
    try:
        publish(publisher, work.events[:500])
        wait_for(lambda: work.gone() >= 50, timeout=60, interval=0.1, what='50 removed')
        t0 = time.monotonic()
        rabbit.restart()
        restart_s = time.monotonic() - t0
        gone_at_restart = work.gone()
        queued_after_restart = queue_messages(rabbit, topic)
        ipa.latency = cloud.latency = 0
        publish(publisher, work.events[500:])
    finally:
        ipa.latency = cloud.latency = 0
        publisher.close()
    after = Aftermath(work, daemon, rabbit, topic)
    fault_report.record(
        'broker_restart', events=len(work.events), faults=f'broker restart ({restart_s:.1f}s)',
        lost=len(after.lost), wrong=0, duplicates=duplicates(ipa),
        extra=f'{gone_at_restart}/500 done at restart, {queued_after_restart} kept in the '
              f'queue; {after.summary()}')
    after.check(restarts=1)
    assert gone_at_restart < 500 and queued_after_restart, \
        'test too slow to matter: nothing was waiting when the broker restarted'


# ---------------------------------------------------------------------------
# three broker restarts in a row during a burst, the daemon never restarted

def test_broker_restarts_x3(start_daemon, ipa, cloud, rabbit, topic, tmp_path,
                            fault_report):
    work = Workload(ipa, cloud, 'b3').enrolled(600)
    daemon, publisher = durable_daemon(start_daemon, rabbit, topic, tmp_path)
    ipa.latency, cloud.latency = 0.3, 0.2
    at_restart, restart_s, published = [], [], 0
    try:
        for round_ in range(3):
            chunk = work.events[200 * round_:200 * (round_ + 1)]
            publish(publisher, chunk)
            published += len(chunk)
            start = work.gone()
            wait_for(lambda: work.gone() >= start + 30, timeout=90, interval=0.1,
                     what=f'progress before restart {round_ + 1}')
            at_restart.append(f'{work.gone()}/{published}')
            t0 = time.monotonic()
            rabbit.restart()
            restart_s.append(time.monotonic() - t0)
    finally:
        ipa.latency = cloud.latency = 0
        publisher.close()
    after = Aftermath(work, daemon, rabbit, topic)
    fault_report.record(
        'broker_restarts_x3', events=len(work.events),
        faults='3 broker restarts (' + ', '.join(f'{s:.0f}s' for s in restart_s) + ')',
        lost=len(after.lost), wrong=0, duplicates=duplicates(ipa),
        extra=f'done/published at each restart {at_restart}; {after.summary()}')
    after.check(restarts=3)
    assert all(int(done) < int(sent) for done, sent in (a.split('/') for a in at_restart)), \
        f'a restart found nothing outstanding: {at_restart}'


# ---------------------------------------------------------------------------
# a quorum queue's delivery count reaches the endpoint's metadata

def test_quorum_queue_delivery_count_reaches_the_daemon(rabbit, topic):
    import kombu
    from oslo_messaging._drivers import impl_rabbit
    from oslo_messaging._drivers import common as rpc_common

    from notify import compat

    class Incoming:
        def __init__(self, raw):
            self.message = impl_rabbit.RabbitMessage(raw)

    url = rabbit.transport_url.replace('rabbit://', 'amqp://', 1)
    queue = kombu.Queue(f'{topic}.quorum', durable=True,
                        queue_arguments={'x-queue-type': 'quorum'})
    counts = []
    with kombu.Connection(url, connect_timeout=10) as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()
        try:
            connection.Producer(channel).publish(
                rpc_common.serialize_msg({'event_type': 'x', 'payload': {}}),
                routing_key=queue.name, exchange='', serializer='json', delivery_mode=2)
            for _ in range(3):   # delivered, handed back, delivered again...
                raw = wait_for(lambda: bound.get(no_ack=False), timeout=10,
                               what='the message')
                counts.append(compat.delivery_count(Incoming(raw)))
                raw.requeue()
        finally:
            bound.delete()
    # The first delivery has no header or 0, depending on the RabbitMQ version.
    assert counts[0] in (None, 0) and counts[1:] == [1, 2], counts
