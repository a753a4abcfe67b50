"""Gossip: everyone hears on connected graphs, the rounds match Pittel, rumor mongering trades residue for traffic."""
from __future__ import annotations

import doctest
import math

import networkx as nx
import numpy as np
import pytest

import dsysedu.protocols.membership.gossip as gossip_module
from dsysedu.protocols.membership.gossip import (INFECTIVE, REMOVED, SUSCEPTIBLE, AlreadyInformed, Gossip, Push,
                                      PullReply, PullRequest, gossip_scenario, mean_field_curve,
                                      pittel_rounds, rounds_to_full_spread, run_to_full_spread,
                                      simulate_rounds, spread_stats, theory_curve)
from dsysedu.sim.node import OBSERVE, SEND, SET_TIMER, Context

TOPOLOGIES = {
    "complete": lambda: nx.complete_graph(30),
    "random_regular": lambda: nx.random_regular_graph(4, 60, seed=1),
    "small_world": lambda: nx.connected_watts_strogatz_graph(60, 4, 0.1, seed=2),
    "ring": lambda: nx.cycle_graph(20),
}


def _rounds(n, mode, seeds, **kw):
    return np.array([rounds_to_full_spread(simulate_rounds(n, mode, seed=s, **kw), n) for s in seeds])


# -- handlers -------------------------------------------------------------------

def test_push_round_sends_fanout_pushes_and_sets_the_next_tick():
    node = Gossip(0, peers=(1, 2, 3, 4), origin=0, mode="push", fanout=2, desync=False)
    ctx = Context(0, node.peers)
    node.on_start(ctx)
    assert ctx.take_effects() == [(OBSERVE, "state", INFECTIVE), (OBSERVE, "informed", True),
                                  (SET_TIMER, "round", 0.0)]
    node.on_timer(ctx, "round")
    eff = ctx.take_effects()
    sends = [e for e in eff if e[0] == SEND]
    assert len(sends) == 2 and len({e[1] for e in sends}) == 2
    assert all(e[2] == Push(0) for e in sends)
    assert eff[-1] == (SET_TIMER, "round", 1.0)


def test_feedback_counter_removes_after_k_unneeded_pushes():
    node = Gossip(0, peers=(1, 2), origin=0, stop="feedback-counter", k=2)
    ctx = Context(0, node.peers)
    node.on_message(ctx, 1, AlreadyInformed())
    assert node.infection == INFECTIVE
    node.on_message(ctx, 2, AlreadyInformed())
    assert node.infection == REMOVED
    assert (OBSERVE, "state", REMOVED) in ctx.take_effects()


def test_susceptible_learns_from_push_and_informed_answers_pull_and_feedback():
    node = Gossip(1, peers=(0, 2), origin=0, mode="push-pull", stop="feedback-counter")
    ctx = Context(1, node.peers)
    node.on_message(ctx, 2, PullRequest())
    assert node.infection == SUSCEPTIBLE and ctx.take_effects() == []   # nothing to tell yet
    node.on_message(ctx, 0, Push(0))
    assert node.infection == INFECTIVE
    assert ctx.take_effects() == [(OBSERVE, "state", INFECTIVE), (OBSERVE, "informed", True)]
    node.on_message(ctx, 2, PullRequest())
    node.on_message(ctx, 0, Push(0))
    assert ctx.take_effects() == [(SEND, 2, PullReply(0)), (SEND, 0, AlreadyInformed())]


# -- the event simulator ----------------------------------------------------------

@pytest.mark.parametrize("topology", sorted(TOPOLOGIES))
@pytest.mark.parametrize("mode", ["push", "pull", "push-pull"])
def test_everyone_is_informed_on_connected_graphs_without_loss(topology, mode):
    sc = gossip_scenario(TOPOLOGIES[topology](), mode=mode, until=400.0)
    st = spread_stats(run_to_full_spread(sc, seed=5))
    assert st.residue == 0.0 and st.informed == st.n
    assert st.curve["informed"].iloc[-1] == st.n and st.curve["time"].is_monotonic_increasing
    assert st.time_to_last == st.curve["time"].iloc[-1] and st.traffic > 0


