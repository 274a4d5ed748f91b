"""Redeliveries: a message handled before and delivered again after a broker
restart is acknowledged; RabbitMQ's delivery count (quorum queues) carries the
[dead_letter] rounds over a restart of the daemon."""

import json
import logging

import pytest
from oslo_messaging._drivers import amqpdriver, impl_rabbit
from oslo_messaging._drivers import common as rpc_common

from notify import compat, endpoint, service
from notify.deadletter import Spool
from notify.events import InstanceDeleted
from notify.handlers import Handler
from notify.watchdog import Deliveries
from tests import payloads


class Channel:
    is_open = True


class RawMessage:
    """The kombu message fields oslo.messaging and the daemon use."""

    def __init__(self, body, headers=None):
        self.payload = body
        self.headers = headers or {}
        self.channel = Channel()
        self.acks = self.requeues = 0

    @property
    def acknowledged(self):
        return bool(self.acks or self.requeues)

    def ack(self):
        self.acks += 1

    def requeue(self):
        self.requeues += 1


def body(unique_id='u-1', message_id='m-1'):
    event_type, payload = payloads.legacy_delete('i-1', 'web1', 'p')
    return rpc_common.serialize_msg({
        '_unique_id': unique_id, 'message_id': message_id, 'event_type': event_type,
        'priority': 'INFO', 'publisher_id': 'compute.host1', 'payload': payload,
        'timestamp': '2026-11-22 10:00:00.000000', '_context_user_id': 'u'})


class Driver:
    prefetch_size = 1


@pytest.fixture
def hooked():
    deliveries = Deliveries()
    compat.install_listener_hook(deliveries)
    yield deliveries
    compat.uninstall_listener_hook()


def deliver(listener, raw):
    listener(impl_rabbit.RabbitMessage(raw))


def handle_and_ack(listener):
    incoming = listener.incoming.pop(0)
    incoming.acknowledge()
    listener._message_operations_handler.process()   # the polling thread's turn
    return incoming


def test_a_handled_message_delivered_again_is_acknowledged(hooked, caplog):
    listener = amqpdriver.NotificationAMQPListener(Driver(), None)
    first = RawMessage(json.loads(json.dumps(body())))
    deliver(listener, first)
    assert len(listener.incoming) == 1 and len(hooked) == 1
    handle_and_ack(listener)
    assert first.acks == 1 and len(hooked) == 0
    # The broker restarted before it had the ack: the same message comes back.
    again = RawMessage(json.loads(json.dumps(body())))
    with caplog.at_level(logging.INFO, logger='notify'):
        deliver(listener, again)
    assert listener.incoming == [], 'handled twice'
    assert again.acks == 1, 'a redelivered duplicate stays unacknowledged'
    assert 'delivered again after it was handled' in caplog.text and 'm-1' in caplog.text
    assert len(hooked) == 0


def test_a_message_handed_back_is_not_a_duplicate(hooked):
    listener = amqpdriver.NotificationAMQPListener(Driver(), None)
    deliver(listener, RawMessage(body()))
    incoming = listener.incoming.pop(0)
    incoming.requeue()
    listener._message_operations_handler.process()
    deliver(listener, RawMessage(body()))
    assert len(listener.incoming) == 1, 'a handed-back message must be handled again'


def test_oslo_messaging_alone_leaves_the_duplicate_unacknowledged():
    """The mechanism the hook works around (oslo.messaging 18.3.1); when this
    fails, oslo.messaging acknowledges duplicates itself and the hook can go."""
    compat.uninstall_listener_hook()
    listener = amqpdriver.NotificationAMQPListener(Driver(), None)
    deliver(listener, RawMessage(body()))
    handle_and_ack(listener)
    again = RawMessage(body())
    deliver(listener, again)
    assert listener.incoming == [] and again.acks == 0


# -- the delivery count ---------------------------------------------------------

class Broken(Handler):
    events = (InstanceDeleted,)

    def handle(self, event):
        raise RuntimeError('a bug')


class Incoming:
    def __init__(self, raw):
        self.ctxt = {}
        self.message = impl_rabbit.RabbitMessage(raw)


def dispatch(tmp_path, headers):
    policy = endpoint.RetryPolicy(attempts=1, requeue_delay=0, max_unexpected=5)
    ep = endpoint.NotificationEndpoint([Broken()], policy=policy,
                                       spool=Spool(str(tmp_path / 'failed')),
                                       sleep=lambda s: None)
    deliveries = Deliveries()
    raw = RawMessage(body(), headers)
    deliveries.delivered(raw)
    result = service.Dispatcher([ep], deliveries).dispatch(Incoming(raw))
    return result, Spool(str(tmp_path / 'failed')).paths()


def test_delivery_count_carries_rounds_over_a_restart(tmp_path):
    assert compat.delivery_count(Incoming(RawMessage(body(), {'x-delivery-count': 4}))) == 4
    # Four deliveries before (by an earlier run of the daemon): this is round 5.
    result, spooled = dispatch(tmp_path / 'a', {'x-delivery-count': 4})
    assert result == endpoint.HANDLED and len(spooled) == 1
    # Without the header (classic queues) the count starts in this process.
    result, spooled = dispatch(tmp_path / 'b', {})
    assert result == endpoint.REQUEUE and spooled == []


@pytest.mark.parametrize('value', [True, -1, '4', None, 4.0])
def test_odd_delivery_counts_are_ignored(value):
    assert compat.delivery_count(Incoming(RawMessage(body(), {'x-delivery-count': value}))) \
        is None
