"""From the bus to the handlers: the oslo.messaging endpoint, filter and dispatcher.

bus -> parse (notify.parse) -> handlers (decide + act) -> acknowledge or hand back.
Every outcome of a message is decided here, in one place:
- not ours (another event type): skipped by the filter rule, acknowledged;
- bad input, or work IPA refuses: one error line (event type, message id, what is
  wrong), kept in the dead-letter spool, acknowledged;
- transient failure: retried in process with exponential backoff and jitter;
  still failing: not acknowledged, handed back to RabbitMQ after a pause;
  failing past [dead_letter] limits: spooled, then acknowledged;
- done: acknowledged.
A message is acknowledged only once its work is done, or kept in the spool.
Each handler of an event runs whatever another one's outcome; when a message is
retried or handed back, only the handlers not yet done with it run again.
"""

import functools
import hashlib
import json
import logging
import random
import re
import threading
import time

import cachetools
import oslo_messaging
from oslo_messaging.notify import dispatcher as notify_dispatcher

from notify import metrics, parse
from notify.deadletter import SpoolError
from notify.errors import BadNotification, PermanentError, TransientError, bounded, printable

LOG = logging.getLogger(__name__)

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE


def event_type_filter(event_types):
    """A filter rule that lets through exactly these event types."""
    pattern = '^(%s)$' % '|'.join(re.escape(t) for t in sorted(event_types))
    return oslo_messaging.NotificationFilter(event_type=pattern)


class RetryPolicy:
    """In-process attempts with exponential backoff and full jitter, then hand-back."""

    def __init__(self, attempts=3, initial_delay=1.0, max_delay=30.0, requeue_delay=5.0,
                 max_unexpected=5, transient_timeout=86400.0):
        self.attempts = attempts
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.requeue_delay = requeue_delay
        self.max_unexpected = max_unexpected
        self.transient_timeout = transient_timeout

    def backoff(self, attempt):
        """Pause before attempt ``attempt + 1``: uniform in [0, initial * 2^(attempt-1)]."""
        return random.uniform(0, min(self.max_delay, self.initial_delay * 2 ** (attempt - 1)))


class FailureLog:
    """Rounds and first failure time of messages still failing, by message key."""

    def __init__(self, ttl):
        self._entries = cachetools.TTLCache(maxsize=100_000, ttl=max(ttl * 2, 3600))
        self._lock = threading.Lock()

    def note(self, key, now, delivered_before=0):
        """Count one more failed round; RabbitMQ's delivery count (quorum queues)
        carries the count over a restart of this process."""
        with self._lock:
            rounds, first = self._entries.get(key, (0, now))
            rounds = max(rounds, delivered_before or 0) + 1
            self._entries[key] = (rounds, first)
            return rounds, first

    def forget(self, key):
        with self._lock:
            self._entries.pop(key, None)


class FinishedHandlers:
    """Handlers done with a handed-back message, by message key, so that its
    redelivery to this process runs only the others: {id(handler): None when it
    finished, or the (verb, reason) it gave up with}."""

    def __init__(self, ttl):
        self._entries = cachetools.TTLCache(maxsize=100_000, ttl=max(ttl * 2, 3600))
        self._lock = threading.Lock()

    def take(self, key):
        with self._lock:
            return self._entries.pop(key, None) or {}

    def keep(self, key, done):
        if done:
            with self._lock:
                self._entries[key] = done


