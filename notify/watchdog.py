"""What the systemd watchdog watches: work that finishes, prefetch slots that free.

Two ways the daemon can stop making progress without dying:
- notifications in flight and none finishing (IPA hangs...): endpoint.Progress;
- messages RabbitMQ delivered to this daemon that are neither in a handler nor
  acknowledged (each holds one of the ``rabbit_qos_prefetch_count`` slots: with
  all of them held, nothing more is delivered): ``Deliveries``, fed by the
  consumer callback (notify.compat) and the dispatcher.
"""

import threading
import time

# oslo.messaging sends acknowledgements from its polling thread, up to 5 s after
# the handler returned: a delivery is held only once out of a handler this long.
MIN_HELD = 15.0
# settled deliveries are let go once this many are kept (or twice as many as the
# last sweep left), whether or not the watchdog looked: under full load it does
# not (every worker busy), and each kept message holds its body
SWEEP_AT = 256


class Deliveries:
    """Deliveries not settled yet (acknowledged, handed back, rejected, or gone
    with their channel), by kombu message, with whether a handler has them."""

    def __init__(self, clock=time.monotonic, limit=100_000):
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._open = {}   # id(kombu message) -> [message, since, in a handler]
        self._sweep_at = SWEEP_AT

    def delivered(self, raw):
        with self._lock:
            if len(self._open) >= min(self._sweep_at, self._limit):
                self._sweep()
            if len(self._open) < self._limit:
                self._open[id(raw)] = [raw, self._clock(), False]

    def entered(self, raw):
        with self._lock:
            entry = self._open.get(id(raw))
            if entry is not None and entry[0] is raw:
                entry[2] = True

    def left(self, raw):
        with self._lock:
            entry = self._open.get(id(raw))
            if entry is not None and entry[0] is raw:
                entry[1:] = [self._clock(), False]

    def held(self, longer_than):
        """(count, seconds) of deliveries neither settled nor in a handler for
        more than ``longer_than`` seconds, and the longest such time."""
        with self._lock:
            self._sweep()
            now = self._clock()
            ages = [now - since for _, since, busy in self._open.values()
                    if not busy and now - since > longer_than]
        return len(ages), max(ages, default=0.0)

    def __len__(self):
        with self._lock:
            self._sweep()
            return len(self._open)

    def _sweep(self):
        for key in [key for key, (raw, _, _) in self._open.items() if _settled(raw)]:
            del self._open[key]
        self._sweep_at = max(SWEEP_AT, 2 * len(self._open))


def _settled(raw):
    try:
        if raw.acknowledged:
            return True
        channel = raw.channel
        return channel is None or not getattr(channel, 'is_open', True)
    except Exception:   # a message we cannot inspect is not ours to watch
        return True


class Watchdog:
    """Whether the daemon is making progress; the reason when it is not."""

    def __init__(self, progress, deliveries, stall, workers):
        self._progress = progress
        self._deliveries = deliveries
        self._stall = stall
        self._workers = workers

    def problem(self):
        stalled = self._progress.stalled_for()
        if stalled >= self._stall:
            return (f'no notification finished for {stalled:.0f}s while some are in '
                    'flight')
        # A delivery waiting for a free worker is not stuck.
        if self._deliveries is None or self._progress.in_flight >= self._workers:
            return None
        count, age = self._deliveries.held(max(self._stall, MIN_HELD))
        if count:
            return (f'{count} message(s) delivered by RabbitMQ have been neither handled '
                    f'nor acknowledged for {age:.0f}s, holding prefetch slots')
        return None