def test_same_seed_same_run_and_another_seed_another():
    sc = gossip_scenario(nx.random_regular_graph(4, 40, seed=3), mode="push-pull", stop="blind-coin", k=3,
                         loss=0.1, until=30.0)
    a, b, c = sc.run(seed=9), sc.run(seed=9), sc.run(seed=10)
    assert a.rows == b.rows and a.rows != c.rows
    assert np.array_equal(simulate_rounds(500, "push", seed=4, loss=0.2),
                          simulate_rounds(500, "push", seed=4, loss=0.2))


def test_event_simulator_agrees_with_the_round_kernel_at_n_200():
    # With desync=False every node ticks at multiples of round_time, so rounds are the kernel's
    # synchronous rounds; the last node informed in round R is informed at (R - 1) + latency.
    # Push over 20 seeds: sd about 1.3 rounds, so the mean's standard error is about 0.3;
    # 1.0 round is over three standard errors. Pull is the same process in both.
    for mode in ("push", "pull"):
        event = [math.ceil(spread_stats(run_to_full_spread(
            gossip_scenario(200, mode=mode, desync=False, until=60.0), seed=s)).time_to_last)
            for s in range(20)]
        kernel = _rounds(200, mode, range(200))
        assert abs(np.mean(event) - kernel.mean()) < 1.0, (mode, np.mean(event), kernel.mean())
    # Push-pull in the event simulator may relay within a round (a push and a pull request arrive
    # at the same instant), so it is at most as slow as the kernel's start-of-round rule.
    event = [math.ceil(spread_stats(run_to_full_spread(
        gossip_scenario(200, mode="push-pull", desync=False, until=60.0), seed=s)).time_to_last)
        for s in range(10)]
    assert np.mean(event) <= _rounds(200, "push-pull", range(200)).mean() + 0.5


def test_rumor_mongering_residue_falls_and_traffic_rises_with_k():
    # Demers et al. Table 1 (feedback, counter): residue about 0.18, 0.04, 0.01 for k = 1, 2, 3.
    residue, traffic = [], []
    for k in (1, 2, 4):
        stats = [spread_stats(gossip_scenario(200, stop="feedback-counter", k=k, until=200.0).run(seed=s))
                 for s in range(8)]
        residue.append(np.mean([s.residue for s in stats]))
        traffic.append(np.mean([s.traffic for s in stats]))
    assert residue[0] > residue[1] > residue[2]
    assert traffic[0] < traffic[1] < traffic[2]
    assert 0.08 < residue[0] < 0.3 and residue[2] < 0.02
    # blind-coin also leaves a residue, and a run of rumor mongering ends quiet by itself
    tr = gossip_scenario(200, stop="blind-coin", k=2, until=200.0).run(seed=1)
    assert tr.ended_by == "quiescent" and 0 < spread_stats(tr).residue < 0.5


# -- the round kernel and theory ------------------------------------------------------

@pytest.mark.parametrize("n", [100, 1000])
def test_push_rounds_match_pittel(n):
    # Pittel (1987): log2 n + ln n + O(1), the O(1) term bounded but not zero; simulations put the
    # mean 1 to 1.5 rounds above the two logs, with sd about 1.1 (standard error 0.2 over 30 seeds).
    # A tolerance of 2 rounds admits the O(1) term and sampling error, but not a wrong model:
    # flooding-like spread or a pull-only run is several rounds off at n = 1000.
    rounds = _rounds(n, "push", range(30))
    assert abs(rounds.mean() - pittel_rounds(n)) < 2.0, (rounds.mean(), pittel_rounds(n))


def test_push_pull_is_faster_than_push_and_the_mean_field_curve_follows():
    push, push_pull = _rounds(1000, "push", range(30)), _rounds(1000, "push-pull", range(30))
    assert push_pull.mean() < push.mean() - 4
    assert push_pull.mean() >= math.log(1000, 3)   # Karp et al.: log3 n + O(log log n)
    mf = mean_field_curve(1000, "push")
    assert abs(len(mf) - 1 - pittel_rounds(1000)) < 2.5
    th = theory_curve([10, 10_000])
    assert list(th.columns) == ["n", "push", "push_pull"] and th["push"].iloc[1] > th["push_pull"].iloc[1]


