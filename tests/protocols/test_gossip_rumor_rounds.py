"""Rumor mongering in rounds (Demers et al.'s residue against traffic) and gossip's fault tolerance."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import run
from dsysedu.protocols.membership import gossip
from dsysedu.protocols.membership.gossip.rounds import tolerance_sweep


def mean_run(k, seeds=range(10), **kw):
    runs = [gossip.rumor_mongering_rounds(1000, k, seed=seed, **kw) for seed in seeds]
    return {key: float(np.mean([r[key] for r in runs])) for key in ("residue", "traffic")}


@pytest.mark.parametrize("stop", ["feedback-counter", "blind-coin"])
def test_residue_is_about_e_to_the_minus_traffic(stop):
    # Demers et al.'s relation for push rumor mongering: s = exp(-m)
    for k in (2, 3, 4):
        r = mean_run(k, stop=stop)
        assert r["residue"] == pytest.approx(math.exp(-r["traffic"]), rel=0.25, abs=2e-3)


def test_a_larger_counter_costs_traffic_and_buys_residue():
    runs = [mean_run(k) for k in (1, 2, 3, 4, 5)]
    assert all(a["residue"] > b["residue"] and a["traffic"] < b["traffic"] for a, b in zip(runs, runs[1:]))
    # k = 1 lands where Demers et al.'s table does (0.18, 1.7)
    assert abs(runs[0]["residue"] - 0.18) < 0.03 and abs(runs[0]["traffic"] - 1.7) < 0.2


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 300), st.integers(1, 5), st.integers(0, 10_000),
       st.sampled_from(["feedback-counter", "blind-coin"]), st.floats(0, 0.5), st.floats(0, 0.5))
def test_rumor_rounds_stay_within_their_bounds(n, k, seed, stop, loss, crashed):
    r = gossip.rumor_mongering_rounds(n, k, seed=seed, stop=stop, loss=loss, crashed=crashed)
    assert 0.0 <= r["residue"] < 1.0 and r["traffic"] >= 1.0 / n and r["rounds"] >= 1
    assert r == gossip.rumor_mongering_rounds(n, k, seed=seed, stop=stop, loss=loss, crashed=crashed)


@pytest.mark.parametrize("kwargs, match", [({"n": 1, "k": 1}, "n >= 2"), ({"n": 10, "k": 0}, "k"),
                                           ({"n": 10, "k": 1, "stop": None}, "stop"),
                                           ({"n": 10, "k": 1, "loss": 1.5}, "loss")])
def test_rumor_rounds_refuse_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gossip.rumor_mongering_rounds(**kwargs)


def test_the_event_simulator_lies_on_the_same_curve_and_counts_its_updates():
    stats = gossip.spread_stats(run(gossip.gossip_scenario(300, stop="feedback-counter", k=2, until=60.0), seed=1))
    # every informed node was told once by a push that mattered; feedback messages are traffic, not updates
    assert stats.updates >= stats.informed / stats.n - 1e-9 and stats.traffic > stats.updates
    assert stats.residue == pytest.approx(math.exp(-stats.updates), abs=0.05)


def test_gossip_informs_every_live_node_with_half_crashed_or_half_lost():
    df = tolerance_sweep(500, crashed=(0.0, 0.5), losses=(0.5,), seeds=range(3))
    assert (df.informed == 1.0).all()
    base = df[(df.fault == "crashed") & (df.level == 0.0)].groupby("mode").rounds.mean()
    hurt = df[df.level == 0.5].groupby(["fault", "mode"]).rounds.mean()
    for fault in ("crashed", "loss"):
        assert (hurt[fault] > base).all() and (hurt[fault] < 2.6 * base).all()


def test_tolerance_sweep_refuses_shares_outside_zero_to_one():
    with pytest.raises(ValueError, match="crashed share"):
        tolerance_sweep(50, crashed=(1.0,), losses=(), seeds=[0])
    with pytest.raises(ValueError, match="loss"):
        tolerance_sweep(50, crashed=(), losses=(-0.1,), seeds=[0])
