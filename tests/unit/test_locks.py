import threading
import time

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
