"""Dead letters: notifications that cannot be done, kept where an operator sees them.

One JSON file per notification in ``[dead_letter] spool_dir``, with the reason,
written atomically (temporary file, then rename). ``novajoin-notify --replay``
publishes each again on its exchange and topic, as nova or neutron would, and
removes the file once the broker has it.
"""

import datetime
import json
import logging
import os
import tempfile
import uuid

from notify import metrics

LOG = logging.getLogger(__name__)

SUFFIX = '.json'


class SpoolError(Exception):
    """The notification could not be written to the spool."""


class Spool:
    def __init__(self, directory):
        self.directory = directory
        metrics.watch_spool(self.paths)

    def put(self, *, reason, event_type, payload, message_id, timestamp, publisher_id,
            priority, exchange, attempts):
        """Keep one notification; returns the file's path."""
        record = {
            'reason': reason,
            'spooled_at': datetime.datetime.now(datetime.timezone.utc).isoformat(),
            'attempts': attempts,
            'exchange': exchange,
            'event_type': event_type,
            'publisher_id': publisher_id,
            'priority': priority,
            'message_id': message_id,
            'timestamp': timestamp,
            'payload': payload,
        }
        try:
            os.makedirs(self.directory, mode=0o750, exist_ok=True)
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S.%f')
            name = f'{stamp}-{uuid.uuid4().hex[:12]}{SUFFIX}'
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix='.tmp-')
            with os.fdopen(fd, 'w') as f:
                json.dump(record, f, indent=2, sort_keys=True, default=repr)
                f.flush()
                os.fsync(f.fileno())
            path = os.path.join(self.directory, name)
            os.rename(tmp, path)
            return path
        except (OSError, TypeError, ValueError) as exc:
            raise SpoolError(f'cannot write to {self.directory}: {exc}') from exc

    def paths(self):
        if not os.path.isdir(self.directory):
            return []
        return sorted(os.path.join(self.directory, n) for n in os.listdir(self.directory)
                      if n.endswith(SUFFIX) and not n.startswith('.'))


def replay(conf, spool=None, publish=None):
    """Publish every spooled notification again; returns (replayed, failed)."""
    spool = spool or Spool(conf.dead_letter.spool_dir)
    publish = publish or _Publisher(conf)
    replayed = failed = 0
    for path in spool.paths():
        try:
            with open(path) as f:
                record = json.load(f)
            publish(record)
        except Exception as exc:   # one bad file must not stop the others
            failed += 1
            LOG.error('replay: %s not replayed: %s: %s', path, type(exc).__name__, exc)
            continue
        os.remove(path)
        replayed += 1
        LOG.info('replay: %s notification %s published again on exchange %s (%s)',
                 record.get('event_type'), record.get('message_id'), record.get('exchange'),
                 os.path.basename(path))
    return replayed, failed


class _Publisher:
    """Replays on the daemon's first topic, with publisher confirms."""

    def __init__(self, conf):
        from notify import broker
        self._conf = conf
        self._publisher = broker.Publisher(conf)

    def __call__(self, record):
        self._publisher.publish(
            record.get('exchange') or self._conf.listener.nova_exchange,
            self._conf.listener.topics[0], record['event_type'], record['payload'],
            record.get('publisher_id') or 'novajoin-notify.replay',
            record.get('priority') or 'info')
