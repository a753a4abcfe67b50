"""Push-sum: mass is conserved without loss, estimates reach the average in O(log N) rounds, loss means bias."""
from __future__ import annotations

import doctest
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import run
from dsysedu.protocols.membership import aggregation as module
from dsysedu.protocols.membership.aggregation import (LeakyPushSum, PushSum, Share, conservation, estimates_at,
                                                  mass_history, push_sum_rounds, push_sum_scenario,
                                                  rounds_to_error)
from dsysedu.sim.node import OBSERVE, SEND, SET_TIMER, Context

values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60)


@st.composite
def graphs(draw, max_n=40):
    """Random graphs of every kind the kernel meets: sparse, dense, with isolated nodes, trees."""
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["gnp", "tree", "cycle", "star"]))
    seed = draw(st.integers(0, 10_000))
    if kind == "gnp":
        return nx.gnp_random_graph(n, draw(st.floats(0.0, 1.0)), seed=seed)
    if kind == "tree":
        return nx.random_labeled_tree(n, seed=seed) if n > 1 else nx.empty_graph(1)
    return nx.cycle_graph(n) if kind == "cycle" else nx.star_graph(n - 1)


# -- handlers -------------------------------------------------------------------------

def test_a_round_keeps_half_and_sends_half_to_one_peer():
    node = PushSum(0, peers=(1, 2, 3), value=6.0, rounds=2, desync=False)
    ctx = Context(0, node.peers)
    node.on_start(ctx)
    assert ctx.take_effects() == [(OBSERVE, "mass", (6.0, 1.0)), (SET_TIMER, "round", 0.0)]
    node.on_timer(ctx, "round")
    eff = ctx.take_effects()
    assert [e for e in eff if e[0] == SEND][0][2] == Share(3.0, 0.5)
    assert (node.sum, node.weight) == (3.0, 0.5)
    assert (OBSERVE, "estimate", 6.0) in eff and eff[-1] == (SET_TIMER, "round", 1.0)
    node.on_message(ctx, 2, Share(1.0, 0.5))
    assert (node.sum, node.weight) == (4.0, 1.0) and ctx.take_effects() == [(OBSERVE, "mass", (4.0, 1.0))]
    node.on_timer(ctx, "round")          # the last of its 2 rounds: no new timer
    assert not [e for e in ctx.take_effects() if e[0] == SET_TIMER]


# -- conservation -----------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(graph=graphs(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_rounds_conserve_mass_exactly_without_loss(graph, seed, data):
    n = graph.number_of_nodes()
    x = data.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    r = push_sum_rounds(graph, x, rounds=25, seed=seed)
    scale = max(1.0, math.fsum(abs(v) for v in x))
    # halving is exact in binary floating point and additions round at 1e-16: 1e-12 is a wide margin
    assert np.all(np.abs(r.sums - math.fsum(x)) <= 1e-12 * scale)
    assert np.all(np.abs(r.weights - n) <= 1e-12 * n)


@settings(max_examples=25, deadline=None)
@given(graph=graphs(max_n=15), seed=st.integers(0, 10_000), loss=st.sampled_from([0.0, 0.2]), data=st.data())
def test_event_runs_keep_mass_held_in_flight_or_lost(graph, seed, loss, data):
    n = graph.number_of_nodes()
    x = data.draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n))
    trace = run(push_sum_scenario(graph, x, rounds=8, loss=loss), seed=seed)
    verdict = conservation(trace, x)
    assert verdict.ok, verdict
    h = mass_history(trace)
    if loss == 0.0:
        assert (h["lost_weight"] == 0).all()
    assert h["weight"].iloc[-1] <= n + 1e-9


@settings(max_examples=25, deadline=None)
@given(graph=graphs(max_n=15), seed=st.integers(0, 10_000))
def test_the_leaky_variant_is_caught_whenever_some_node_has_a_neighbour(graph, seed):
    x = [float(i) for i in range(graph.number_of_nodes())]
    verdict = conservation(run(push_sum_scenario(graph, x, rounds=3, protocol=LeakyPushSum), seed=seed), x)
    has_link = graph.number_of_edges() > nx.number_of_selfloops(graph)
    assert verdict.ok is not has_link
    if has_link:
        assert "weight" in verdict.message and verdict.events


