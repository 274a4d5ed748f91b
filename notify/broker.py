"""Direct RabbitMQ access for the debug dump and the dead-letter replay, built from
the same [DEFAULT]/[oslo_messaging_notifications] transport_url and
[oslo_messaging_rabbit] TLS and queue options oslo.messaging uses."""

import datetime
import functools
import json
import ssl
import urllib.parse
import uuid

import kombu
import oslo_messaging
from oslo_messaging import opts as messaging_opts

RABBIT = 'oslo_messaging_rabbit'
DEFAULT_PORT = 5672   # oslo.messaging's, with or without TLS


def transport_url(conf):
    """The notification transport, as oslo.messaging picks it."""
    url = oslo_messaging.TransportURL.parse(
        conf, conf.oslo_messaging_notifications.transport_url or conf.transport_url)
    if url.transport not in (None, 'rabbit', 'amqp', 'kombu'):
        raise SystemExit(f'only RabbitMQ transports are supported here, not {url.transport}')
    return url


@functools.lru_cache(maxsize=1)
def _rabbit_opts():
    return {opt.dest: opt for group, opts in messaging_opts.list_opts() if group == RABBIT
            for opt in opts}


def rabbit_option(conf, name, url=None):
    """An [oslo_messaging_rabbit] option as oslo.messaging reads it: a query parameter
    of the transport URL naming the option (``?ssl=1``) overrides the file."""
    url = url or transport_url(conf)
    value = getattr(conf[RABBIT], name)
    if name in url.query and name in _rabbit_opts():
        try:
            value = _rabbit_opts()[name].type(url.query[name])
        except ValueError as exc:
            raise SystemExit(f'transport_url query parameter {name}: {exc}') from None
    return value


def _ssl_options(conf, url):
    if not rabbit_option(conf, 'ssl', url):
        return False
    # Always verified: the chain (the system's CAs unless ssl_ca_file) and the
    # broker's name; server_hostname None makes kombu put in the host it connects to.
    options = {'cert_reqs': ssl.CERT_REQUIRED, 'server_hostname': None}
    for name, key in (('ssl_ca_file', 'ca_certs'), ('ssl_cert_file', 'certfile'),
                      ('ssl_key_file', 'keyfile')):
        value = rabbit_option(conf, name, url)
        if value:
            options[key] = value
    return options


def _quoted(text):
    return urllib.parse.quote(text, safe='')


def _amqp_url(host, virtual_host):
    """One host as a URL for kombu's failover list: every part percent-encoded
    (kombu decodes them), IPv6 literals in brackets."""
    hostname = host.hostname or 'localhost'
    if ':' in hostname:
        hostname = f'[{hostname}]'
    credentials = ''
    if host.username is not None or host.password is not None:
        credentials = f'{_quoted(host.username or "")}:{_quoted(host.password or "")}@'
    return (f'amqp://{credentials}{hostname}:{host.port or DEFAULT_PORT}/'
            f'{_quoted(virtual_host or "")}')


class _Connection(kombu.Connection):
    def switch(self, conn_str):
        """Fail over to another host: kombu writes the host it connected to into
        the TLS options; the next host's name must be checked, not the last one's."""
        super().switch(conn_str)
        if isinstance(self.ssl, dict):
            self.ssl = dict(self.ssl, server_hostname=None)


def connection(conf, confirm_publish=False):
    """A kombu connection to the notification broker, built from the transport
    URL's parts (never by pasting them into a URL): the first host, and every
    host in turn on failure, as oslo.messaging does."""
    url = transport_url(conf)
    hosts = url.hosts or [oslo_messaging.TransportHost(hostname='localhost')]
    first = hosts[0]
    return _Connection(
        hostname=first.hostname or 'localhost', port=first.port or DEFAULT_PORT,
        userid=first.username, password=first.password,
        virtual_host=url.virtual_host or None, transport='pyamqp',
        alternates=[_amqp_url(h, url.virtual_host) for h in hosts] if len(hosts) > 1 else None,
        failover_strategy=rabbit_option(conf, 'kombu_failover_strategy', url),
        login_method=rabbit_option(conf, 'rabbit_login_method', url),
        ssl=_ssl_options(conf, url), connect_timeout=10, heartbeat=0,
        transport_options={'confirm_publish': confirm_publish})


def durable(conf):
    url = transport_url(conf)
    return bool(rabbit_option(conf, 'amqp_durable_queues', url)
                or rabbit_option(conf, 'rabbit_quorum_queue', url))


def exchange(conf, name, channel=None):
    """The exchange nova/neutron publish on, declared as oslo.messaging declares it."""
    return kombu.Exchange(name, type='topic', channel=channel, durable=durable(conf),
                          auto_delete=rabbit_option(conf, 'amqp_auto_delete'))


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
