"""The batcher: concurrent calls share one IPA batch; each gets its own outcome."""

import threading

import pytest
from python_freeipa import exceptions as ipa_exc

from notify.adapters.ipa import batch_entry_error
from notify.batch import Batcher
from notify.errors import TransientError


class Recorder:
    def __init__(self):
        self.single, self.batches = [], []

    def one(self, method, args, options):
        self.single.append((method, args))
        return {'single': args[0]}

    def many(self, calls):
        self.batches.append(calls)
        return [ValueError(f'bad {a[0]}') if a[0] == 'x3' else {'batched': a[0]}
                for _, a, _ in calls]


def run_concurrently(batcher, names):
    results = {}

    def work(name):
        try:
            results[name] = batcher.call('host_del', (name,), {})
        except Exception as exc:
            results[name] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    return results


def test_lone_call_goes_out_as_itself():
    rec = Recorder()
    batcher = Batcher(rec.one, rec.many, window=0.01, max_size=10, senders=2)
    assert batcher.call('host_del', ('a',), {}) == {'single': 'a'}
    assert rec.batches == []


def test_concurrent_calls_share_batches_and_keep_their_own_outcome():
    rec = Recorder()
    batcher = Batcher(rec.one, rec.many, window=0.2, max_size=4, senders=2)
    names = [f'x{i}' for i in range(8)]
    results = run_concurrently(batcher, names)
    assert sum(len(b) for b in rec.batches) + len(rec.single) == 8
    assert all(len(b) <= 4 for b in rec.batches) and len(rec.batches) >= 2
    assert isinstance(results['x3'], ValueError)
    assert all(results[n] in ({'batched': n}, {'single': n}) for n in names if n != 'x3')


def test_failed_request_fails_every_call_in_it():
    def many(calls):
        raise ConnectionError('down')
    batcher = Batcher(lambda *a: None, many, window=0.2, max_size=3, senders=1)
    results = run_concurrently(batcher, ['a', 'b', 'c'])
    assert all(isinstance(r, ConnectionError) for r in results.values())


def test_batch_entry_error_maps_ipa_codes():
    assert isinstance(batch_entry_error({'error': 'x: host not found', 'error_code': 4001,
                                         'error_name': 'NotFound'}), ipa_exc.NotFound)
    exc = batch_entry_error({'error': 'no modifications to be performed',
                             'error_code': 4202, 'error_name': 'EmptyModlist'})
    assert isinstance(exc, ipa_exc.BadRequest) and exc.code == 4202


def test_short_answer_fails_the_calls_left_without_a_result():
    def many(calls):
        return [{'batched': a[0]} for _, a, _ in calls[:1]]
    batcher = Batcher(lambda *a: None, many, window=0.3, max_size=3, senders=1)
    results = run_concurrently(batcher, ['a', 'b', 'c'])
    assert len(results) == 3, 'a call never returned'
    answered = [r for r in results.values() if isinstance(r, dict)]
    missing = [r for r in results.values() if isinstance(r, TransientError)]
    assert len(answered) == 1 and len(missing) == 2, results


def test_a_caller_waits_a_bounded_time_and_a_call_not_sent_yet_never_is():
    release, sent = threading.Event(), []

    def one(method, args, options):
        sent.append(args[0])
        release.wait(10)
        return {'single': args[0]}

    batcher = Batcher(one, None, window=0.01, max_size=10, senders=1, timeout=0.5)
    first = {}
    worker = threading.Thread(target=lambda: first.update(
        r=run_concurrently(batcher, ['held'])))
    worker.start()
    try:
        while not sent:   # bounded by the join below
            release.wait(0.01)
        # The only sender is busy: this call waits, then gives up.
        with pytest.raises(TransientError):
            batcher.call('host_del', ('late',), {})
    finally:
        release.set()
        worker.join(10)
    assert isinstance(first['r']['held'], TransientError)   # it waited too long as well
    batcher.call('host_show', ('after',), {})
    assert 'late' not in sent, 'a call whose caller gave up was sent'


