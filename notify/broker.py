"""Direct RabbitMQ access for the debug dump and the dead-letter replay, built from
the same [DEFAULT]/[oslo_messaging_notifications] transport_url and
[oslo_messaging_rabbit] TLS and queue options oslo.messaging uses."""

import datetime
import json
import ssl
import uuid

import kombu
import oslo_messaging


def _broker_urls(conf):
    # The notification transport, as oslo.messaging picks it.
    url = oslo_messaging.TransportURL.parse(
        conf, conf.oslo_messaging_notifications.transport_url or conf.transport_url)
    if url.transport not in (None, 'rabbit', 'amqp', 'kombu'):
        raise SystemExit(f'only RabbitMQ transports are supported here, not {url.transport}')
    vhost = url.virtual_host or ''
    hosts = url.hosts or [oslo_messaging.TransportHost(hostname='localhost', port=5672)]
    return ';'.join(
        'amqp://%s:%s@%s:%s/%s' % (h.username or 'guest', h.password or 'guest',
                                   h.hostname, h.port or 5672, vhost)
        for h in hosts)


def _ssl_options(conf):
    rabbit = conf.oslo_messaging_rabbit
    if not rabbit.ssl:
        return False
    options = {'cert_reqs': ssl.CERT_REQUIRED}
    if rabbit.ssl_ca_file:
        options['ca_certs'] = rabbit.ssl_ca_file
    if rabbit.ssl_cert_file:
        options['certfile'] = rabbit.ssl_cert_file
    if rabbit.ssl_key_file:
        options['keyfile'] = rabbit.ssl_key_file
    return options


def connection(conf, confirm_publish=False):
    return kombu.Connection(_broker_urls(conf), ssl=_ssl_options(conf), connect_timeout=10,
                            heartbeat=0,
                            transport_options={'confirm_publish': confirm_publish})


def durable(conf):
    rabbit = conf.oslo_messaging_rabbit
    return rabbit.amqp_durable_queues or rabbit.rabbit_quorum_queue


def exchange(conf, name, channel=None):
    """The exchange nova/neutron publish on, declared as oslo.messaging declares it."""
    return kombu.Exchange(name, type='topic', channel=channel, durable=durable(conf),
                          auto_delete=conf.oslo_messaging_rabbit.amqp_auto_delete)


def envelope(event_type, payload, publisher_id, priority, message_id=None):
    """A notification in oslo.messaging's messagingv2 wire format."""
    message = {
        'message_id': message_id or str(uuid.uuid4()),
        'publisher_id': publisher_id,
        'event_type': event_type,
        'priority': priority.upper(),
        'payload': payload,
        'timestamp': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M:%S.%f'),
    }
    return {'oslo.version': '2.0', 'oslo.message': json.dumps(message)}


class Publisher:
    """Publishes notifications with publisher confirms: ``publish`` returns only once
    the broker has taken the message, and raises otherwise."""

    def __init__(self, conf):
        self._conf = conf
        self._connection = connection(conf, confirm_publish=True)
        self._producer = None

    def publish(self, exchange_name, topic, event_type, payload, publisher_id, priority):
        if self._producer is None:
            self._producer = self._connection.Producer(serializer='json')
        self._producer.publish(
            envelope(event_type, payload, publisher_id, priority),
            exchange=exchange(self._conf, exchange_name), declare=[],
            routing_key=f'{topic}.{priority.lower()}', mandatory=True,
            delivery_mode=2 if durable(self._conf) else 1, retry=True,
            retry_policy={'max_retries': 3})

    def close(self):
        self._connection.release()
