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

from notify import parse
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
        self.progress = Progress(clock)
        # Only notifications some handler takes get past the filter, unparsed.
        self.event_types = parse.event_types_for(self._handlers)
        self.filter_rule = event_type_filter(self.event_types)

    def _receive(self, priority, ctxt, publisher_id, event_type, payload, metadata):
        self.progress.started()
        try:
            return self._process(_Message(priority, publisher_id, event_type, payload,
                                          metadata or {}))
        finally:
            self.progress.finished()

    for _priority in notify_dispatcher.PRIORITIES:
        locals()[_priority] = functools.partialmethod(_receive, _priority)
    del _priority

    def _process(self, message):
        # Failures are logged after their except block: inside one, oslo.log
        # would append the exception's text to the line a second time.
        give_up = None
        try:
            event = parse.parse(message.event_type, message.payload)
        except BadNotification as exc:
            give_up = ('ignoring', f'bad input: {exc}')
        if give_up:
            return self._give_up(message, give_up[1], 1, give_up[0])
        handlers = self._handlers.get(type(event), ())
        for attempt in range(1, self._policy.attempts + 1):
            unexpected = False
            try:
                for handler in handlers:
                    handler.handle(event)
            except BadNotification as exc:
                give_up = ('ignoring', f'bad input: {exc}')
            except PermanentError as exc:
                give_up = ('giving up on', str(exc))
            except TransientError as exc:
                failure = exc
            except Exception as exc:
                LOG.exception('unexpected failure on %s notification %s', message.event_type,
                              message.id)
                failure, unexpected = exc, True
            else:
                self._failures.forget(message.key)
                return HANDLED
            if give_up:
                return self._give_up(message, give_up[1], attempt, give_up[0])
            if unexpected:
                break   # a bug does not heal within seconds: no in-process retry
            if attempt < self._policy.attempts:
                delay = self._policy.backoff(attempt)
                LOG.debug('retry %d/%d of %s notification %s in %.2fs: %s', attempt + 1,
                          self._policy.attempts, message.event_type, message.id, delay,
                          bounded(failure))
                self._sleep(delay)
        return self._after_failure(message, failure, unexpected)

    def _after_failure(self, message, failure, unexpected):
        rounds, first = self._failures.note(message.key, self._clock(),
                                            message.delivered_before)
        what = bounded(f'{type(failure).__name__}: {failure}' if unexpected else failure)
        if unexpected and rounds >= self._policy.max_unexpected:
            return self._give_up(message, f'still failing after {rounds} rounds: {what}',
                                 rounds, 'giving up on')
        failing_for = self._clock() - first
        if not unexpected and rounds > 1 and failing_for >= self._policy.transient_timeout:
            return self._give_up(message, f'still failing after {failing_for:.0f}s: {what}',
                                 rounds, 'giving up on')
        LOG.warning('%s notification %s not done (%s); handing back in %.1fs',
                    message.event_type, message.id, what, self._policy.requeue_delay)
        self._sleep(self._policy.requeue_delay)
        return REQUEUE

    def _give_up(self, message, reason, attempts, verb):
        """Spool the message with its reason, then acknowledge it."""
        self._failures.forget(message.key)
        reason = bounded(reason)
        where = ''
        if self._spool is not None:
            try:
                where = ' (kept in %s)' % self._spool.put(
                    reason=reason, event_type=message.event_type, payload=message.payload,
                    message_id=message.id, timestamp=message.timestamp,
                    publisher_id=message.publisher_id, priority=message.priority,
                    exchange=self._exchange_of(message.event_type), attempts=attempts)
            except SpoolError as exc:
                LOG.error('%s notification %s cannot be kept (%s); handing back in %.1fs: %s',
                          message.event_type, message.id, exc, self._policy.requeue_delay,
                          reason)
                self._sleep(self._policy.requeue_delay)
                return REQUEUE
        LOG.error('%s %s notification %s: %s%s', verb, message.event_type, message.id,
                  reason, where)
        return HANDLED

    def _exchange_of(self, event_type):
        return self._exchanges[parse.publisher_of(event_type)]


class _Message:
    __slots__ = ('priority', 'publisher_id', 'event_type', 'payload', 'id', 'timestamp',
                 'delivered_before')

    def __init__(self, priority, publisher_id, event_type, payload, metadata):
        self.priority = priority
        self.publisher_id = publisher_id
        self.event_type = event_type
        self.payload = payload
        self.id = printable(metadata.get('message_id'))
        self.timestamp = metadata.get('timestamp')
        self.delivered_before = metadata.get('delivery_count') or 0

    @property
    def key(self):
        """Identifies a message across redeliveries (its id, else its content)."""
        if self.id != 'None':
            return self.id
        digest = hashlib.sha256(json.dumps([self.event_type, self.payload], sort_keys=True,
                                           default=repr).encode()).hexdigest()
        return 'sha256:' + digest


class SafeNotificationDispatcher(notify_dispatcher.NotificationDispatcher):
    """oslo.messaging's dispatcher, except that a message whose envelope cannot be
    read (a null or numeric priority, a context that is not an object...) is logged
    once and acknowledged instead of raising, which with requeue enabled would hand
    it back for ever."""

    def dispatch(self, incoming):
        try:
            return super().dispatch(incoming)
        except Exception as exc:
            problem = f'{type(exc).__name__}: {bounded(exc)}'
        message = getattr(incoming, 'message', None)
        message = message if isinstance(message, dict) else {}
        LOG.error('ignoring %s notification %s: unreadable envelope (%s)',
                  printable(message.get('event_type')),
                  printable(message.get('message_id')), problem)
        return HANDLED
