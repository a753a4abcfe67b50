"""Latency distributions, what links do to messages in a run (latency, loss, duplication,
FIFO), and the network object's decisions under partitions, cut links and loss."""
from __future__ import annotations

import math
import random
import statistics

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.sim import Constant, Exponential, LinkModel, LogNormal, Scenario, Uniform, run
from dsysedu.sim.network import Network, as_latency
from sim_helpers import Chat, Chatter, Sender, link_models

N = 20_000


def draws(dist, seed=1, n=N):
    rnd = random.Random(seed)
    return [dist.sample(rnd) for _ in range(n)]


def assert_mean_close(xs, mean):
    # four standard errors: fails by chance about once in 15 000 runs (and the seed is fixed)
    se = statistics.pstdev(xs) / math.sqrt(len(xs))
    assert abs(statistics.fmean(xs) - mean) <= 4 * se + 1e-12, (statistics.fmean(xs), mean, se)


def test_constant():
    xs = draws(Constant(0.025), n=100)
    assert set(xs) == {0.025}
    assert Constant(0.025).mean == 0.025


@pytest.mark.parametrize("low, high", [(0.0, 0.01), (0.005, 0.015), (0.2, 0.2)])
def test_uniform(low, high):
    xs = draws(Uniform(low, high))
    assert min(xs) >= low and max(xs) <= high
    if high > low:
        # the samples spread over the interval: both ends' tenths are hit
        assert min(xs) < low + (high - low) / 10 and max(xs) > high - (high - low) / 10
        assert_mean_close(xs, Uniform(low, high).mean)
    assert Uniform(low, high).mean == pytest.approx((low + high) / 2)


@pytest.mark.parametrize("mean_extra, minimum", [(0.01, 0.0), (0.05, 0.02)])
def test_exponential(mean_extra, minimum):
    dist = Exponential(mean_extra, minimum)
    xs = draws(dist)
    assert min(xs) >= minimum
    assert dist.mean == pytest.approx(minimum + mean_extra)
    assert_mean_close(xs, dist.mean)
    # memoryless tail: P(X > minimum + mean_extra) = 1/e
    frac = sum(x > minimum + mean_extra for x in xs) / len(xs)
    assert abs(frac - math.exp(-1)) < 0.02


@pytest.mark.parametrize("median, sigma", [(0.01, 0.5), (0.05, 1.0)])
def test_lognormal(median, sigma):
    dist = LogNormal(median, sigma)
    xs = draws(dist)
    assert min(xs) > 0
    assert abs(statistics.median(xs) / median - 1) < 0.05
    assert dist.mean == pytest.approx(median * math.exp(sigma**2 / 2))
    assert_mean_close(xs, dist.mean)
    # log-normal: the logs are normal with standard deviation sigma
    assert statistics.pstdev([math.log(x) for x in xs]) == pytest.approx(sigma, rel=0.03)


def test_lognormal_without_spread_is_constant():
    assert set(draws(LogNormal(0.02, 0.0), n=50)) == {0.02}


def test_sampling_is_reproducible_from_the_generator():
    for dist in (Uniform(0, 1), Exponential(0.1), LogNormal(0.1, 0.5)):
        assert draws(dist, seed=3, n=50) == draws(dist, seed=3, n=50)
        assert draws(dist, seed=3, n=50) != draws(dist, seed=4, n=50)


def test_numbers_become_constant_latency():
    assert LinkModel(latency=0.05).latency == Constant(0.05)
    assert LinkModel(latency=0).latency == Constant(0.0)
    assert as_latency(Uniform(0.1, 0.2)) == Uniform(0.1, 0.2)
    assert LinkModel().latency == Constant(0.01)


# ------------------------------------------------------------------ in a run


def one_way(link, count=400, gap=0.001, until=5.0, seed=0, links=None):
    """Node 0 sends ``count`` messages to node 1, one every ``gap`` seconds."""
    sc = Scenario({0: Sender, 1: Sender}, nodes=2, link=link, links=links or {},
                  params={"to": 1, "count": count, "gap": gap}, until=until)
    return run(sc, seed=seed)


def test_constant_latency_is_exact():
    msgs = one_way(LinkModel(latency=0.03), count=20).messages()
    assert (msgs.status == "delivered").all()
    assert msgs.latency.tolist() == pytest.approx([0.03] * 20)


def test_reordering_link_latency_follows_distribution():
    msgs = one_way(LinkModel(latency=Uniform(0.01, 0.09), reorder=True)).messages()
    assert msgs.latency.between(0.01, 0.09).all()
    assert abs(msgs.latency.mean() - 0.05) < 0.005
    # messages sent 1 ms apart with 80 ms of spread overtake each other
    order = msgs.sort_values("deliver_time").msg_id.tolist()
    assert order != sorted(order)