def test_writes_per_batch_are_capped_reads_are_not():
    rec = Recorder()
    batcher = Batcher(rec.one, rec.many, window=0.3, max_size=20, senders=2, max_writes=2,
                      is_write=lambda method: method == 'host_del')
    results = {}

    def work(method, name):
        results[name] = batcher.call(method, (name,), {})

    threads = [threading.Thread(target=work, args=('host_del', f'w{i}')) for i in range(5)]
    threads += [threading.Thread(target=work, args=('host_show', f'r{i}')) for i in range(6)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert len(results) == 11
    sent = rec.batches + [[('host_del' if a[0].startswith('w') else 'host_show', a, {})]
                          for _, a in rec.single]
    assert all(sum(m == 'host_del' for m, _, _ in b) <= 2 for b in sent), sent
    assert max(sum(m == 'host_show' for m, _, _ in b) for b in sent) >= 3, \
        'reads are not held back by the write cap'


def test_a_call_whose_own_answer_is_a_timeout_gets_that_answer():
    def one(method, args, options):
        raise TimeoutError('read timed out')   # e.g. the request's own socket timeout

    batcher = Batcher(one, None, window=0.0, max_size=10, senders=1, timeout=5)
    with pytest.raises(TimeoutError, match='read timed out'):
        batcher.call('host_show', ('a',), {})


def test_a_full_batch_goes_out_before_its_window_ends():
    rec = Recorder()
    batcher = Batcher(rec.one, rec.many, window=30, max_size=3, senders=1, timeout=10)
    results = run_concurrently(batcher, ['a', 'b', 'c'])   # joins within 10 s
    assert results == {n: {'batched': n} for n in 'abc'}
    assert [len(b) for b in rec.batches] == [3]


def test_a_large_window_is_shared_out_among_the_senders():
    rec = Recorder()
    gate = threading.Barrier(41, timeout=10)
    batcher = Batcher(rec.one, rec.many, window=0.5, max_size=50, senders=4, spread=10)
    names = [f'y{i}' for i in range(40)]

    def work(name):
        gate.wait()
        results[name] = batcher.call('host_show', (name,), {})

    results = {}
    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    [t.start() for t in threads]
    gate.wait()
    [t.join(10) for t in threads]
    assert results == {n: {'batched': n} for n in names}
    assert sorted(len(b) for b in rec.batches) == [10, 10, 10, 10]


@pytest.mark.parametrize('spread, calls, sizes', [(None, 30, [30]), (10, 10, [10]),
                                                  (10, 25, [8, 8, 9]), (4, 30, [10, 10, 10])])
def test_how_a_window_is_shared_out(spread, calls, sizes):
    batcher = Batcher(None, None, max_size=50, senders=3, spread=spread)
    chunks = batcher._chunks(list(range(calls)), idle=3)
    assert sorted(len(c) for c in chunks) == sizes
    assert [x for c in chunks for x in c] == list(range(calls))     # order kept


def test_while_every_sender_is_busy_the_window_stays_open():
    """A slow server gets fewer, larger batches: calls arriving while the only
    sender waits for an answer join one batch, however long the wait."""
    rec, release = Recorder(), threading.Event()

    def slow_one(method, args, options):
        release.wait(10)
        return rec.one(method, args, options)

    batcher = Batcher(slow_one, rec.many, window=0.01, max_size=50, senders=1, timeout=20)
    first = threading.Thread(target=batcher.call, args=('host_del', ('a',), {}))
    first.start()
    while not batcher._busy:                      # 'a' went out alone, and waits
        threading.Event().wait(0.005)
    later = threading.Thread(target=run_concurrently, args=(batcher, ['b', 'c', 'd']))
    later.start()
    threading.Event().wait(0.2)                  # 20 windows long
    assert rec.batches == [] and rec.single == []
    release.set()
    first.join(10)
    later.join(10)
    assert rec.single == [('host_del', ('a',))]
    assert [sorted(a[0] for _, a, _ in b) for b in rec.batches] == [['b', 'c', 'd']]
