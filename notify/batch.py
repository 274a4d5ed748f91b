"""Coalesce concurrent calls of the workers into batches.

Workers handling notifications at the same time each make their own calls (an
IPA command, a nova look-up). Calls arriving within ``window`` seconds of each
other (up to ``max_size``, of which at most ``max_writes`` change something)
are sent as one batch (an IPA ``batch`` request, one nova query); a lone call
goes out as itself. While every sender (one per connection) is busy, the window
stays open and keeps taking calls: a slow server gets fewer, larger batches.

A window of many calls may go out as several batches side by side, one per idle
sender at most: as many as ``cost`` (notify.batch_cost.RequestCost, what the
server's requests and entries were measured to cost) finds worth it; while that
is unknown, or without ``cost``, batches of at least ``spread`` calls (never
split without ``spread``). Every caller gets its own result, or its own error:
one failing entry of a batch fails only the notification it belongs to.

Every wait is bounded: a caller waits at most ``timeout`` seconds for its
answer, then gets a TransientError (and its call is not sent if it has not
gone out yet); a batch answer with fewer results than calls fails the calls
left without one with a TransientError.
"""

import concurrent.futures
import logging
import threading
import time

from notify.errors import TransientError

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0


class Batcher:
    def __init__(self, send_one, send_batch, window=0.01, max_size=50, senders=8,
                 name='batcher', timeout=DEFAULT_TIMEOUT, max_writes=None, is_write=None,
                 spread=None, cost=None):
        self._send_one = send_one        # (method, args, options) -> result
        self._send_batch = send_batch    # [(method, args, options)] -> [result | exception]
        self._window = window
        self._max_size = max_size
        self._max_writes = max_size if max_writes is None else max(1, max_writes)
        self._is_write = is_write or (lambda method: False)
        self._timeout = timeout
        self._name = name
        self._senders = senders
        self._spread = spread
        self._cost = cost
        self._pending = []
        self._busy = 0     # batches handed to the senders and not answered yet
        self._cond = threading.Condition()
        self._pool = concurrent.futures.ThreadPoolExecutor(senders,
                                                           thread_name_prefix=name)
        self._thread = threading.Thread(target=self._collect, name=name,
                                        daemon=True)
        self._thread.start()

    def call(self, method, args, options):
        future = concurrent.futures.Future()
        with self._cond:
            self._pending.append((method, args, options, future))
            # The collector needs waking only to open a window or to close a full
            # one: not once per call (each wake-up is a thread switch).
            if len(self._pending) == 1 or len(self._pending) >= self._max_size:
                self._cond.notify()
        try:
            return future.result(timeout=self._timeout)
        except concurrent.futures.TimeoutError:
            if future.done():       # the call's own answer was a TimeoutError
                return future.result()
            future.cancel()   # not sent yet: it never will be
            raise TransientError(f'{self._name}: no answer to {method} within '
                                 f'{self._timeout:.0f}s') from None

    # -- collecting ---------------------------------------------------------

    def _collect(self):
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                deadline = time.monotonic() + self._window
                while len(self._pending) < self._max_size:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                # Every sender busy: the window stays open (calls keep joining it)
                # until one is free, so a slow server gets fewer, larger batches.
                while self._busy >= self._senders:
                    self._cond.wait(1.0)
                items = self._take()
                chunks = self._chunks(items, self._senders - self._busy)
                self._busy += len(chunks)
            for chunk in chunks:
                self._pool.submit(self._sent, chunk)

    def _chunks(self, items, idle):
        """The calls of one window as the batches to send, side by side (at most
        one per ``idle`` sender, >= 1): a server that runs a batch's entries one
        after another (IPA) then works on them over several connections instead of
        one. How many: see the module's text."""
        if not items:
            return []
        count = self._cost.batches(len(items), idle) if self._cost else None
        if count is None:
            if not self._spread or len(items) <= self._spread:
                return [items]
            count = min(idle, -(-len(items) // self._spread))
        size, extra = divmod(len(items), count)
        chunks, start = [], 0
        for index in range(count):
            end = start + size + (index < extra)
            chunks.append(items[start:end])
            start = end
        return chunks

    def _take(self):
        """The next batch: pending calls in order, at most max_size, at most
        max_writes of them writes (later writes wait for the next batch)."""
        items, rest, writes = [], [], 0
        for item in self._pending:
            if item[3].cancelled():
                continue
            write = self._is_write(item[0])
            if len(items) >= self._max_size or (write and writes >= self._max_writes):
                rest.append(item)
                continue
            writes += write
            items.append(item)
        self._pending[:] = rest
        return items

    # -- sending ------------------------------------------------------------

    def _sent(self, items):
        try:
            self._send(items)
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify()

    def _send(self, items):
        # A caller that gave up before its call went out is not sent.
        items = [item for item in items if item[3].set_running_or_notify_cancel()]
        if not items:
            return
        try:
            if len(items) == 1:
                method, args, options, future = items[0]
                _settle(future, self._send_one(method, args, options))
                return
            results = list(self._send_batch([(m, a, o) for m, a, o, _ in items]))
        except BaseException as exc:   # the whole request failed: so did every call in it
            for *_, future in items:
                _settle(future, exc)
            return
        for index, (method, _, _, future) in enumerate(items):
            if index < len(results):
                _settle(future, results[index])
            else:
                _settle(future, TransientError(
                    f'{self._name}: the batch answer holds {len(results)} results for '
                    f'{len(items)} calls; none for {method}'))
        if len(results) != len(items):
            LOG.warning('%s: a batch of %d calls was answered with %d results', self._name,
                        len(items), len(results))


def _settle(future, result):
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