def test_fifo_link_keeps_order_and_only_adds_delay():
    msgs = one_way(LinkModel(latency=Uniform(0.01, 0.09), reorder=False)).messages()
    assert (msgs.latency >= 0.01 - 1e-12).all()
    assert msgs.sort_values("deliver_time", kind="stable").msg_id.tolist() == msgs.msg_id.tolist()
    assert msgs.deliver_time.is_monotonic_increasing


@pytest.mark.parametrize("loss", [0.0, 0.25, 1.0])
def test_loss_rate(loss):
    msgs = one_way(LinkModel(latency=0.01, loss=loss), count=800).messages()
    dropped = msgs[msgs.status == "dropped"]
    assert (dropped.drop_reason == "loss").all()
    frac = len(dropped) / len(msgs)
    assert abs(frac - loss) < 4 * math.sqrt(loss * (1 - loss) / len(msgs)) + 1e-9
    assert (msgs[msgs.status == "delivered"].deliveries == 1).all()


@pytest.mark.parametrize("dup", [0.0, 0.3, 1.0])
def test_duplicate_rate(dup):
    trace = one_way(LinkModel(latency=Uniform(0.01, 0.02), duplicate=dup), count=800)
    msgs = trace.messages()
    twice = (msgs.deliveries == 2).sum()
    assert twice == trace.count("duplicate")
    assert abs(twice / len(msgs) - dup) < 4 * math.sqrt(dup * (1 - dup) / len(msgs)) + 1e-9
    assert msgs.deliveries.isin([1, 2]).all()


def test_per_link_override_is_directed():
    sc = Scenario(Sender, nodes=nx.path_graph(2), params={"count": 0},
                  link=LinkModel(latency=0.01), links={(0, 1): LinkModel(latency=0.2)})
    assert sc.link_of(0, 1).latency == Constant(0.2)
    assert sc.link_of(1, 0).latency == Constant(0.01)
    slow = one_way(LinkModel(latency=0.01), count=3, links={(0, 1): LinkModel(latency=0.2)}).messages()
    assert slow.latency.tolist() == pytest.approx([0.2] * 3)


def test_network_stream_only_shapes_the_network():
    """Changing the seed changes latencies, not what a deterministic protocol sends."""
    a = one_way(LinkModel(latency=Uniform(0.01, 0.05)), count=30, seed=1).messages()
    b = one_way(LinkModel(latency=Uniform(0.01, 0.05)), count=30, seed=2).messages()
    assert a.msg.tolist() == b.msg.tolist() == [Chat(0, k, 0) for k in range(30)]
    assert a.send_time.tolist() == b.send_time.tolist()
    assert a.latency.tolist() != b.latency.tolist()


class _SlowUntilOne(Constant):
    """0.5 s for a message sent before t = 1, then 0.01 s: a delay that depends on the send time."""
    time_dependent = True

    def sample_at(self, rnd, now):
        return 0.5 if now < 1.0 else 0.01


def test_time_dependent_latency_gets_the_send_time():
    sc = Scenario(Chatter, nodes=3, link=LinkModel(latency=_SlowUntilOne(), reorder=True), until=3.0)
    msgs = run(sc, seed=1).messages()
    delivered = msgs[(msgs["status"] == "delivered") & (msgs["src"] != msgs["dst"])]
    assert (delivered["send_time"] < 1.0).any() and (delivered["send_time"] >= 1.0).any()
    for _, m in delivered.iterrows():
        assert m["latency"] == pytest.approx(0.5 if m["send_time"] < 1.0 else 0.01)


# ------------------------------------------------------------------ the network object


def net_of(link=None, links=None, seed=1, nodes=(0, 1, 2)):
    """A Network over ``nodes`` with one default link model and per-link overrides."""
    link = link or LinkModel(latency=0.1)
    links = links or {}
    return Network(lambda src, dst: links.get((src, dst), link), random.Random(seed), nodes)


def test_transmit_adds_the_latency():
    net = net_of(LinkModel(latency=0.25))
    assert net.transmit(0, 1, now=1.0) == 1.25
    assert net.transmit(1, 0, now=2.0) == 2.25


def test_a_node_reaches_itself_at_once_whatever_the_links():
    net = net_of(LinkModel(latency=0.3, loss=1.0))
    assert [net.transmit(2, 2, now=1.5) for _ in range(5)] == [1.5] * 5


def test_partition_loses_messages_between_groups_only():
    net = net_of()
    net.partition(((0, 1), (2,)))
    assert net.blocked
    assert net.transmit(0, 2, 0.0) == "partition" and net.transmit(2, 1, 0.0) == "partition"
    assert net.transmit(0, 1, 0.0) == 0.1 and net.transmit(2, 2, 0.0) == 0.0
    assert net.block_reason(1, 2) == "partition" and net.block_reason(1, 0) is None
    assert net.heal() is True and not net.blocked
    assert net.transmit(0, 2, 1.0) == 1.1
    assert net.heal() is False            # nothing to heal


