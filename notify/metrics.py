"""Prometheus metrics: one private registry, the metric objects, and the small
functions and decorators the rest of the daemon records through.

Importing this module starts nothing and touches no file or socket: recording
only updates counters in memory, so unit tests of other modules need no server.
``notify.http`` serves the registry on ``GET /metrics``.

Every label takes a value from a small fixed set (an event type the daemon acts
on, an outcome, an IPA command the daemon sends, an OpenStack service name):
never a host name, an instance UUID or an address.
"""

import functools
import threading
import time

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram,
                               PlatformCollector, ProcessCollector)

from notify import parse
from notify.errors import TransientError

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

P = 'novajoin_notify_'

#: outcomes of a notification (label ``outcome``)
OUTCOMES = ('done', 'not_ours', 'not_enrolled', 'kept_live', 'refused', 'bad_input',
            'requeued', 'spooled')
OTHER = 'other'
#: what the audit finds and removes (label ``kind``)
AUDIT_KINDS = ('host', 'record', 'service', 'satellite')
#: answers of GET /check/{uuid} (label ``answer``)
CHECK_ANSWERS = ('exists', 'absent', 'bad_request', 'unauthorized', 'unavailable', 'busy')
IPA_NOT_FOUND = 4001
# EmptyModlist (adding a value IPA has), AttrValueNotFound (removing one it lacks):
# the records are already as wanted.
IPA_UNCHANGED = frozenset({4202, 4026})
REQUEUE = 'requeue'   # oslo_messaging.NotificationResult.REQUEUE

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

NOTIFICATIONS = Counter(
    P + 'notifications', 'Notifications received, by event type ("other" for types '
    'the daemon does not act on) and outcome.', ['event_type', 'outcome'],
    registry=REGISTRY)
IN_FLIGHT = Gauge(P + 'notifications_in_flight',
                  'Notifications being handled now (received, not yet acknowledged '
                  'or handed back).', registry=REGISTRY)
IPA_CALLS = Counter(
    P + 'ipa_calls', 'IPA commands sent, alone or inside a batch request, by command '
    'and result (ok; not_found; unchanged: already as wanted; error: IPA refused it; '
    'unavailable: no answer, 5xx or a failure that may heal).', ['method', 'result'],
    registry=REGISTRY)
IPA_SECONDS = Histogram(
    P + 'ipa_request_duration_seconds', 'Duration of IPA JSON-RPC requests, login '
    'included when one was needed, by command ("batch" for a batch request).',
    ['method'], buckets=_LATENCY, registry=REGISTRY)
IPA_LOGINS = Counter(P + 'ipa_logins', 'IPA session logins, by result (ok, failed).',
                     ['result'], registry=REGISTRY)
IPA_BATCH_SIZE = Histogram(P + 'ipa_batch_size', 'IPA commands per batch request.',
                           buckets=(2, 3, 5, 10, 20, 50, 100, 200), registry=REGISTRY)
IPA_COST = Gauge(P + 'ipa_cost_seconds', 'What an IPA request (part="request") and '
                 'each command in it (part="entry") take, measured by the daemon from '
                 'its own requests; NaN until requests of different sizes were seen.',
                 ['part'], registry=REGISTRY)
IPA_LAST_ANSWER = Gauge(P + 'ipa_last_answer_timestamp_seconds',
                        'Unix time IPA last answered a request.', registry=REGISTRY)
HOSTS_REMOVED = Counter(P + 'ipa_hosts_removed', 'IPA hosts removed (host_del done).',
                        registry=REGISTRY)
LAST_REMOVAL = Gauge(P + 'last_removal_timestamp_seconds',
                     'Unix time of the last IPA host removal (0: none since start).',
                     registry=REGISTRY)
OPENSTACK_CALLS = Counter(
    P + 'openstack_calls', 'OpenStack API calls by service (nova, glance, neutron, '
    'keystone) and result (ok, error: refused with a 4xx, unavailable).',
    ['service', 'result'], registry=REGISTRY)
OPENSTACK_SECONDS = Histogram(
    P + 'openstack_request_duration_seconds', 'Duration of OpenStack API calls, '
    'keystone authentication included when the call needed a token.', ['service'],
    buckets=_LATENCY, registry=REGISTRY)
DEAD_LETTERS = Gauge(P + 'dead_letters', 'Notifications kept in the dead-letter spool '
                     '([dead_letter] spool_dir), read at each scrape.', registry=REGISTRY)
AUDIT_RUNS = Counter(P + 'audit_runs', 'Audit runs, by result.', ['result'],
                     registry=REGISTRY)
AUDIT_FINDINGS = Counter(P + 'audit_findings', 'Leftovers the audit found, by kind '
                         '(host, record, service, satellite).', ['kind'], registry=REGISTRY)
AUDIT_REMOVALS = Counter(P + 'audit_removals', 'Leftovers the audit removed, by kind.',
                         ['kind'], registry=REGISTRY)
