"""Configuration options of novajoin-notify, and the list oslo-config-generator reads."""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from notify import satellite_opts

PROJECT = 'novajoin-notify'
DEFAULT_CONFIG_FILE = '/etc/novajoin-notify/novajoin-notify.conf'

listener_opts = [
    cfg.ListOpt('topics', default=['novajoin_notifications'],
                help='Notification topics to consume. Use a topic dedicated to this '
                     'service (add it to nova\'s and neutron\'s '
                     '[oslo_messaging_notifications] topics): consumers sharing a topic '
                     'split its messages between them, so a topic shared with '
                     'ceilometer would hand half of the deletes to ceilometer.'),
    cfg.StrOpt('nova_exchange', default='nova',
               help='Exchange nova publishes its notifications on (nova\'s '
                    'control_exchange).'),
    cfg.StrOpt('neutron_exchange', default='neutron',
               help='Exchange neutron publishes its notifications on (neutron\'s '
                    'control_exchange).'),
    cfg.StrOpt('pool',
               help='Listener pool name. Unset (the default): consume the topic queue '
                    'itself, which nova\'s notifier also declares, so notifications wait '
                    'in RabbitMQ while the daemon is down, and several daemons share the '
                    'work. Set: consume a queue of this pool name, which receives its '
                    'own copy of every notification.'),
    cfg.IntOpt('retry_attempts', default=3, min=1,
               help='Attempts at a notification whose work failed for a transient '
                    'reason (IPA, nova, glance, neutron or keystone unreachable, 5xx, '
                    'timeout) before it is handed back to RabbitMQ. Attempts are '
                    'spaced by exponential backoff with full jitter.'),
    cfg.FloatOpt('retry_initial_delay', default=1.0, min=0.0,
                 help='Upper bound of the first backoff pause, in seconds; each '
                      'further attempt doubles it, up to retry_max_delay.'),
    cfg.FloatOpt('retry_max_delay', default=30.0, min=0.0,
                 help='Largest backoff pause between two attempts, in seconds.'),
    cfg.FloatOpt('requeue_delay', default=5.0, min=0.0,
                 help='Seconds to wait before handing a notification back to the '
                      'broker after its attempts failed, so a long outage never turns '
                      'into a hot redelivery loop: the daemon hands back at most '
                      'rabbit_qos_prefetch_count / requeue_delay messages per second.'),
    cfg.FloatOpt('lookup_batch_window', default=0.05, min=0.0,
                 help='Seconds the nova look-ups of concurrent instance deletes (is the '
                      'name still carried by a live instance?) are gathered into one '
                      'nova query (two requests: live and soft-deleted servers). A '
                      'delete waits this long before nova is asked; under a burst one '
                      'query then answers tens of deletes. 0: one query per delete.'),
    cfg.FloatOpt('watchdog_stall', default=300.0, min=1.0,
                 help='Under systemd with WatchdogSec: the daemon stops pinging the '
                      'watchdog (so systemd restarts it) when notifications are in '
                      'flight and none has finished for this many seconds.'),
    cfg.FloatOpt('shutdown_timeout', default=30.0, min=0.0,
                 help='Seconds to let in-flight notifications finish on SIGTERM or '
                      'SIGINT. What is not acknowledged by then is redelivered by the '
                      'broker.'),
]