def test_cut_link_is_one_way_and_restore_reports_a_change():
    net = net_of()
    net.cut(0, 1)
    assert net.transmit(0, 1, 0.0) == "cut" and net.transmit(1, 0, 0.0) == 0.1
    assert net.restore(1, 0) is False and net.blocked      # that direction was never cut
    assert net.restore(0, 1) is True and not net.blocked
    assert net.transmit(0, 1, 0.0) == 0.1


def test_a_cut_inside_a_partition_says_cut_and_heal_keeps_the_cut():
    net = net_of()
    net.partition(((0, 1), (2,)))
    net.cut(0, 1)
    net.cut(0, 2)
    assert net.block_reason(0, 1) == "cut" and net.block_reason(0, 2) == "cut"
    assert net.block_reason(1, 2) == "partition"
    net.heal()
    assert net.blocked and net.block_reason(1, 2) is None and net.block_reason(0, 2) == "cut"


def test_blocked_messages_draw_nothing_from_the_stream():
    """A message lost to a partition or a cut does not shift the draws of the messages after it."""
    link = LinkModel(latency=Uniform(0.0, 1.0), loss=0.3)
    a, b = net_of(link, seed=5), net_of(link, seed=5)
    b.cut(1, 0)
    b.partition(((0, 1), (2,)))
    assert b.transmit(1, 0, 0.0) == "cut" and b.transmit(0, 2, 0.0) == "partition"
    assert [a.transmit(0, 1, 0.0) for _ in range(20)] == [b.transmit(0, 1, 0.0) for _ in range(20)]


def test_draw_order_is_loss_latency_duplicate_latency():
    link = LinkModel(latency=Uniform(0.0, 1.0), loss=0.5, duplicate=0.5, reorder=True)
    net, rnd = net_of(link, seed=11), random.Random(11)
    for _ in range(200):
        got = net.transmit(0, 1, 2.0)
        if rnd.random() < 0.5:
            assert got == "loss"
            continue
        first = 2.0 + 0.0 + 1.0 * rnd.random()
        if rnd.random() < 0.5:
            assert got == (first, 2.0 + rnd.random())
        else:
            assert got == first


def test_every_message_is_lost_or_duplicated_at_probability_one():
    assert {net_of(LinkModel(latency=0.1, loss=1.0), seed=s).transmit(0, 1, 0.0) for s in range(20)} == {"loss"}
    assert net_of(LinkModel(latency=0.1, duplicate=1.0)).transmit(0, 1, 0.0) == (0.1, 0.1)


def test_per_link_models_are_directed():
    net = net_of(LinkModel(latency=0.1), links={(0, 1): LinkModel(latency=0.5)})
    assert net.transmit(0, 1, 0.0) == 0.5 and net.transmit(1, 0, 0.0) == 0.1


def test_a_time_dependent_latency_gets_the_send_time():
    net = net_of(LinkModel(latency=_SlowUntilOne()))
    assert net.transmit(0, 1, 0.5) == 1.0 and net.transmit(0, 1, 2.0) == 2.01


class _SlowerEarly(Uniform):
    """Twice the uniform delay for messages sent before t = 1: a time-dependent subclass that draws
    through its own ``sample``."""
    time_dependent = True

    def sample_at(self, rnd, now):
        return self.sample(rnd) * (2.0 if now < 1.0 else 1.0)


def test_a_time_dependent_uniform_may_draw_from_its_own_sample():
    net = net_of(LinkModel(latency=_SlowerEarly(0.1, 0.2), reorder=True))
    early, late = net.transmit(0, 1, 0.0), net.transmit(0, 1, 2.0)
    assert 0.2 <= early <= 0.4 and 2.1 <= late <= 2.2


@pytest.mark.parametrize("dist", [Constant(0.02), Uniform(0.01, 0.03), Exponential(0.01, 0.005),
                                  LogNormal(0.02, 0.5)])
def test_arrival_is_the_send_time_plus_a_sample(dist):
    a, b = random.Random(4), random.Random(4)
    for now in (0.0, 0.7, 3.25):
        assert dist.arrival(a, now) == pytest.approx(now + dist.sample(b), abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(link=link_models(), gaps=st.lists(st.integers(0, 20).map(lambda k: k / 1000), min_size=1, max_size=40),
       seed=st.integers(0, 2**32))
def test_fifo_links_never_reorder_and_same_seed_same_decisions(link, gaps, seed):
    link = LinkModel(latency=link.latency, loss=link.loss, duplicate=link.duplicate, reorder=False)

    def decisions(s):
        net, now, out = net_of(link, seed=s), 0.0, []
        for gap in gaps:
            now += gap
            out.append(net.transmit(0, 1, now))
        return out

    got = decisions(seed)
    assert got == decisions(seed)
    arrivals = []
    for d in got:
        if not isinstance(d, str):
            arrivals.extend(d if isinstance(d, tuple) else (d,))
    assert arrivals == sorted(arrivals)
