"""Per-name locks: work on one IPA name is done by one worker at a time."""

import contextlib
import threading


class KeyedLock:
    """A lock per key, created on demand and dropped when nobody holds or waits."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks = {}   # key -> [lock, users]

    @contextlib.contextmanager
    def __call__(self, *keys):
        """Hold the locks of all ``keys`` (taken in sorted order: no deadlock)."""
        keys = sorted({k for k in keys if k})
        taken = []
        try:
            for key in keys:
                with self._guard:
                    entry = self._locks.setdefault(key, [threading.Lock(), 0])
                    entry[1] += 1
                entry[0].acquire()
                taken.append(key)
            yield
        finally:
            for key in reversed(taken):
                with self._guard:
                    entry = self._locks[key]
                    entry[0].release()
                    entry[1] -= 1
                    if entry[1] == 0:
                        del self._locks[key]

    @contextlib.contextmanager
    def try_lock(self, name):
        """Hold ``name`` if no worker of this process does now: yields True, else False."""
        with self._guard:
            entry = self._locks.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
        acquired = entry[0].acquire(blocking=False)
        try:
            yield acquired
        finally:
            with self._guard:
                if acquired:
                    entry[0].release()
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[name]

    def __len__(self):
        with self._guard:
            return len(self._locks)

    def stop(self):
        """Nothing to release: the same interface as coordination.DistributedLocks."""
