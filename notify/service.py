"""Assemble the daemon from its configuration and run it until a signal stops it."""

import logging
import os
import signal
import threading

import oslo_messaging
import sdnotify
from oslo_messaging.notify import listener as notify_listener

from notify import compat, decide, http, metrics
from notify import handlers as plugins
from notify.adapters import openstack
from notify.adapters.ipa import IPAClient
from notify.adapters.ipa_dns import IPADns
from notify.adapters.ipa_hosts import IPAHosts
from notify.coordination import make_locks
from notify.deadletter import Spool
from notify.endpoint import NotificationEndpoint, RetryPolicy, SafeNotificationDispatcher
from notify.handlers.common import Enrollment, InstanceNaming
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


def protection(conf):
    """The operator's safety settings, for the removal rules."""
    return decide.Protection.from_lists(conf.ipa.enrollment_markers,
                                        conf.ipa.protected_hostgroups,
                                        conf.ipa.protected_hosts)


def build_shared(conf, dry_run=False, locks=None):
    """The adapters every handler plugin may use, built once (notify.handlers.Shared)."""
    sc, cache = conf.service_credentials, conf.cache
    session = openstack.load_session(conf, pool_size=conf.executor_thread_pool_size)
    keystone = None
    if conf.ipa.project_subdomain:
        keystone = openstack.Keystone(session, sc.interface, sc.region_name,
                                      cache.ttl, cache.size)
    ipa = IPAClient.from_config(conf, dry_run=dry_run)
    metrics.watch_ipa_cost(ipa.cost)
    dns = IPADns(ipa, zone_ttl=cache.ttl, record_ttl=conf.dns.ttl)
    hosts = IPAHosts(ipa)
    nova = openstack.Nova(session, sc.interface, sc.region_name,
                          batch_window=conf.listener.lookup_batch_window,
                          batch_size=conf.ipa.batch_size)
    glance = openstack.Glance(session, sc.interface, sc.region_name, cache.ttl, cache.size)
    naming = InstanceNaming(conf.ipa.domain, keystone)
    enrollment = Enrollment(glance)
    if locks is None:
        locks = make_locks(conf.coordination.backend_url, conf.coordination.lock_timeout)
    neutron = openstack.Neutron(session, sc.interface, sc.region_name)
    return plugins.Shared(nova=nova, glance=glance, keystone=keystone, neutron=neutron,
                          ipa=ipa, dns=dns, naming=naming, enrollment=enrollment,
                          locks=locks, hosts=hosts, protection=protection(conf),
                          session=session, dry_run=dry_run)


def build_handlers(conf, dry_run=False, locks=None):
    """Every enabled handler: each plugin of the entry-point group
    novajoin_notify.handlers is asked through its from_config factory."""
    return plugins.load(conf, build_shared(conf, dry_run, locks))


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


def start_periodic_audit(conf, dry_run, locks):
    """The background audit of [audit] interval, or None when it is off."""
    if not conf.audit.interval:
        return None
    from notify.audit.build import build_audit
    from notify.audit.periodic import PeriodicAudit
    from notify.audit.report import record_metrics
    if locks is None:
        locks = make_locks(conf.coordination.backend_url, conf.coordination.lock_timeout)
    rules = protection(conf)
    LOG.info('periodic audit every %ds (%s)', conf.audit.interval,
             'removing what it finds' if conf.audit.apply else 'report only')
    return PeriodicAudit(lambda: build_audit(conf, rules, dry_run=dry_run, locks=locks),
                         conf.audit.interval, conf.audit.apply, locks.try_lock,
                         on_result=lambda r: record_metrics(r, conf.audit.apply)).start()


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
    locks = None
    if handlers is None:
        locks = make_locks(conf.coordination.backend_url, conf.coordination.lock_timeout)
        handlers = build_handlers(conf, dry_run, locks)
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

    web = http.start(conf, endpoint, server)
    server.start()
    periodic = start_periodic_audit(conf, dry_run, locks)
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
    web.stop()
    server.stop()
    finished = threading.Thread(target=server.wait, name='listener-wait', daemon=True)
    finished.start()
    finished.join(conf.listener.shutdown_timeout)
    if finished.is_alive():
        LOG.warning('in-flight notifications did not finish within %.0fs; the broker '
                    'redelivers what was not acknowledged', conf.listener.shutdown_timeout)
    else:
        transport.cleanup()
    if periodic is not None:
        periodic.stop()
    if locks is not None:
        locks.stop()
    LOG.info('stopped')
    return 0
