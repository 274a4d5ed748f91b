"""The measured cost of IPA requests and batch entries, and how a window of calls
is shared out by it: one batch while entries are cheap, up to one per
connection while a batch would wait on its own entries."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify import metrics
from notify.adapters import ipa as ipa_adapter
from notify.adapters.ipa_hosts import IPAHosts
from notify.batch import Batcher
from notify.batch_cost import RequestCost
from tests.unit.test_ipa_errors import World, client, concurrently, entries_ok


def learned(per_request, per_entry, sizes=(1, 2, 5, 10, 1, 3, 20, 7)):
    cost = RequestCost()
    for k in sizes:
        cost.observe(k, per_request + per_entry * k)
    return cost


def test_unknown_until_requests_of_different_sizes_were_seen():
    cost = RequestCost()
    assert cost.estimate() is None and cost.batches(10, 8) is None
    for _ in range(20):
        cost.observe(1, 0.02)      # lone commands only: the two parts are one sum
    assert cost.estimate() is None and cost.batches(10, 8) is None
    cost.observe(10, 0.03)
    cost.observe(20, 0.04)
    assert cost.estimate() is not None


def test_a_cost_per_request_keeps_a_window_in_one_batch():
    cost = learned(0.020, 0.0)
    per_request, per_entry = cost.estimate()
    assert per_request == pytest.approx(0.020) and per_entry == pytest.approx(0.0, abs=1e-9)
    assert cost.batches(50, 8) == 1


def test_a_cost_per_entry_spreads_a_window_over_the_connections():
    cost = learned(0.005, 0.015)       # IPA running each entry as a command
    assert cost.estimate() == pytest.approx((0.005, 0.015))
    assert cost.batches(40, 8) == 8
    assert cost.batches(3, 8) == 3     # never more batches than calls


def test_split_until_the_entries_share_is_about_the_requests():
    cost = learned(0.020, 0.001)       # a batch of 50: 20 ms + 50 ms
    assert cost.batches(50, 8) == 3    # ceil(50 ms / 20 ms)
    assert cost.batches(10, 8) == 1


def test_a_negative_slope_from_noise_counts_as_free_entries():
    cost = learned(0.0, 0.0, sizes=())
    for k, seconds in [(1, 0.030), (10, 0.020), (2, 0.029), (20, 0.018)]:
        cost.observe(k, seconds)
    per_request, per_entry = cost.estimate()
    assert per_entry == 0.0 and per_request > 0
    assert cost.batches(50, 8) == 1


def test_recent_requests_outweigh_old_ones():
    cost = learned(0.020, 0.0, sizes=(1, 5, 10, 20) * 10)
    assert cost.batches(40, 8) == 1
    for k in (1, 5, 10, 20) * 25:      # the server got slow per entry
        cost.observe(k, 0.005 + 0.015 * k)
    assert cost.batches(40, 8) == 8


def test_unusable_observations_are_ignored():
    cost = RequestCost()
    cost.observe(0, 1.0)
    cost.observe(3, float('nan'))
    cost.observe(3, -1.0)
    assert cost.estimate() is None


@settings(max_examples=200, deadline=None)
@given(per_request=st.floats(0.0, 1.0), per_entry=st.floats(0.0, 1.0),
       sizes=st.lists(st.integers(1, 100), min_size=2, max_size=60),
       calls=st.integers(1, 500), senders=st.integers(1, 64))
def test_exact_costs_are_recovered_and_the_split_is_bounded(per_request, per_entry, sizes,
                                                           calls, senders):
    cost = learned(per_request, per_entry, sizes)
    estimate = cost.estimate()
    count = cost.batches(calls, senders)
    if estimate is None:
        assert count is None
        return
    assert estimate == pytest.approx((per_request, per_entry), abs=1e-6)
    assert 1 <= count <= min(calls, senders)


def test_the_measured_cost_is_served_as_a_metric():
    cost = RequestCost()
    metrics.watch_ipa_cost(cost)

    def served(part):
        return metrics.REGISTRY.get_sample_value('novajoin_notify_ipa_cost_seconds',
                                                 {'part': part})
    assert math.isnan(served('request')) and math.isnan(served('entry'))
    for k in (1, 4, 10):
        cost.observe(k, 0.005 + 0.015 * k)
    assert served('request') == pytest.approx(0.005)
    assert served('entry') == pytest.approx(0.015)


# -- the batcher and the IPA client ---------------------------------------------

@pytest.mark.parametrize('cost, calls, sizes', [
    (learned(0.020, 0.0), 45, [45]),                 # per request: one batch
    (learned(0.005, 0.015), 45, [15, 15, 15]),       # per entry: every sender
    (learned(0.005, 0.015), 2, [1, 1]),
    (RequestCost(), 45, [15, 15, 15]),               # unknown: the spread rule (20)
])
def test_how_a_measured_cost_shares_out_a_window(cost, calls, sizes):
    batcher = Batcher(None, None, max_size=50, senders=3, spread=20, cost=cost)
    chunks = batcher._chunks(list(range(calls)), idle=3)
    assert sorted(len(c) for c in chunks) == sizes
    assert [x for c in chunks for x in c] == list(range(calls))     # order kept


class TimedWorld(World):
    """The fake IPA of test_ipa_errors on a clock (the IPA adapter's monotonic):
    20 ms a lone command; 5 ms a batch request plus 15 ms an entry."""

    def __init__(self):
        super().__init__()
        self.now = 0.0
        self.batch_answer = self._batch

    def monotonic(self):
        return self.now

    def _batch(self, methods):
        self.now += 0.005 + 0.015 * len(methods)
        return entries_ok(methods)

    def __call__(self, server, verify_ssl, dns_discovery):
        fake = super().__call__(server, verify_ssl, dns_discovery)
        answer = fake._request

        def timed(method, args=None, params=None):
            if method != 'batch':
                self.now += 0.020
            return answer(method, args, params)
        fake._request = timed
        return fake


def test_the_ipa_client_learns_what_its_requests_cost(monkeypatch):
    world = TimedWorld()
    monkeypatch.setattr(ipa_adapter, 'monotonic', world.monotonic)
    # one connection: requests one after another, each timed alone on the clock
    ipa = client(world, batch_window=0.3, batch_size=50, batch_max_writes=50,
                 max_connections=1)
    assert ipa.call('host_show', 'web0.example.test')
    outcomes = concurrently(IPAHosts(ipa).remove, [(f'web{i}.example.test',) for i in range(6)])
    assert outcomes == [True] * 6
    sizes = sorted({len(r[1][0]) for r in world.requests if r[0] == 'batch'})
    assert sizes and sizes[-1] > 1, world.requests
    assert ipa.cost.estimate() == pytest.approx((0.005, 0.015))
    assert ipa.cost.batches(40, 8) == 8
