"""Dead letters: notifications that cannot be done, kept where an operator sees them.

One JSON file per notification in ``[dead_letter] spool_dir``, with the reason,
written atomically and durably before the message is acknowledged (temporary file,
fsync, rename, fsync of the directory). ``novajoin-notify --replay``
publishes each again on its exchange and topic, as nova or neutron would, and
removes the file once the broker has it.
"""

import contextlib
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


TMP_PREFIX = '.tmp-'


class Spool:
    def __init__(self, directory):
        self.directory = directory
        metrics.watch_spool(self.paths)

    def put(self, *, reason, event_type, payload, message_id, timestamp, publisher_id,
            priority, exchange, attempts):
        """Keep one notification; returns the file's path once the file and its
        directory entry are on disk (fsync), so the message may be acknowledged.

        Raises SpoolError, and leaves no file behind, when that cannot be done."""
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
            text = _serialise(record)
            self._make_directory()
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S.%f')
            return self._write(f'{stamp}-{uuid.uuid4().hex[:12]}{SUFFIX}', text)
        except Exception as exc:
            raise SpoolError(f'cannot write to {self.directory}: '
                             f'{type(exc).__name__}: {exc}') from exc

    def _make_directory(self):
        if os.path.isdir(self.directory):
            return
        os.makedirs(self.directory, mode=0o750, exist_ok=True)
        _fsync_directory(os.path.dirname(os.path.abspath(self.directory)))

    def _write(self, name, text):
        """Temporary file, fsync, rename, fsync of the directory; no temporary
        file survives a failure at any step."""
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=TMP_PREFIX)
        path = os.path.join(self.directory, name)
        renamed = False
        try:
            with open(fd, 'w', encoding='ascii') as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
            renamed = True
            _fsync_directory(self.directory)
            return path
        except BaseException:
            # Not durable: no file at all, so a redelivery is not kept twice.
            if renamed:
                _remove(path)
            raise
        finally:
            if not renamed:
                _remove(tmp)

    def paths(self):
        if not os.path.isdir(self.directory):
            return []
        return sorted(os.path.join(self.directory, n) for n in os.listdir(self.directory)
                      if n.endswith(SUFFIX) and not n.startswith('.'))


def _serialise(record):
    """The record as JSON text. A field that cannot be written as JSON (nested too
    deep for the encoder, keys of mixed types) is kept as null, and ``not_kept``
    says which and why: the reason and the envelope are never lost for it."""
    try:
        return json.dumps(record, indent=2, sort_keys=True, default=repr)
    except Exception:
        pass
    not_kept = {}
    for key, value in record.items():
        try:
            json.dumps(value, sort_keys=True, default=repr)
        except Exception as exc:
            record[key] = None
            not_kept[key] = f'{type(value).__name__} that cannot be written as JSON ' \
                            f'({type(exc).__name__})'
    record['not_kept'] = not_kept
    return json.dumps(record, indent=2, sort_keys=True, default=repr)


def _fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


def replay(conf, spool=None, publish=None):
    """Publish every spooled notification again; returns (replayed, failed)."""
    spool = spool or Spool(conf.dead_letter.spool_dir)
    publish = publish or _Publisher(conf)
    replayed = failed = 0
    for path in spool.paths():
        try:
            with open(path) as f:
                record = json.load(f)
            if 'payload' in (record.get('not_kept') or {}):
                raise ValueError('its payload could not be kept: '
                                 f"{record['not_kept']['payload']}")
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