ipa_opts = [
    cfg.ListOpt('server', default=[],
                help='IPA server(s), as host or host:port. The JSON-RPC API is '
                     'https://SERVER/ipa/session/json. Several servers may be '
                     'listed; the first that answers is used.'),
    cfg.StrOpt('ca_cert', default='/etc/ipa/ca.crt',
               help='CA certificate bundle the IPA server certificate is verified '
                    'against. Verification cannot be turned off.'),
    cfg.StrOpt('username', default='novajoin-notify',
               help='IPA user the daemon logs in as. See README for the privileges '
                    'it needs (host removal, DNS record management).'),
    cfg.StrOpt('password', secret=True,
               help='Password of the IPA user.'),
    cfg.StrOpt('domain',
               help='DNS domain of instance FQDNs: an instance with hostname "web1" '
                    'is the IPA host "web1.<domain>".'),
    cfg.BoolOpt('project_subdomain', default=False,
                help='Put instances in a subdomain per project: the FQDN becomes '
                     '<hostname>.<project name>.<domain>, with the project name looked '
                     'up in keystone and normalised to a DNS label.'),
    cfg.FloatOpt('timeout', default=30.0, min=1.0,
                 help='Seconds to wait for one IPA request before treating IPA as '
                      'unreachable (a batch request gets more: see batch_max_writes).'),
    cfg.IntOpt('max_connections', default=8, min=1,
               help='Most IPA sessions open at once. Each is logged in once and '
                    'reused for many notifications.'),
    cfg.FloatOpt('batch_window', default=0.01, min=0.0,
                 help='Seconds IPA calls of concurrent notifications are gathered to '
                      'be sent as one IPA batch request (each notification still gets '
                      'its own result). A lone call waits this long and goes out as '
                      'itself. While all max_connections sessions are busy, calls keep '
                      'gathering until one is free. 0 disables batching.'),
    cfg.IntOpt('batch_size', default=50, min=1,
               help='Most IPA calls in one batch request.'),
    cfg.IntOpt('batch_max_writes', default=10, min=1,
               help='Most IPA changes (host_del, dnsrecord_add/del...) in one batch '
                    'request: IPA runs the entries of a batch one after another, and '
                    'host_del may revoke certificates. A batch request may take '
                    '[ipa] timeout plus a tenth of it per change and a fiftieth of '
                    'it per look-up. For the same reason the daemon measures what an '
                    'IPA request and a batch entry take, and sends the calls of a '
                    'window as several batch requests side by side, over up to '
                    'max_connections sessions, when the entries take longer than the '
                    'request around them (until that is measured: a window of more '
                    'than twice this many calls).'),
    cfg.ListOpt('enrollment_markers', default=['IPA host for OpenStack'],
                help='Safety: an IPA host is removed only when its description is one '
                     'of these, which the enrollment service writes when it creates '
                     'the host (novajoin writes exactly "IPA host for OpenStack"). A '
                     'host an operator or another tool made is never touched.'),
    cfg.ListOpt('protected_hostgroups', default=['ipaservers'],
                help='Safety: IPA hosts in these host groups (directly or indirectly) '
                     'are never removed, whatever a notification names. ipaservers '
                     'holds the IPA servers themselves.'),
    cfg.ListOpt('protected_hosts', default=[],
                help='Safety: FQDNs of IPA hosts never removed (hypervisors, '
                     'controllers, anything a tenant could name an instance after).'),
]

coordination_opts = [
    cfg.StrOpt('backend_url', secret=True,
               help='tooz coordination backend shared by every novajoin-notify daemon '
                    'consuming the same queue, e.g. redis://:PASSWORD@HOST:6379 or '
                    'etcd3+http://HOST:2379. Set it whenever more than one daemon runs: '
                    'work on one host name or address is then done by one daemon at a '
                    'time. Unset: locks hold within this process only.'),
    cfg.FloatOpt('lock_timeout', default=30.0, min=1.0,
                 help='Seconds to wait for another daemon to release a name before the '
                      'notification is retried later.'),
]

dns_opts = [
    cfg.BoolOpt('manage_floating_ips', default=True,
                help='Keep IPA DNS A/AAAA records of enrolled instances pointing at '
                     'their floating IPs: added on association, removed on '
                     'disassociation and deletion.'),
    cfg.BoolOpt('manage_ptr', default=True,
                help='Also keep the PTR record of each floating IP, in the reverse '
                     'zone IPA serves for it (none served: no PTR).'),
    cfg.IntOpt('ttl', min=0,
               help='TTL in seconds set on the DNS records this daemon adds. Unset: '
                    'the zone default.'),
]

dead_letter_opts = [
    cfg.StrOpt('spool_dir', default='/var/lib/novajoin-notify/failed',
               help='Directory where notifications that cannot be done are kept, one '
                    'JSON file each with the reason: bad input, work IPA refuses, '
                    'and work still failing after the limits below. '
                    '"novajoin-notify --replay" publishes them again.'),
    cfg.IntOpt('max_attempts', default=5, min=1,
               help='Rounds (attempts, then a hand-back) a notification failing with '
                    'an unexpected error gets before it is spooled.'),
    cfg.FloatOpt('transient_timeout', default=86400.0, min=0.0,
                 help='Seconds a notification may keep failing for a transient reason '
                      '(IPA down for maintenance, ...) before it is spooled instead of '
                      'handed back again.'),
]

cache_opts = [
    cfg.IntOpt('ttl', default=300, min=0,
               help='Seconds a looked-up fact (glance image properties, keystone '
                    'project names, the list of IPA DNS zones) is reused before it is '
                    'asked again. 0 disables caching.'),
    cfg.IntOpt('size', default=4096, min=1,
               help='Most entries kept in each cache.'),
]

