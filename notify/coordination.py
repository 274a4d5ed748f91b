"""Per-name locks across every daemon on a queue, through tooz.

Work on one IPA name or one address is done by one worker at a time: within a
process by notify.locks.KeyedLock, across daemons (several on one queue, as the
README recommends for availability) by a tooz lock in the ``[coordination]
backend_url`` backend (redis, etcd, ... as designate and ceilometer use it).
A lock that cannot be had in ``lock_timeout`` seconds, or a backend that does
not answer, is a TransientError: the notification waits, nothing is done
without the lock.
"""

import contextlib
import logging
import os
import socket
import threading

import tooz
import tooz.coordination

from notify.errors import TransientError
from notify.locks import KeyedLock

LOG = logging.getLogger(__name__)

PREFIX = 'novajoin-notify.'
# Seconds a stop waits for the backend. tooz's stop joins its heartbeat thread,
# which retries a backend that is down for as long as the driver's own retry
# policy says (redis: about a minute); the locks expire by themselves.
STOP_TIMEOUT = 5.0


class DistributedLocks:
    """``with locks(*keys):`` holds every key, in this process and across daemons."""

    def __init__(self, backend_url, timeout=30.0, member_id=None):
        self._local = KeyedLock()
        self._timeout = timeout
        member = member_id or f'{socket.gethostname()}.{os.getpid()}'
        self._coordinator = tooz.coordination.get_coordinator(backend_url, member.encode())
        self._coordinator.start(start_heart=True)

    @contextlib.contextmanager
    def __call__(self, *keys):
        keys = sorted({k for k in keys if k})
        with self._local(*keys):
            held = []
            try:
                for key in keys:
                    held.append(self._acquire(key))
                yield
            finally:
                for lock in reversed(held):
                    self._release(lock)

    def _acquire(self, key):
        lock = self._coordinator.get_lock((PREFIX + key).encode())
        try:
            acquired = lock.acquire(blocking=self._timeout)
        except Exception as exc:   # noqa: BLE001
            # tooz's errors, and what a driver raises through (etcd gives up waiting
            # with tenacity's RetryError): either way, no lock
            raise TransientError(f'coordination backend failed locking {key}: '
                                 f'{type(exc).__name__}') from None
        if not acquired:
            raise TransientError(f'another daemon held the lock on {key} for more than '
                                 f'{self._timeout:.0f}s')
        return lock

    @staticmethod
    def _release(lock):
        try:
            lock.release()
        except tooz.ToozError as exc:
            # The lock expires by itself in the backend.
            LOG.warning('coordination backend failed releasing a lock: %s',
                        type(exc).__name__)

    @contextlib.contextmanager
    def try_lock(self, name):
        """Hold ``name`` across daemons if no one does now: yields True, else False."""
        lock = self._coordinator.get_lock((PREFIX + name).encode())
        try:
            acquired = lock.acquire(blocking=False)
        except Exception as exc:   # noqa: BLE001 (as in _acquire)
            LOG.warning('coordination backend failed locking %s: %s', name,
                        type(exc).__name__)
            acquired = False
        try:
            yield acquired
        finally:
            if acquired:
                self._release(lock)

    def __len__(self):
        return len(self._local)

    def stop(self, timeout=STOP_TIMEOUT):
        """Leave the backend, waiting at most ``timeout`` seconds for it."""
        stopper = threading.Thread(target=self._stop, name='coordination-stop', daemon=True)
        stopper.start()
        stopper.join(timeout)
        if stopper.is_alive():
            LOG.warning('coordination backend did not answer at stop within %gs; '
                        'this daemon\'s locks expire in the backend by themselves', timeout)

    def _stop(self):
        try:
            self._coordinator.stop()
        except tooz.ToozError as exc:
            LOG.warning('coordination backend failed at stop: %s', type(exc).__name__)


def make_locks(backend_url, timeout):
    """Locks for this daemon: across daemons when a backend is configured."""
    if not backend_url:
        return KeyedLock()
    return DistributedLocks(backend_url, timeout)
