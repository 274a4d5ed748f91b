"""The traffic of the benchmark: the cloud it plays (domain, zones, project,
image, publishers), notification bodies in oslo.messaging's messagingv2 envelope,
and the benchmark's own AMQP connection that preloads queues with raw publishes
and polls their depth."""

import datetime
import json
import time
import uuid

import amqp

from tests import harness, payloads

from bench.measure import ScenarioError, log

DOMAIN = harness.IPA_DOMAIN
ZONE = DOMAIN + '.'
# 198.18.0.0/15 is set aside for benchmarks (RFC 2544); the records only live in
# the emulator, nothing is ever sent to these addresses.
REVERSE_ZONE = '18.198.in-addr.arpa.'
PROJECT = 'b3e7c0ffee5a4d6e9b7c2f00d1e2f3a4'
IMAGE = '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f'
LEGACY_PUBLISHER = 'compute.compute-0'
VERSIONED_PUBLISHER = 'nova-compute:compute-0'
IGNORED_TYPES = ('compute.instance.update', 'compute.instance.exists', 'instance.update',
                 'compute.instance.power_off.end', 'instance.power_on.end')


# ---------------------------------------------------------------------------
# the bus: preloading with raw publishes in oslo's messagingv2 envelope

def envelope(event_type, payload, publisher_id, priority='INFO'):
    """A notification exactly as oslo.messaging's messagingv2 driver puts it on the
    wire (the same fields, the context packed as _context_* keys)."""
    message = {
        'message_id': str(uuid.uuid4()),
        'publisher_id': publisher_id,
        'event_type': event_type,
        'priority': priority,
        'payload': payload,
        'timestamp': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M:%S.%f'),
        '_unique_id': uuid.uuid4().hex,
        '_context_user_id': 'admin',
        '_context_project_id': 'service',
        '_context_request_id': 'req-' + str(uuid.uuid4()),
    }
    return json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps(message)})


class Bus:
    """One AMQP connection of the benchmark itself: raw publishes (fast preloading)
    and passive queue declarations (cheap queue depth polling)."""

    def __init__(self, rabbit):
        self.rabbit = rabbit
        self._conn = amqp.Connection(f'127.0.0.1:{rabbit.port}', userid='guest',
                                     password='guest', virtual_host='/', connect_timeout=10)
        self._conn.connect()
        self._pub = self._conn.channel()
        self._inspect = self._conn.channel()

    def close(self):
        try:
            self._conn.close()
        except Exception:
            pass

    def prime(self, topic):
        """Declare the topic's queue as nova does: one notification sent with
        oslo.messaging's own Notifier (an ignored event type)."""
        publisher = harness.Publisher(self.rabbit.transport_url, 'nova', topic,
                                      publisher_id=LEGACY_PUBLISHER)
        try:
            publisher.send('compute.instance.exists', {'instance_id': str(uuid.uuid4()),
                                                        'state': 'active'})
        finally:
            publisher.close()

    def publish(self, topic, bodies, exchange='nova'):
        """Publish pre-built bodies to <topic>.info; returns how many."""
        count = 0
        routing_key = f'{topic}.info'
        for body in bodies:
            self._pub.basic_publish(
                amqp.Message(body, content_type='application/json', content_encoding='utf-8',
                             delivery_mode=2),
                exchange=exchange, routing_key=routing_key)
            count += 1
        return count

    def depth(self, queue):
        """(messages ready, consumers) of a queue, or None when it does not exist."""
        try:
            ok = self._inspect.queue_declare(queue=queue, passive=True)
        except amqp.exceptions.NotFound:
            self._inspect = self._conn.channel()
            return None
        return ok.message_count, ok.consumer_count

    def wait_depth(self, queue, predicate, timeout, what, interval=0.05):
        deadline = time.monotonic() + timeout
        while True:
            info = self.depth(queue)
            if predicate(info):
                return info
            if time.monotonic() > deadline:
                raise ScenarioError(f'{what}: not reached after {timeout:.0f}s '
                                    f'(queue {queue}: {info})')
            time.sleep(interval)


# ---------------------------------------------------------------------------
# notifications

class Host:
    __slots__ = ('name', 'fqdn', 'ip')

    def __init__(self, name, fqdn, ip):
        self.name, self.fqdn, self.ip = name, fqdn, ip


class Payloads:
    """Builders of the notification bodies of the benchmark."""

    def __init__(self):
        _, self.legacy = payloads.legacy_delete(str(uuid.uuid4()), 'busy-1', PROJECT,
                                                image_id=IMAGE, addresses=['198.18.255.1'])
        self.legacy = dict(self.legacy, state='active', state_description='')
        try:
            _, self.versioned = payloads.versioned_delete(str(uuid.uuid4()), 'busy-2',
                                                          PROJECT, image_id=IMAGE)
        except Exception as exc:   # tests/fixtures/samples unreadable: legacy payloads only
            log(f'note: nova versioned samples not available ({exc}); legacy payloads only')
            self.versioned = None
        self._n = 0

    def ignored(self):
        """The next notification the daemon must skip (event types in turn)."""
        self._n += 1
        event_type = IGNORED_TYPES[self._n % len(IGNORED_TYPES)]
        if event_type.startswith('compute.') or self.versioned is None:
            return envelope(event_type, self.legacy, LEGACY_PUBLISHER)
        return envelope(event_type, self.versioned, VERSIONED_PUBLISHER)

    def delete(self, host, versioned=False):
        """The delete of an enrolled instance: legacy, enrolled by metadata; or
        versioned, enrolled by its glance image."""
        if versioned and self.versioned is not None:
            event_type, payload = payloads.versioned_delete(
                str(uuid.uuid4()), host.name, PROJECT, image_id=IMAGE, addresses=[host.ip])
            return envelope(event_type, payload, VERSIONED_PUBLISHER)
        event_type, payload = payloads.legacy_delete(
            str(uuid.uuid4()), host.name, PROJECT, metadata={'ipa_enroll': 'true'},
            image_id=IMAGE, addresses=[host.ip])
        return envelope(event_type, payload, LEGACY_PUBLISHER)
