"""notify.cache.ttl_cached: memoised look-ups (cachetools' cached with a condition)."""

import pytest

from notify import cache


class Loader:
    def __init__(self, fail_first=0):
        self.calls = []
        self.fail_first = fail_first

    def __call__(self, key):
        self.calls.append(key)
        if len(self.calls) <= self.fail_first:
            raise ConnectionError('glance unreachable')
        return f'value of {key}'


def test_a_looked_up_fact_is_reused():
    load = Loader()
    cached = cache.ttl_cached(load, ttl=300, size=16)
    assert cached('image-1') == 'value of image-1'
    assert cached('image-1') == 'value of image-1'
    assert cached('image-2') == 'value of image-2'
    assert load.calls == ['image-1', 'image-2']


def test_failures_are_not_cached():
    load = Loader(fail_first=1)
    cached = cache.ttl_cached(load, ttl=300, size=16)
    with pytest.raises(ConnectionError):
        cached('image-1')
    assert cached('image-1') == 'value of image-1'
    assert cached('image-1') == 'value of image-1'
    assert load.calls == ['image-1', 'image-1']


def test_ttl_zero_disables_caching():
    load = Loader()
    cached = cache.ttl_cached(load, ttl=0, size=16)
    assert cached('image-1') == cached('image-1') == 'value of image-1'
    assert load.calls == ['image-1', 'image-1']