# -- convergence --------------------------------------------------------------------------

def _budget(n, eps):
    # Kempe et al.: the squared error (their potential) halves per round in expectation, so the error
    # halves every 2 rounds; 2 (log2 N + log2 1/eps) rounds leave room for the log 1/delta term.
    return math.ceil(2 * (math.log2(max(n, 2)) + math.log2(1 / eps)))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 2000), seed=st.integers(0, 2**32 - 1), lo=st.floats(-1e3, 1e3), width=st.floats(1e-3, 1e3))
def test_error_falls_below_1e_3_within_o_log_n_rounds_on_complete_graphs(n, seed, lo, width):
    x = np.random.default_rng(seed).uniform(lo, lo + width, n)
    budget = _budget(n, 1e-3)
    r = push_sum_rounds(n, x, rounds=budget, seed=seed)
    assert r.error[-1] < 1e-3, (n, budget, r.error[-1])
    assert rounds_to_error(r, 1e-3) <= budget


def test_error_decays_exponentially_and_the_leak_never_converges():
    r = push_sum_rounds(1000, np.arange(1000.0), rounds=40, seed=2)
    slope = np.polyfit(np.arange(10, 41), np.log2(r.error[10:]), 1)[0]
    assert -1.0 < slope < -0.3                      # about half a bit of error per round
    trace = run(push_sum_scenario(nx.complete_graph(12), range(12), rounds=40, protocol=LeakyPushSum), seed=1)
    assert max(abs(e - 5.5) for e in estimates_at(trace, trace.end_time).values()) > 1.0


def test_event_simulator_agrees_with_the_average():
    x = np.random.default_rng(4).uniform(0, 10, 30)
    trace = run(push_sum_scenario(nx.complete_graph(30), x, rounds=40), seed=4)
    est = estimates_at(trace, trace.end_time)
    assert len(est) == 30 and max(abs(e - x.mean()) for e in est.values()) < 1e-3 * np.ptp(x)


def test_loss_carries_mass_away_and_biases_the_estimates():
    x = np.linspace(1.0, 100.0, 200)
    clean = push_sum_rounds(200, x, rounds=60, seed=1)
    lossy = [push_sum_rounds(200, x, rounds=60, seed=s, loss=0.2) for s in range(5)]
    assert clean.error[-1] < 1e-6
    for r in lossy:
        assert r.weights[-1] < 200 * 0.5 and r.sums[-1] < clean.sums[-1]   # mass is gone for good
        assert np.ptp(r.estimates[-1]) < 1e-6 * r.average                  # they still agree ...
    assert max(r.error[-1] for r in lossy) > 100 * clean.error[-1]        # ... on a wrong value


def test_same_seed_same_run():
    a = push_sum_rounds(nx.cycle_graph(30), range(30), rounds=20, seed=9)
    b = push_sum_rounds(nx.cycle_graph(30), range(30), rounds=20, seed=9)
    c = push_sum_rounds(nx.cycle_graph(30), range(30), rounds=20, seed=10)
    assert np.array_equal(a.estimates, b.estimates) and not np.array_equal(a.estimates, c.estimates)


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: push_sum_rounds(5, [1, 2, 3]), "one number per node"),
    (lambda: push_sum_rounds(3, [1, float("nan"), 3]), "finite"),
    (lambda: push_sum_rounds(nx.empty_graph(0), []), "no nodes"),
    (lambda: push_sum_rounds(3, [1, 2, 3], loss=1.5), "loss"),
    (lambda: push_sum_rounds(3, [1, 2, 3], rounds=0), "rounds"),
    (lambda: push_sum_scenario(nx.path_graph(3), {0: 1.0, 1: 2.0}), "no number for node"),
    (lambda: push_sum_scenario(nx.path_graph(3), [1, 2, 3], round_time=0), "round_time"),
    (lambda: rounds_to_error(push_sum_rounds(3, [1, 2, 3]), 0.0), "eps"),
])
def test_bad_input_is_a_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call", [lambda: push_sum_rounds(True, [1.0]), lambda: push_sum_rounds("5", [1.0] * 5),
                                  lambda: push_sum_rounds(2, ["a", "b"])])
def test_wrong_types_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_doctests():
    assert doctest.testmod(module).failed == 0