http_opts = [
    cfg.StrOpt('listen', default='127.0.0.1:9752',
               help='HOST:PORT ([ADDRESS]:PORT for IPv6) the daemon serves GET '
                    '/metrics (Prometheus), /healthz and /check/{uuid} on. Empty: no '
                    'HTTP side. Plain HTTP: put a TLS reverse proxy in front when it '
                    'must leave the host.'),
    cfg.FloatOpt('unhealthy_after', default=120.0, min=1.0,
                 help='Seconds IPA may fail to answer before /healthz says 503. IPA '
                      'is pinged when nothing else asked it for a third of this.'),
    cfg.FloatOpt('check_cache_ttl', default=30.0, min=0.0,
                 help='Seconds an answer of /check/{uuid} (the instance exists or '
                      'not) is reused before nova is asked again. 0: ask every time.'),
    cfg.StrOpt('check_token', secret=True,
               help='When set, /check/{uuid} requires the header "Authorization: '
                    'Bearer <this token>" (401 otherwise). /metrics and /healthz '
                    'never require it.'),
]

service_credentials_opts = [
    cfg.StrOpt('region_name',
               help='Region of the nova, glance and neutron endpoints in the '
                    'keystone catalog.'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Endpoint interface used from the keystone catalog.'),
]

audit_opts = [
    cfg.IntOpt('interval', default=0, min=0,
               help='Seconds between two runs of the audit inside the daemon (in a '
                    'background thread with its own IPA sessions; one audit at a time '
                    'across daemons sharing [coordination] backend_url). 0: off.'),
    cfg.BoolOpt('apply', default=False,
                help='Whether the periodic audit removes what it finds (True) or only '
                     'reports it in the log and the metrics (False).'),
    cfg.IntOpt('max_removals', default=50, min=0,
               help='Safety: an audit that finds more hosts to remove than this aborts '
                    '(exit status 3) with the list and changes nothing; raise it '
                    'explicitly (or pass --max-removals) after checking the list.'),
    cfg.FloatOpt('min_age', default=3600.0, min=0.0,
                 help='Safety: hosts enrolled less than this many seconds ago (IPA\'s '
                      'krblastpwdchange) are kept, so an instance still booting is '
                      'never raced.'),
    cfg.IntOpt('page_size', default=1000, min=1,
               help='Servers, floating IPs and ports asked per page of nova and '
                    'neutron listings (never one unbounded request).'),
    cfg.IntOpt('workers', default=8, min=1,
               help='Removals done at once (their IPA calls go out in IPA batch '
                    'requests, as the daemon\'s do).'),
]

GROUPS = {
    'listener': listener_opts,
    'ipa': ipa_opts,
    'dns': dns_opts,
    'dead_letter': dead_letter_opts,
    'cache': cache_opts,
    'coordination': coordination_opts,
    'audit': audit_opts,
    satellite_opts.GROUP: satellite_opts.satellite_opts,
    'http': http_opts,
}

SERVICE_CREDENTIALS = 'service_credentials'


def _keystoneauth_opts():
    """The [service_credentials] options keystoneauth1 reads (password plugin)."""
    return (ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options('password')
            + ks_loading.get_session_conf_options())


def register_opts(conf):
    for group, opts in GROUPS.items():
        conf.register_opts(opts, group=group)
    conf.register_opts(service_credentials_opts, group=SERVICE_CREDENTIALS)
    ks_loading.register_auth_conf_options(conf, SERVICE_CREDENTIALS)
    ks_loading.register_session_conf_options(conf, SERVICE_CREDENTIALS)


def list_opts():
    """Entry point for oslo-config-generator (namespace novajoin-notify)."""
    return [(group, opts) for group, opts in GROUPS.items()] + [
        (SERVICE_CREDENTIALS, service_credentials_opts + _keystoneauth_opts()),
    ]


# RabbitMQ prefetch: oslo.messaging's default (0) is unlimited, which pulls the
# whole backlog into the daemon and makes a clean stop finish all of it.
DEFAULT_PREFETCH = 64
EXTRA_LOG_LEVELS = ['python_freeipa=WARN', 'novaclient=WARN', 'glanceclient=WARN',
                    'keystoneclient=WARN']


def update_library_defaults():
    """oslo.config.opts.defaults hook: library defaults this daemon changes.

    Called before options are registered at run time and by
    oslo-config-generator, so the sample shows the defaults in force.
    """
    from oslo_log import log

    from notify import compat
    cfg.set_defaults(compat.rabbit_opts(), rabbit_qos_prefetch_count=DEFAULT_PREFETCH)
    levels = log.get_default_log_levels()
    log.set_defaults(default_log_levels=levels + [
        level for level in EXTRA_LOG_LEVELS if level not in levels])