AUDIT_LAST = Gauge(P + 'audit_last_run_timestamp_seconds',
                   'Unix time the last audit run ended.', registry=REGISTRY)
CHECKS = Counter(P + 'check_requests', 'GET /check/{uuid} answers, by answer (exists, '
                 'absent, bad_request, unauthorized, unavailable, busy).', ['answer'],
                 registry=REGISTRY)
HEALTHY = Gauge(P + 'healthy', '1 when GET /healthz answers 200, else 0.',
                registry=REGISTRY)
BROKER_CONNECTED = Gauge(P + 'broker_connected', '1 when the listener\'s broker '
                         'connection is up, 0 when down, NaN when unknown.',
                         registry=REGISTRY)

# Every combination an alert rule reads exists from the start, at 0.
for _type in sorted(parse.REGISTRY) + [OTHER]:
    for _outcome in OUTCOMES:
        NOTIFICATIONS.labels(_type, _outcome)
for _answer in CHECK_ANSWERS:
    CHECKS.labels(_answer)
for _result in ('ok', 'not_found', 'error', 'unavailable'):
    IPA_CALLS.labels('host_del', _result)
for _result in ('ok', 'failed'):
    IPA_LOGINS.labels(_result)
for _service in ('nova', 'glance', 'neutron', 'keystone'):
    for _result in ('ok', 'error', 'unavailable'):
        OPENSTACK_CALLS.labels(_service, _result)
for _kind in AUDIT_KINDS:
    AUDIT_FINDINGS.labels(_kind)
    AUDIT_REMOVALS.labels(_kind)
del _type, _outcome, _answer, _result, _service, _kind


def event_label(event_type):
    """The ``event_type`` label: one of the types the daemon acts on, else "other"."""
    return event_type if isinstance(event_type, str) and event_type in parse.REGISTRY \
        else OTHER


def watch_ipa_cost(cost):
    """Serve ``cost`` (a notify.batch_cost.RequestCost) on ipa_cost_seconds."""
    def part(index):
        estimate = cost.estimate()
        return estimate[index] if estimate is not None else float('nan')
    IPA_COST.labels('request').set_function(lambda: part(0))
    IPA_COST.labels('entry').set_function(lambda: part(1))


# -- notifications ---------------------------------------------------------------

_current = threading.local()


def outcome(name):
    """Say how the notification this thread handles ended, when it is not plainly
    "done": handlers say "not_enrolled" or "kept_live", the endpoint "bad_input" or
    "spooled". A hand-back to the broker is "requeued" whatever was said."""
    if name not in OUTCOMES:
        raise ValueError(f'unknown outcome {name!r}')
    _current.outcome = name


def counted(receive):
    """Decorates the endpoint's receive method (self, priority, ctxt, publisher_id,
    event_type, payload, metadata): in-flight gauge, and one count per message by
    event type and outcome."""
    @functools.wraps(receive)
    def wrapper(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        _current.outcome = None
        result = REQUEUE   # an exception escaping makes oslo.messaging requeue
        with IN_FLIGHT.track_inprogress():
            try:
                result = receive(self, priority, ctxt, publisher_id, event_type, payload,
                                 metadata)
                return result
            finally:
                said, _current.outcome = _current.outcome, None
                NOTIFICATIONS.labels(event_label(event_type),
                                     'requeued' if result == REQUEUE else said or 'done').inc()
    return wrapper


class _CountingFilter:
    """An oslo.messaging filter rule that counts what it turns away as not ours."""

    def __init__(self, rule):
        self.rule = rule

    def match(self, context, publisher_id, event_type, metadata, payload):
        if self.rule.match(context, publisher_id, event_type, metadata, payload):
            return True
        NOTIFICATIONS.labels(event_label(event_type), 'not_ours').inc()
        return False


def counting_filter(rule):
    """Wrap the endpoint's filter rule so that skipped notifications are counted."""
    return _CountingFilter(rule)


def unreadable():
    """A message whose envelope could not be read (acknowledged, not handled)."""
    NOTIFICATIONS.labels(OTHER, 'bad_input').inc()


# -- IPA -------------------------------------------------------------------------

class Liveness:
    """When a dependency last answered and last failed to, for /healthz."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.last_answer = clock()
        self.last_failure = None
        self.reason = None

    def answered(self):
        with self._lock:
            self.last_answer = self._clock()

    def failed(self, reason):
        with self._lock:
            self.last_failure, self.reason = self._clock(), reason

    def down_for(self):
        """Seconds since the last answer, if the latest attempt failed; else 0."""
        with self._lock:
            if self.last_failure is None or self.last_failure < self.last_answer:
                return 0.0
            return self._clock() - self.last_answer

    def idle_for(self):
        """Seconds since the last attempt, answered or not."""
        with self._lock:
            return self._clock() - max(self.last_answer, self.last_failure or 0.0)


IPA = Liveness()


def _ipa_result(exc):
    if isinstance(exc, TransientError):
        return 'unavailable'
    return _by_code(getattr(exc, 'code', None), type(exc).__name__ == 'NotFound')


def _by_code(code, not_found=False):
    if code == IPA_NOT_FOUND or not_found:
        return 'not_found'
    return 'unchanged' if code in IPA_UNCHANGED else 'error'


def _entry_result(entry):
    if not isinstance(entry, dict) or entry.get('error') is None:
        return 'ok'
    return _by_code(entry.get('error_code'))


def _ipa_call(method, result):
    IPA_CALLS.labels(method, result).inc()
    if method == 'host_del' and result == 'ok':
        HOSTS_REMOVED.inc()
        LAST_REMOVAL.set_to_current_time()


def ipa_request(call):
    """Decorates the IPA adapter's request method (self, method, args, options,
    **kwargs): latency, one count per IPA command (each entry of a ``batch``),
    batch sizes, host removals, and IPA's liveness for /healthz."""
    @functools.wraps(call)
    def wrapper(self, method, args, options, *more, **kwargs):
        started = time.monotonic()
        entries = [e.get('method') for e in args[0]] if method == 'batch' else [method]
        try:
            response = call(self, method, args, options, *more, **kwargs)
        except Exception as exc:
            result = _ipa_result(exc)
            IPA_SECONDS.labels(method).observe(time.monotonic() - started)
            if result == 'unavailable':
                IPA.failed(str(exc)[:200])
            else:
                _ipa_answered()
            for entry in entries:
                _ipa_call(entry, result)
            raise
        IPA_SECONDS.labels(method).observe(time.monotonic() - started)
        _ipa_answered()
        if method == 'batch':
            IPA_BATCH_SIZE.observe(len(entries))
            answers = (response or {}).get('results') or []
            for entry, answer in zip(entries, answers):
                _ipa_call(entry, _entry_result(answer))
        else:
            _ipa_call(method, 'ok')
        return response
    return wrapper


