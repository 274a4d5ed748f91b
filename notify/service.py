"""Assemble the daemon from its configuration and run it until a signal stops it."""

import logging
import signal
import threading

import oslo_messaging
from oslo_messaging.notify import listener as notify_listener

from notify.adapters import openstack
from notify.adapters.ipa import IPAClient
from notify.adapters.ipa_dns import IPADns
from notify.endpoint import NotificationEndpoint, SafeNotificationDispatcher
from notify.handlers.common import Enrollment, InstanceNaming
from notify.handlers.floating_ip import FloatingIPHandler
from notify.handlers.instance import InstanceDeleteHandler

LOG = logging.getLogger(__name__)


class OneLineDrops(logging.Filter):
    """oslo.messaging logs a body it cannot decode (not JSON, no envelope) with a
    traceback, then drops it; say it in one line instead."""

    def filter(self, record):
        if record.exc_info and 'skipping it' in str(record.msg):
            exc = record.exc_info[1]
            record.msg = ('dropping a message that is not a readable notification '
                          '(%s: %s)')
            record.args = (type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc)
                           else '')
            record.exc_info = None
            record.exc_text = None
        return True


def install_log_filters():
    logging.getLogger('oslo_messaging._drivers.impl_rabbit').addFilter(OneLineDrops())


def build_handlers(conf):
    sc, cache = conf.service_credentials, conf.cache
    session = openstack.load_session(conf)
    keystone = None
    if conf.ipa.project_subdomain:
        keystone = openstack.Keystone(session, sc.interface, sc.region_name,
                                      cache.ttl, cache.size)
    ipa = IPAClient(conf.ipa.server, conf.ipa.ca_cert, conf.ipa.username,
                    conf.ipa.password, timeout=conf.ipa.timeout,
                    max_connections=conf.ipa.max_connections)
    dns = IPADns(ipa, zone_ttl=cache.ttl, record_ttl=conf.dns.ttl)
    nova = openstack.Nova(session, sc.interface, sc.region_name)
    glance = openstack.Glance(session, sc.interface, sc.region_name, cache.ttl, cache.size)
    naming = InstanceNaming(conf.ipa.domain, keystone)
    enrollment = Enrollment(glance)
    handlers = [InstanceDeleteHandler(ipa, dns, nova, enrollment, naming)]
    if conf.dns.manage_floating_ips:
        neutron = openstack.Neutron(session, sc.interface, sc.region_name)
        handlers.append(FloatingIPHandler(dns, nova, neutron, enrollment, naming,
                                          manage_ptr=conf.dns.manage_ptr))
    return handlers


def targets(conf):
    """Every configured topic, on both nova's and neutron's exchange."""
    listener = conf.listener
    exchanges = dict.fromkeys([listener.nova_exchange, listener.neutron_exchange])
    return [oslo_messaging.Target(topic=topic, exchange=exchange)
            for topic in listener.topics for exchange in exchanges]


def build_server(conf, transport, endpoints):
    dispatcher = SafeNotificationDispatcher(endpoints, serializer=None)
    return notify_listener.NotificationServer(
        transport, targets(conf), dispatcher, executor='threading',
        allow_requeue=True, pool=conf.listener.pool)


def run(conf, handlers=None):
    """Consume notifications until SIGTERM or SIGINT; returns the exit status."""
    install_log_filters()
    handlers = build_handlers(conf) if handlers is None else handlers
    endpoint = NotificationEndpoint(handlers, requeue_delay=conf.listener.requeue_delay)
    transport = oslo_messaging.get_notification_transport(conf)
    server = build_server(conf, transport, [endpoint])

    stopping = threading.Event()

    def on_signal(signum, frame):
        LOG.info('received %s, stopping', signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server.start()
    LOG.info('listening on topics %s (exchanges %s)%s',
             ', '.join(conf.listener.topics),
             ', '.join(sorted({t.exchange for t in targets(conf)})),
             f', pool {conf.listener.pool}' if conf.listener.pool else '')
    while not stopping.wait(1.0):
        pass

    server.stop()
    finished = threading.Thread(target=server.wait, name='listener-wait', daemon=True)
    finished.start()
    finished.join(conf.listener.shutdown_timeout)
    if finished.is_alive():
        LOG.warning('in-flight notifications did not finish within %.0fs; the broker '
                    'redelivers what was not acknowledged', conf.listener.shutdown_timeout)
    else:
        transport.cleanup()
    LOG.info('stopped')
    return 0
