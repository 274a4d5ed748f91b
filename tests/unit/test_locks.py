import threading
import time
import types

import pytest

from notify.coordination import DistributedLocks
from notify.errors import TransientError
from notify.locks import KeyedLock


def test_one_worker_per_key_and_no_leak():
    locks, inside, overlap = KeyedLock(), [], []

    def work(key):
        with locks(key):
            inside.append(key)
            if inside.count(key) > 1:
                overlap.append(key)
            time.sleep(0.01)
            inside.remove(key)

    threads = [threading.Thread(target=work, args=(k,)) for k in ['a', 'b'] * 10]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert overlap == [] and len(locks) == 0


def test_several_keys_in_any_order_do_not_deadlock():
    locks, done = KeyedLock(), []

    def work(keys):
        for _ in range(50):
            with locks(*keys):
                pass
        done.append(keys)

    threads = [threading.Thread(target=work, args=(k,)) for k in (('a', 'b'), ('b', 'a'))]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert len(done) == 2


def test_none_keys_are_ignored():
    locks = KeyedLock()
    with locks(None, 'x'):
        assert len(locks) == 1


def test_a_lock_the_backend_gives_up_on_is_transient():
    # etcd's tooz driver gives up waiting with tenacity's RetryError, not ToozError.
    class GivesUp:
        def acquire(self, blocking):
            raise RuntimeError('RetryError[<Future state=finished raised TimeoutError>]')

    locks = DistributedLocks.__new__(DistributedLocks)
    locks._local, locks._timeout = KeyedLock(), 1.0
    locks._coordinator = types.SimpleNamespace(get_lock=lambda name: GivesUp())
    with pytest.raises(TransientError, match='coordination backend failed locking web1'):
        with locks('web1'):
            pass
    assert len(locks) == 0
    with locks.try_lock('audit') as mine:
        assert mine is False


def test_a_stop_waits_for_a_backend_that_is_down_only_so_long(caplog):
    # tooz joins its heartbeat thread, which retries a backend that is gone.
    release = threading.Event()
    locks = DistributedLocks.__new__(DistributedLocks)
    locks._coordinator = types.SimpleNamespace(stop=lambda: release.wait(30))
    started = time.monotonic()
    locks.stop(timeout=0.2)
    assert time.monotonic() - started < 10
    assert 'did not answer at stop within 0.2s' in caplog.text
    release.set()
    caplog.clear()
    locks._coordinator = types.SimpleNamespace(stop=lambda: None)
    locks.stop(timeout=5)
    assert 'did not answer' not in caplog.text