def test_round_kernel_on_graphs_with_loss_and_crashes():
    g = nx.random_regular_graph(6, 500, seed=7)
    counts = simulate_rounds(g, "push-pull", seed=1, loss=0.3, crashed=[1, 2, 3])
    assert counts[0] == 1 and counts[-1] == 497 and np.all(np.diff(counts) >= 0)
    # a ring spreads one hop per round in each direction at best
    assert rounds_to_full_spread(simulate_rounds(nx.cycle_graph(40), "push", seed=2, rounds_max=2000)) >= 20
    # 10,000 nodes, complete graph, no edges built
    assert simulate_rounds(10_000, "push", seed=3)[-1] == 10_000


# -- bad parameters -----------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, field", [
    ({"mode": "shout"}, ValueError, "mode"),
    ({"fanout": 0}, ValueError, "fanout"),
    ({"fanout": 1.5}, TypeError, "fanout"),
    ({"round_time": 0}, ValueError, "round_time"),
    ({"stop": "bored"}, ValueError, "stop"),
    ({"mode": "pull", "stop": "blind-coin"}, ValueError, "stop"),
    ({"k": 0}, ValueError, "k"),
    ({"desync": "yes"}, TypeError, "desync"),
    ({"loss": 2.0}, ValueError, "loss"),
    ({"origin": 99}, ValueError, "origin"),
])
def test_bad_params_name_the_field(kwargs, exc, field):
    with pytest.raises(exc, match=field):
        gossip_scenario(10, **kwargs)


@pytest.mark.parametrize("args, kwargs, exc, field", [
    ((10, "push"), {"rounds_max": 0}, ValueError, "rounds_max"),
    ((10, "push"), {"loss": -0.1}, ValueError, "loss"),
    ((10, "push"), {"crashed": [10]}, ValueError, "crashed"),
    ((10, "push"), {"crashed": [0]}, ValueError, "origin"),
    (("ten", "push"), {}, TypeError, "graph_or_n"),
    ((10, "gossip"), {}, ValueError, "mode"),
])
def test_round_kernel_bad_params(args, kwargs, exc, field):
    with pytest.raises(exc, match=field):
        simulate_rounds(*args, **kwargs)


def test_event_simulator_with_loss_and_a_crash_informs_every_live_node():
    from dsysedu.sim.faults import Crash
    sc = gossip_scenario(50, mode="push-pull", loss=0.2, faults=[Crash(3, at=0.0)], until=60.0)
    st = spread_stats(run_to_full_spread(sc, seed=2))
    assert st.informed == 49 and st.residue == pytest.approx(1 / 50)


# -- the fast paths keep behaviour ----------------------------------------------------

def test_checked_parameters_are_remembered_by_type_so_true_is_not_a_fanout():
    Gossip(0, peers=(1,), fanout=1)               # remembered as valid ...
    with pytest.raises(TypeError, match="fanout"):
        Gossip(0, peers=(1,), fanout=True)        # ... but True == 1 is still refused
    with pytest.raises(TypeError, match="desync"):
        Gossip(0, peers=(1,), desync=1)
    with pytest.raises(ValueError, match="mode"):
        Gossip(0, peers=(1,), mode=["push"])      # unhashable: checked, not cached, refused


def test_run_to_full_spread_leaves_the_garbage_collector_as_it_found_it():
    import gc
    sc = gossip_scenario(30, until=30.0)
    was = gc.isenabled()
    try:
        for state in (True, False):
            (gc.enable if state else gc.disable)()
            run_to_full_spread(sc, seed=1)
            assert gc.isenabled() is state
    finally:
        (gc.enable if was else gc.disable)()


def test_shared_message_objects_are_the_plain_messages():
    node = Gossip(0, peers=(1, 2), origin=0, desync=False)
    ctx = Context(0, node.peers)
    node.on_start(ctx)
    ctx.take_effects()
    node.on_timer(ctx, "round")
    (send,) = [e for e in ctx.take_effects() if e[0] == SEND]
    assert send[2] == Push(0) and hash(send[2]) == hash(Push(0))
    assert "Gossip(id=0" in repr(node) and "infective" in repr(node)


@pytest.mark.parametrize("module", [gossip_module.protocol, gossip_module.rounds], ids=lambda m: m.__name__)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0
