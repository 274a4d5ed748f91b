"""Debug mode: print every notification on the configured topics, act on none.

The dump listens through a queue of its own: exclusive to its connection and
deleted by the broker when that connection goes, even if the process is killed.
Bound to the same exchanges and topics as the daemon (every priority), it gets a
copy of each notification, so it takes nothing away from a running daemon and
leaves no queue behind.
"""

import json
import logging
import os
import signal
import socket
import sys
import threading
import uuid

import kombu
from amqp import exceptions as amqp_exc

from notify import broker
from notify.redact import redact

LOG = logging.getLogger(__name__)

OSLO_ENVELOPE = 'oslo.message'
CONTEXT_PREFIX = '_context_'


class Unparsed(str):
    """Text that is not JSON, shown as it came."""


def unwrap(body):
    """The oslo message inside an AMQP body (messagingv2 wraps it as a JSON string)."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode('utf-8', 'replace')
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return Unparsed(body)
    if isinstance(body, dict) and isinstance(body.get(OSLO_ENVELOPE), str):
        try:
            body = json.loads(body[OSLO_ENVELOPE])
        except ValueError:
            return Unparsed(body[OSLO_ENVELOPE])
    return body


def render(body, exchange, routing_key):
    """The pretty, redacted form of one notification."""
    message = unwrap(body)
    if not isinstance(message, dict):
        return redact({'exchange': exchange, 'routing_key': routing_key,
                       'unparsed_body': message})
    context = {k[len(CONTEXT_PREFIX):]: v for k, v in message.items()
               if k.startswith(CONTEXT_PREFIX)}
    shown = {
        'exchange': exchange,
        'routing_key': routing_key,
        'event_type': message.get('event_type'),
        'publisher_id': message.get('publisher_id'),
        'priority': message.get('priority'),
        'message_id': message.get('message_id'),
        'timestamp': message.get('timestamp'),
        'payload': message.get('payload'),
        'context': context,
    }
    extra = {k: v for k, v in message.items()
             if k not in shown and not k.startswith(CONTEXT_PREFIX)}
    if extra:
        shown['other_fields'] = extra
    return redact(shown)


def dump(conf, out=None, max_messages=None, stop_event=None):
    """Print notifications until interrupted (or ``max_messages`` were printed)."""
    out = out or sys.stdout
    if stop_event is None:
        stop_event = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop_event.set())
    listener = conf.listener
    exchanges = sorted({listener.nova_exchange, listener.neutron_exchange})
    queue_name = 'novajoin-notify-dump.%s.%d.%s' % (socket.gethostname(), os.getpid(),
                                                    uuid.uuid4().hex[:8])
    printed = 0
    with broker.connection(conf) as connection:
        channel = connection.channel()
        bindings = []
        for name in exchanges:
            exchange = broker.exchange(conf, name, channel)
            exchange.declare()
            for topic in listener.topics:
                bindings.append(kombu.binding(exchange, routing_key=f'{topic}.*'))
        queue = kombu.Queue(queue_name, bindings=bindings, exclusive=True,
                            auto_delete=True, durable=False, channel=channel)
        queue.declare()
        LOG.info('dump: listening on exchanges %s, topics %s (queue %s); nothing is '
                 'acted on', ', '.join(exchanges), ', '.join(listener.topics), queue_name)

        def on_message(message):
            # The raw body, decoded here as JSON only: never let kombu pick a
            # deserialiser from the sender's content type.
            nonlocal printed
            info = message.delivery_info or {}
            shown = render(message.body, info.get('exchange'), info.get('routing_key'))
            out.write(json.dumps(shown, indent=2, sort_keys=True, default=str) + '\n')
            out.flush()
            printed += 1

        with kombu.Consumer(channel, queues=[queue], on_message=on_message, no_ack=True):
            while max_messages is None or printed < max_messages:
                if stop_event.is_set():
                    break
                try:
                    connection.drain_events(timeout=0.5)
                except socket.timeout:
                    continue
                except amqp_exc.ConnectionForced:
                    LOG.error('dump: the broker closed the connection')
                    return 1
    return 0
