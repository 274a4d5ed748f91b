"""Coalesce concurrent calls of the workers into batches.

Workers handling notifications at the same time each make their own calls (an
IPA command, a nova look-up). Calls arriving within ``window`` seconds of each
other (up to ``max_size``) are sent as one batch (an IPA ``batch`` request, one
nova query); a lone call goes out as itself. Every caller gets its own result,
or its own error: one failing entry of a batch fails only the notification it
belongs to. Several batches may be in flight at once.
"""

import concurrent.futures
import logging
import threading
import time

LOG = logging.getLogger(__name__)


class Batcher:
    def __init__(self, send_one, send_batch, window=0.01, max_size=50, senders=8,
                 name='batcher'):
        self._send_one = send_one        # (method, args, options) -> result
        self._send_batch = send_batch    # [(method, args, options)] -> [result | exception]
        self._window = window
        self._max_size = max_size
        self._pending = []
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
            self._cond.notify()
        return future.result()

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
                items = self._pending[:self._max_size]
                del self._pending[:self._max_size]
            self._pool.submit(self._send, items)

    def _send(self, items):
        try:
            if len(items) == 1:
                method, args, options, future = items[0]
                future.set_result(self._send_one(method, args, options))
                return
            results = self._send_batch([(m, a, o) for m, a, o, _ in items])
            for (_, _, _, future), result in zip(items, results):
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        except BaseException as exc:   # the whole request failed: so did every call in it
            for *_, future in items:
                if not future.done():
                    future.set_exception(exc)