class Progress:
    """In-flight count and time of the last finished message, for the watchdog."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.in_flight = 0
        self.last_progress = clock()

    def started(self):
        with self._lock:
            self.in_flight += 1

    def finished(self):
        with self._lock:
            self.in_flight -= 1
            self.last_progress = self._clock()

    def stalled_for(self):
        """Seconds without any message finishing while some are in flight (else 0)."""
        with self._lock:
            if self.in_flight <= 0:
                return 0.0
            return self._clock() - self.last_progress


class NotificationEndpoint:
    """Receives notifications of every priority (so no priority queue grows unread)."""

    def __init__(self, handlers, policy=None, spool=None, exchanges=None,
                 sleep=time.sleep, clock=time.monotonic):
        self._handlers = {}
        for handler in handlers:
            for event_class in handler.events:
                self._handlers.setdefault(event_class, []).append(handler)
        self._policy = policy or RetryPolicy()
        self._spool = spool
        self._exchanges = exchanges or {parse.NOVA: 'nova', parse.NEUTRON: 'neutron'}
        self._sleep = sleep
        self._clock = clock
        self._failures = FailureLog(self._policy.transient_timeout)
        self._finished = FinishedHandlers(self._policy.transient_timeout)
        self.progress = Progress(clock)
        # Only notifications some handler takes get past the filter, unparsed.
        self.event_types = parse.event_types_for(self._handlers)
        self.filter_rule = metrics.counting_filter(event_type_filter(self.event_types))

    @metrics.counted
    def _receive(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        # Nothing may escape to oslo.messaging: it would requeue the message at
        # once, with no pause and no count (a hot loop).
        self.progress.started()
        try:
            message = _Message(priority, publisher_id, event_type, payload, metadata)
            try:
                return self._process(message)
            except Exception as exc:
                return self._last_resort(message, exc)
        finally:
            self.progress.finished()

    for _priority in notify_dispatcher.PRIORITIES:
        locals()[_priority] = functools.partialmethod(_receive, _priority)
    del _priority

    def _process(self, message):
        # Failures are logged after their except block: inside one, oslo.log
        # would append the exception's text to the line a second time.
        give_up = failure = None
        try:
            event = parse.parse(message.event_type, message.payload)
        except BadNotification as exc:
            give_up = ('ignoring', f'bad input: {describe(exc)}')
        except Exception as exc:   # a parser bug: the path of any unexpected failure
            _log(LOG.exception, 'unexpected failure parsing %s notification %s',
                 message.kind, message.id)
            failure = exc
        if give_up:
            return self._give_up(message, give_up[1], 1, give_up[0])
        if failure is not None:
            return self._after_failure(message, failure, unexpected=True)
        handlers = self._handlers.get(type(event), ())
        done, result = self._finished.take(message.key), None
        for attempt in range(1, self._policy.attempts + 1):
            failure, unexpected = self._run(message, event, handlers, done)
            if failure is None:
                self._failures.forget(message.key)
                give_up = next((g for g in done.values() if g), None)
                if give_up is None:
                    return HANDLED
                result = self._give_up(message, give_up[1], attempt, give_up[0])
                break
            if unexpected:
                break   # a bug does not heal within seconds: no in-process retry
            if attempt < self._policy.attempts:
                delay = self._policy.backoff(attempt)
                _log(LOG.debug, 'retry %d/%d of %s notification %s in %.2fs: %s',
                     attempt + 1, self._policy.attempts, message.kind, message.id, delay,
                     bounded(describe(failure)))
                self._sleep(delay)
        if result is None:
            result = self._after_failure(message, failure, unexpected)
        if result == REQUEUE:
            self._finished.keep(message.key, done)
        return result

    def _run(self, message, event, handlers, done):
        """Run the handlers not in ``done``, recording there those that finish or
        give up; returns (failure, unexpected) of those that failed otherwise."""
        failure, unexpected = None, False
        for handler in handlers:
            if id(handler) in done:
                continue
            try:
                handler.handle(event)
            except BadNotification as exc:
                done[id(handler)] = ('ignoring', f'bad input: {describe(exc)}')
            except PermanentError as exc:
                done[id(handler)] = ('giving up on', describe(exc))
            except TransientError as exc:
                failure = failure or exc
            except Exception as exc:
                _log(LOG.exception, 'unexpected failure on %s notification %s',
                     message.kind, message.id)
                if not unexpected:
                    failure, unexpected = exc, True
            else:
                done[id(handler)] = None
        return failure, unexpected

    def _after_failure(self, message, failure, unexpected):
        rounds, first = self._failures.note(message.key, self._clock(),
                                            message.delivered_before)
        what = describe(failure, with_type=unexpected)
        if unexpected and rounds >= self._policy.max_unexpected:
            return self._give_up(message, f'still failing after {rounds} rounds: {what}',
                                 rounds, 'giving up on')
        failing_for = self._clock() - first
        if not unexpected and rounds > 1 and failing_for >= self._policy.transient_timeout:
            return self._give_up(message, f'still failing after {failing_for:.0f}s: {what}',
                                 rounds, 'giving up on')
        _log(LOG.warning, '%s notification %s not done (%s); handing back in %.1fs',
             message.kind, message.id, bounded(what), self._policy.requeue_delay)
        self._sleep(self._policy.requeue_delay)
        return REQUEUE

    def _give_up(self, message, reason, attempts, verb):
        """Spool the message with its reason, then acknowledge it."""
        self._failures.forget(message.key)
        metrics.outcome('bad_input' if verb == 'ignoring' else 'spooled')
        reason = bounded(reason)
        where = ''
        if self._spool is not None:
            try:
                where = ' (kept in %s)' % self._spool.put(
                    reason=reason, event_type=message.event_type, payload=message.payload,
                    message_id=message.id, timestamp=message.timestamp,
                    publisher_id=message.publisher_id, priority=message.priority,
                    exchange=self._exchange_of(message.event_type), attempts=attempts)
            except Exception as exc:   # SpoolError, or a spool that fails otherwise
                problem = bounded(describe(exc, with_type=not isinstance(exc, SpoolError)))
                _log(LOG.error, '%s notification %s cannot be kept (%s); handing back in '
                     '%.1fs: %s', message.kind, message.id, problem,
                     self._policy.requeue_delay, reason)
                self._sleep(self._policy.requeue_delay)
                return REQUEUE
        _log(LOG.error, '%s %s notification %s: %s%s', verb, message.kind, message.id,
             reason, where)
        return HANDLED

    def _last_resort(self, message, exc):
        """A failure of this module's own code: hand the message back after the
        usual pause, never at once."""
        _log(LOG.error, 'unexpected failure handling %s notification %s (%s); handing '
             'back in %.1fs', message.kind, message.id,
             bounded(describe(exc, with_type=True)), self._policy.requeue_delay)
        self._sleep(self._policy.requeue_delay)
        return REQUEUE

    def _exchange_of(self, event_type):
        return self._exchanges[parse.publisher_of(event_type)]


def _log(method, *args, **kwargs):
    """Log, and never raise: a broken log handler must not change a message's fate."""
    try:
        method(*args, **kwargs)
    except Exception:
        pass


