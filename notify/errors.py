"""How a notification's handling can fail, which decides what happens to the message.

- BadNotification: the message itself is wrong; it is logged once and acknowledged.
- TransientError: a service we depend on failed in a way that may heal (unreachable,
  5xx, timeout, credentials an operator must fix); the message is not acknowledged
  and comes back later.
- PermanentError: the work can never succeed as asked (IPA rejected the value);
  logged and acknowledged.
"""


class NotifyError(Exception):
    """Base class of this package's errors."""


class BadNotification(NotifyError):
    """The notification cannot be understood: missing, null or mistyped fields."""


class TransientError(NotifyError):
    """A dependency failed in a way that can heal; retry the notification later."""


class PermanentError(NotifyError):
    """The work was refused in a way no retry will change."""


# Values in log lines: escaped, bounded, so a hostile message cannot forge or
# flood the log.

def shown(value, limit=80):
    """A value as it may appear in a log line: repr, control characters escaped,
    at most ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...(%d chars)' % len(text)


def bounded(value, limit=500):
    """Text for one log line: control characters escaped, at most ``limit`` chars."""
    text = printable(str(value), limit)
    return text if len(str(value)) <= limit else text + '...'


def printable(value, limit=120):
    """A value safe for one log line: escaped control characters, bounded length."""
    text = value if isinstance(value, str) else repr(value)
    return text[:limit].encode('unicode_escape').decode('ascii')