def _ipa_answered():
    IPA.answered()
    IPA_LAST_ANSWER.set_to_current_time()


def ipa_login(login):
    """Decorates the IPA adapter's login method: counts logins by result."""
    @functools.wraps(login)
    def wrapper(*args, **kwargs):
        try:
            result = login(*args, **kwargs)
        except Exception:
            IPA_LOGINS.labels('failed').inc()
            raise
        IPA_LOGINS.labels('ok').inc()
        return result
    return wrapper


# -- OpenStack -------------------------------------------------------------------

def openstack_calls(translated_errors):
    """Decorates the OpenStack adapter's ``translated_errors(service)`` context
    manager: each block run in it is one call of that service, timed and counted
    by the error it ends with (TransientError: unavailable, another: error)."""
    @functools.wraps(translated_errors)
    def wrapper(service):
        return _OpenStackCall(service, translated_errors(service))
    return wrapper


def _openstack_result(exc):
    return 'unavailable' if isinstance(exc, TransientError) else 'error'


class _OpenStackCall:
    def __init__(self, service, inner):
        self._service = service
        self._inner = inner
        self._started = None

    def __enter__(self):
        self._started = time.monotonic()
        return self._inner.__enter__()

    def __exit__(self, exc_type, exc, tb):
        try:
            suppressed = self._inner.__exit__(exc_type, exc, tb)
        except BaseException as translated:
            self._record(_openstack_result(translated))
            raise
        self._record('ok' if exc_type is None or suppressed else _openstack_result(exc))
        return suppressed

    def _record(self, result):
        OPENSTACK_SECONDS.labels(self._service).observe(time.monotonic() - self._started)
        OPENSTACK_CALLS.labels(self._service, result).inc()


# -- dead letters, audit, /check -------------------------------------------------

def watch_spool(paths):
    """Report the spool's size at each scrape; ``paths()`` lists its files."""
    def size():
        try:
            return len(paths())
        except OSError:
            return float('nan')
    DEAD_LETTERS.set_function(size)


def audit_run(result, findings=None, removals=None):
    """Record one audit run.

    result: how the run ended, e.g. "ok", "dry_run" or "failed";
    findings / removals: {kind: count} with kind one of AUDIT_KINDS (anything
    else is counted as "other").
    """
    AUDIT_RUNS.labels(result if result in ('ok', 'dry_run', 'failed') else OTHER).inc()
    for counter, counts in ((AUDIT_FINDINGS, findings), (AUDIT_REMOVALS, removals)):
        for kind, count in (counts or {}).items():
            if count:
                counter.labels(kind if kind in AUDIT_KINDS else OTHER).inc(count)
    AUDIT_LAST.set_to_current_time()


def check_answer(answer):
    """Count one GET /check answer (one of CHECK_ANSWERS)."""
    CHECKS.labels(answer).inc()