def describe(exc, with_type=False):
    """An exception's text (to be bounded before it is logged); never raises."""
    try:
        text = str(exc)
    except Exception:
        text = '(unprintable)'
    return f'{type(exc).__name__}: {text}' if with_type else text


def _printable(value):
    try:
        return printable(value)
    except Exception:   # nested too deep to print
        return f'({type(value).__name__})'


class _Message:
    __slots__ = ('priority', 'publisher_id', 'event_type', 'payload', 'id', 'kind',
                 'timestamp', '_key', 'delivered_before')

    def __init__(self, priority, publisher_id, event_type, payload, metadata):
        metadata = metadata if isinstance(metadata, dict) else {}
        self.priority = priority
        self.publisher_id = publisher_id
        self.event_type = event_type
        self.payload = payload
        self.id = _printable(metadata.get('message_id'))
        self.kind = _printable(event_type)   # the event type, for log lines
        self.timestamp = metadata.get('timestamp')
        self._key = None
        self.delivered_before = metadata.get('delivery_count') or 0

    @property
    def key(self):
        """Identifies a message across redeliveries (its id, else its content)."""
        if self.id != 'None':
            return self.id
        if self._key is None:
            try:
                text = json.dumps([self.event_type, self.payload], sort_keys=True,
                                  default=repr)
            except Exception:   # nested too deep, or keys that cannot be sorted
                text = f'{self.kind} {type(self.payload).__name__}'
            self._key = 'sha256:' + hashlib.sha256(text.encode()).hexdigest()
        return self._key


class SafeNotificationDispatcher(notify_dispatcher.NotificationDispatcher):
    """oslo.messaging's dispatcher, except that a message whose envelope cannot be
    read (a null or numeric priority, a context that is not an object...) is logged
    once and acknowledged instead of raising, which with requeue enabled would hand
    it back for ever."""

    def dispatch(self, incoming):
        try:
            return super().dispatch(incoming)
        except Exception as exc:
            problem = bounded(describe(exc, with_type=True))
        message = getattr(incoming, 'message', None)
        message = message if isinstance(message, dict) else {}
        metrics.unreadable()
        _log(LOG.error, 'ignoring %s notification %s: unreadable envelope (%s)',
             _printable(message.get('event_type')), _printable(message.get('message_id')),
             problem)
        return HANDLED
