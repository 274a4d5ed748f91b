"""Time-bounded memoisation for facts looked up in other services."""

import threading

import cachetools


def ttl_cached(load, ttl, size):
    """``load`` memoised for ``ttl`` seconds (0: not at all). Concurrent misses on
    one key wait for a single load instead of all asking at once; failures are
    not cached."""
    if ttl <= 0:
        return load
    condition = threading.Condition()
    return cachetools.cached(cachetools.TTLCache(size, ttl), lock=condition,
                             condition=condition)(load)
