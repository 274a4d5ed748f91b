"""The watchdog: work in flight that never finishes, and prefetch slots held by
messages neither in a handler nor acknowledged."""

import weakref

from notify.endpoint import Progress
from notify.watchdog import MIN_HELD, SWEEP_AT, Deliveries, Watchdog
from tests.unit.fakes import Clock


class Channel:
    def __init__(self):
        self.is_open = True


class Raw:
    def __init__(self):
        self.channel = Channel()
        self.acknowledged = False


def make(stall=30.0, workers=4):
    clock = Clock()
    progress, deliveries = Progress(clock), Deliveries(clock)
    return clock, progress, deliveries, Watchdog(progress, deliveries, stall, workers)


def test_a_delivery_out_of_any_handler_and_unacknowledged_is_noticed():
    clock, progress, deliveries, watchdog = make()
    raw = Raw()
    deliveries.delivered(raw)
    clock.now += 29
    assert watchdog.problem() is None
    clock.now += 2
    problem = watchdog.problem()
    assert problem and '1 message(s)' in problem and 'prefetch' in problem


def test_a_delivery_in_a_handler_is_not_held():
    clock, progress, deliveries, watchdog = make()
    raw = Raw()
    deliveries.delivered(raw)
    deliveries.entered(raw)
    progress.started()
    clock.now += 20
    progress.started()
    progress.finished()   # other work goes on
    clock.now += 20
    assert watchdog.problem() is None
    deliveries.left(raw)
    progress.finished()
    clock.now += 29      # out of the handler for less than watchdog_stall
    assert watchdog.problem() is None
    clock.now += 2
    assert watchdog.problem() is not None


def test_settled_deliveries_are_forgotten():
    clock, progress, deliveries, watchdog = make()
    acked, gone = Raw(), Raw()
    deliveries.delivered(acked)
    deliveries.delivered(gone)
    acked.acknowledged = True
    gone.channel.is_open = False   # its connection died: the broker has it back
    clock.now += 100
    assert watchdog.problem() is None and len(deliveries) == 0


def test_deliveries_waiting_for_a_free_worker_are_not_held():
    clock, progress, deliveries, watchdog = make(workers=2)
    deliveries.delivered(Raw())
    progress.started()
    progress.started()
    clock.now += 10
    progress.finished()
    progress.started()   # still every worker busy, and work finishing
    clock.now += 25
    assert watchdog.problem() is None


def test_acknowledgement_lag_is_not_a_stall():
    clock, progress, deliveries, watchdog = make(stall=2.0)
    raw = Raw()
    deliveries.delivered(raw)
    deliveries.entered(raw)
    deliveries.left(raw)
    clock.now += MIN_HELD - 1
    assert watchdog.problem() is None
    clock.now += 2
    assert watchdog.problem() is not None


def test_work_in_flight_that_never_finishes_is_noticed():
    clock, progress, deliveries, watchdog = make()
    progress.started()
    clock.now += 31
    assert 'no notification finished for 31s' in watchdog.problem()


def test_the_view_is_bounded():
    clock = Clock()
    deliveries = Deliveries(clock, limit=10)
    raws = [Raw() for _ in range(20)]
    for raw in raws:
        deliveries.delivered(raw)
    assert len(deliveries) == 10
    for raw in raws[:10]:
        raw.acknowledged = True
    deliveries.delivered(Raw())
    assert len(deliveries) == 1


def test_settled_deliveries_are_let_go_without_the_watchdog_looking():
    """Under full load the watchdog does not look (every worker busy): settled
    messages, each holding its body, are let go anyway, not kept by the thousand."""
    clock, progress, deliveries, watchdog = make(workers=1)
    progress.started()
    kept = []
    for _ in range(5000):
        raw = Raw()
        deliveries.delivered(raw)
        raw.acknowledged = True
        kept.append(weakref.ref(raw))
        assert watchdog.problem() is None      # busy: no look at the deliveries
    del raw
    assert sum(1 for ref in kept if ref() is not None) <= SWEEP_AT


def test_unsettled_deliveries_stay_in_view_across_sweeps():
    clock, progress, deliveries, watchdog = make()
    waiting = [Raw() for _ in range(SWEEP_AT + 10)]
    for raw in waiting:
        deliveries.delivered(raw)
    for _ in range(3 * SWEEP_AT):
        raw = Raw()
        deliveries.delivered(raw)
        raw.acknowledged = True
    clock.now += MIN_HELD + 31
    assert watchdog.problem().startswith(f'{SWEEP_AT + 10} message(s) delivered')
