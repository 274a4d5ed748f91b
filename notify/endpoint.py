"""From the bus to the handlers: the oslo.messaging endpoint, filter and dispatcher.

bus -> parse (notify.parse) -> handlers (decide + act) -> acknowledge or requeue.
Every outcome of a message is decided here, in one place:
- not ours (another event type): skipped by the filter rule, acknowledged;
- bad input: one error line (event type, message id, what is wrong), acknowledged;
- transient failure: not acknowledged; handed back after a pause (REQUEUE);
- done: acknowledged.
"""

import logging
import re
import time

import oslo_messaging
from oslo_messaging.notify import dispatcher as notify_dispatcher

from notify import parse
from notify.errors import BadNotification, PermanentError, TransientError

LOG = logging.getLogger(__name__)

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE


def event_type_filter(event_types):
    """A filter rule that lets through exactly these event types."""
    pattern = '^(%s)$' % '|'.join(re.escape(t) for t in sorted(event_types))
    return oslo_messaging.NotificationFilter(event_type=pattern)


class NotificationEndpoint:
    """Receives notifications of every priority (so no priority queue grows unread)."""

    def __init__(self, handlers, requeue_delay=5.0, sleep=time.sleep):
        self._handlers = {}
        for handler in handlers:
            for event_class in handler.events:
                self._handlers.setdefault(event_class, []).append(handler)
        self._requeue_delay = requeue_delay
        self._sleep = sleep
        # Only notifications some handler takes get past the filter, unparsed.
        self.event_types = parse.event_types_for(self._handlers)
        self.filter_rule = event_type_filter(self.event_types)

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        message_id = (metadata or {}).get('message_id')
        try:
            event = parse.parse(event_type, payload)
            for handler in self._handlers.get(type(event), ()):
                handler.handle(event)
        except BadNotification as exc:
            LOG.error('ignoring %s notification %s: %s', event_type, message_id, exc)
        except PermanentError as exc:
            LOG.error('giving up on %s notification %s: %s', event_type, message_id, exc)
        except TransientError as exc:
            LOG.warning('%s notification %s not done, retrying in %.1fs: %s',
                        event_type, message_id, self._requeue_delay, exc)
            return self._requeue()
        except Exception:
            LOG.exception('unexpected failure on %s notification %s; retrying in %.1fs',
                          event_type, message_id, self._requeue_delay)
            return self._requeue()
        return HANDLED

    def _requeue(self):
        self._sleep(self._requeue_delay)
        return REQUEUE

    audit = debug = warn = error = critical = sample = info


class SafeNotificationDispatcher(notify_dispatcher.NotificationDispatcher):
    """oslo.messaging's dispatcher, except that a message whose envelope cannot be
    read (a null or numeric priority, a context that is not an object...) is logged
    once and acknowledged instead of raising, which with requeue enabled would hand
    it back for ever."""

    def dispatch(self, incoming):
        try:
            return super().dispatch(incoming)
        except Exception as exc:
            message = getattr(incoming, 'message', None)
            message = message if isinstance(message, dict) else {}
            LOG.error('ignoring %s notification %s: unreadable envelope (%s: %s)',
                      _printable(message.get('event_type')),
                      _printable(message.get('message_id')), type(exc).__name__, exc)
            return HANDLED


def _printable(value):
    text = value if isinstance(value, str) else repr(value)
    return text[:120].encode('unicode_escape').decode('ascii')
