"""Assemble the daemon from its configuration and run it until a signal stops it."""

import logging
import os
import signal
import threading

import oslo_messaging
import sdnotify
from oslo_messaging.notify import listener as notify_listener

from notify import compat
from notify.adapters import openstack
from notify.adapters.ipa import IPAClient
from notify.adapters.ipa_dns import IPADns
from notify.deadletter import Spool
from notify.endpoint import NotificationEndpoint, RetryPolicy, SafeNotificationDispatcher
from notify.handlers.common import Enrollment, InstanceNaming
from notify.handlers.floating_ip import FloatingIPHandler
from notify.handlers.instance import InstanceDeleteHandler
from notify.locks import KeyedLock
from notify.watchdog import Deliveries, Watchdog

LOG = logging.getLogger(__name__)


class OneLineDrops(logging.Filter):
    """oslo.messaging logs, with a traceback, a body it cannot decode (then drops
    it) and a redelivered message it has seen before (then ignores it); say each
    in one line instead."""

    REWRITES = {
        'skipping it': 'dropping a message that is not a readable notification (%s: %s)',
        'ignoring duplicate message': 'ignoring a message delivered twice (%s: %s)',
    }

    def filter(self, record):
        if not record.exc_info:
            return True
        for marker, text in self.REWRITES.items():
            if marker in str(record.msg):
                exc = record.exc_info[1]
                first = str(exc).splitlines()[0] if str(exc) else ''
                record.msg, record.args = text, (type(exc).__name__, first[:200])
                record.exc_info = record.exc_text = None
        return True


def install_log_filters():
    # oslo.log names oslo.messaging's loggers "oslo.messaging..." (not "oslo_messaging").
    for name in ('oslo.messaging._drivers.impl_rabbit', 'oslo.messaging._drivers.amqpdriver',
                 'oslo_messaging._drivers.impl_rabbit', 'oslo_messaging._drivers.amqpdriver'):
        logging.getLogger(name).addFilter(OneLineDrops())


def build_handlers(conf, dry_run=False):
    sc, cache = conf.service_credentials, conf.cache
    session = openstack.load_session(conf, pool_size=conf.executor_thread_pool_size)
    keystone = None
    if conf.ipa.project_subdomain:
        keystone = openstack.Keystone(session, sc.interface, sc.region_name,
                                      cache.ttl, cache.size)
    ipa = IPAClient(conf.ipa.server, conf.ipa.ca_cert, conf.ipa.username,
                    conf.ipa.password, timeout=conf.ipa.timeout,
                    max_connections=conf.ipa.max_connections, dry_run=dry_run,
                    batch_window=conf.ipa.batch_window, batch_size=conf.ipa.batch_size,
                    batch_max_writes=conf.ipa.batch_max_writes)
    dns = IPADns(ipa, zone_ttl=cache.ttl, record_ttl=conf.dns.ttl)
    nova = openstack.Nova(session, sc.interface, sc.region_name,
                          batch_window=conf.listener.lookup_batch_window,
                          batch_size=conf.ipa.batch_size)
    glance = openstack.Glance(session, sc.interface, sc.region_name, cache.ttl, cache.size)
    naming = InstanceNaming(conf.ipa.domain, keystone)
    enrollment = Enrollment(glance)
    locks = KeyedLock()
    handlers = [InstanceDeleteHandler(ipa, dns, nova, enrollment, naming, locks)]
    if conf.dns.manage_floating_ips:
        neutron = openstack.Neutron(session, sc.interface, sc.region_name)
        handlers.append(FloatingIPHandler(dns, nova, neutron, enrollment, naming, locks,
                                          manage_ptr=conf.dns.manage_ptr))
    return handlers


def build_endpoint(conf, handlers):
    listener, dead = conf.listener, conf.dead_letter
    policy = RetryPolicy(attempts=listener.retry_attempts,
                         initial_delay=listener.retry_initial_delay,
                         max_delay=listener.retry_max_delay,
                         requeue_delay=listener.requeue_delay,
                         max_unexpected=dead.max_attempts,
                         transient_timeout=dead.transient_timeout)
    return NotificationEndpoint(
        handlers, policy=policy, spool=Spool(dead.spool_dir),
        exchanges={'nova': listener.nova_exchange, 'neutron': listener.neutron_exchange})


def targets(conf):
    """Every configured topic, on both nova's and neutron's exchange."""
    listener = conf.listener
    exchanges = dict.fromkeys([listener.nova_exchange, listener.neutron_exchange])
    return [oslo_messaging.Target(topic=topic, exchange=exchange)
            for topic in listener.topics for exchange in exchanges]


class Dispatcher(compat.DeliveryCountMixin, SafeNotificationDispatcher):
    """The endpoint's dispatcher, telling ``deliveries`` which message a handler
    has, and RabbitMQ's delivery count (quorum queues) to the endpoint."""

    def __init__(self, endpoints, deliveries=None):
        super().__init__(endpoints, serializer=None)
        self._deliveries = deliveries

    def dispatch(self, incoming):
        raw = compat.raw_delivery(incoming) if self._deliveries is not None else None
        if raw is not None:
            self._deliveries.entered(raw)
        try:
            return super().dispatch(incoming)
        finally:
            if raw is not None:
                self._deliveries.left(raw)


def build_server(conf, transport, endpoints, listen_on, deliveries=None):
    dispatcher = Dispatcher(endpoints, deliveries)
    return notify_listener.NotificationServer(
        transport, listen_on, dispatcher, executor='threading',
        allow_requeue=True, pool=conf.listener.pool)


class Systemd:
    """sd_notify: READY, STOPPING, STATUS and watchdog pings, when run by systemd."""

    def __init__(self):
        self._notifier = sdnotify.SystemdNotifier() if os.environ.get('NOTIFY_SOCKET') \
            else None
        usec = os.environ.get('WATCHDOG_USEC', '')
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and int(usec) else None

    def notify(self, *lines):
        if self._notifier is not None:
            self._notifier.notify('\n'.join(lines))


def run(conf, handlers=None, dry_run=False):
    """Consume notifications until SIGTERM or SIGINT; returns the exit status."""
    install_log_filters()
    handlers = build_handlers(conf, dry_run) if handlers is None else handlers
    endpoint = build_endpoint(conf, handlers)
    transport = oslo_messaging.get_notification_transport(conf)
    listen_on = targets(conf)
    deliveries = Deliveries()
    compat.install_listener_hook(deliveries)
    server = build_server(conf, transport, [endpoint], listen_on, deliveries)
    systemd = Systemd()
    watchdog = Watchdog(endpoint.progress, deliveries, conf.listener.watchdog_stall,
                        conf.executor_thread_pool_size)

    stopping = threading.Event()

    def on_signal(signum, frame):
        LOG.info('received %s, stopping', signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server.start()
    LOG.info('listening on topics %s (exchanges %s)%s%s',
             ', '.join(conf.listener.topics),
             ', '.join(sorted({t.exchange for t in listen_on})),
             f', pool {conf.listener.pool}' if conf.listener.pool else '',
             ', DRY RUN: IPA is not changed' if dry_run else '')
    systemd.notify('READY=1', 'STATUS=listening')
    tick = min(1.0, systemd.watchdog_interval or 1.0)
    stalled_said = False
    while not stopping.wait(tick):
        problem = watchdog.problem()
        if problem is None:
            systemd.notify('WATCHDOG=1')
            stalled_said = False
        elif not stalled_said:
            stalled_said = True
            LOG.error('%s; no longer pinging the systemd watchdog', problem)

    systemd.notify('STOPPING=1', 'STATUS=stopping')
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
