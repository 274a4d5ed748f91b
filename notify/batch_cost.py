"""What a request to a batching server costs, learned from the requests sent.

A server that takes batches (IPA's ``batch`` command) answers one of k entries in
about ``a + b * k`` seconds: ``a`` per request (network, TLS, the session, the
server's framework), ``b`` per entry. IPA runs a batch's entries one after
another, each as a full command, so ``b`` is whatever the commands cost there:
next to nothing for a look-up, far more for a ``host_del`` that revokes
certificates and removes DNS records. Which part dominates differs between
deployments and over time, so it is measured, not configured: a least-squares
line through the recent (entries, seconds) pairs, each new pair weighing a
little more than the one before (``decay``).

``batches(calls, senders)`` is how many requests, side by side, a window of
``calls`` calls is best sent as: one while the entries' share of a batch's time
is below the request's (batching then saves requests and costs no time); more,
up to ``senders``, while a batch would mostly wait on its own entries (several
connections then work on them at once). None while the pairs seen so far cannot
tell the two parts apart (every request held the same number of entries): the
caller keeps its own rule until then.
"""

import math
import threading

DECAY = 0.97            # weight kept by each older pair when a new one comes
MIN_SIZE_SPREAD = 0.5   # entries: the standard deviation of the batch sizes seen
                        # below which the per-entry cost cannot be told apart
MIN_REQUEST = 0.001     # seconds: floor of the per-request part in the ratio


class RequestCost:
    def __init__(self, decay=DECAY):
        self._decay = decay
        self._lock = threading.Lock()
        # decayed sums of: weight, k, k*k, seconds, k*seconds
        self._w = self._k = self._kk = self._t = self._kt = 0.0

    def observe(self, entries, seconds):
        """One answered request of ``entries`` entries (1 for a lone command) that
        took ``seconds`` from sending to its answer."""
        if entries < 1 or not seconds >= 0:
            return
        d = self._decay
        with self._lock:
            self._w = self._w * d + 1.0
            self._k = self._k * d + entries
            self._kk = self._kk * d + entries * entries
            self._t = self._t * d + seconds
            self._kt = self._kt * d + entries * seconds

    def estimate(self):
        """(per request, per entry) in seconds, both >= 0; None when unknown."""
        with self._lock:
            w, k, kk, t, kt = self._w, self._k, self._kk, self._t, self._kt
        if w <= 0:
            return None
        variance = kk / w - (k / w) ** 2
        if variance < MIN_SIZE_SPREAD ** 2:
            return None
        per_entry = max(0.0, (kt / w - (k / w) * (t / w)) / variance)
        per_request = max(0.0, t / w - per_entry * k / w)
        return per_request, per_entry

    def batches(self, calls, senders):
        """How many requests a window of ``calls`` calls should go out as
        (1..min(calls, senders)), or None when the cost is unknown."""
        estimate = self.estimate()
        if estimate is None:
            return None
        per_request, per_entry = estimate
        wanted = math.ceil(per_entry * calls / max(per_request, MIN_REQUEST))
        return max(1, min(senders, calls, wanted))
