"""FLP in miniature: the adversary keeps the deterministic protocol undecided for as many rounds as
allowed, the coin and GST end it, and agreement and validity hold under every scheduler."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import Constant, LinkModel, LogNormal, Scenario, run
from dsysedu.protocols.consensus.properties import agreement, validity
from dsysedu.protocols.consensus.flp import (SCHEDULERS, HastyConsensus, Propose, Report, RoundConsensus, rounds_table,
                                   run_scheduled)
from dsysedu.sim.node import Context


@pytest.mark.parametrize("k", [1, 2, 5, 10, 25])
@pytest.mark.parametrize("values", [(0, 1, 0), (1, 0, 0), (1, 1, 0)])
def test_adversary_keeps_the_deterministic_protocol_undecided_for_k_rounds(k, values):
    r = run_scheduled(values=values, scheduler="adversary", max_rounds=k)
    assert not r.decided and r.rounds_undecided == k == r.rounds
    assert r.verdict.ok
    assert r.pending == 0   # the adversary delayed messages, it never lost one


def test_adversary_on_five_processes_tolerating_two_crashes():
    r = run_scheduled(n=5, values=(0, 1, 0, 1, 1), f=2, scheduler="adversary", max_rounds=12)
    assert not r.decided and r.rounds_undecided == 12


def test_unanimous_inputs_decide_in_round_one_whatever_the_scheduler():
    for sched in SCHEDULERS:
        for v in (0, 1):
            r = run_scheduled(values=(v, v, v), scheduler=sched, seed=1)
            assert r.first_decision_round == 1 and set(r.decisions.values()) == {v}   # validity


@pytest.mark.parametrize("crash", [None, 0, 2])
def test_randomized_decides_within_a_bound_across_seeds(crash):
    worst = 0
    for seed in range(30):
        r = run_scheduled(values=(0, 1, 0), scheduler="adversary", randomized=True, max_rounds=60, seed=seed,
                          crash=crash)
        assert r.decided and r.verdict.ok, seed
        assert len(r.decisions) == 3 - (crash is not None)   # every correct process decided
        worst = max(worst, r.first_decision_round)
    assert worst <= 30   # P(no decision in 30 rounds) is below (3/4)^29 per run


@pytest.mark.parametrize("gst", [1, 2, 3, 5, 8, 13])
def test_after_gst_the_deterministic_protocol_decides_within_a_round(gst):
    # GST comes when the last process reaches round gst; the others may already be half-way through
    # it under the adversary, so the decision comes in round gst or gst + 1, never later
    for values in ((0, 1, 0), (1, 0, 1), (0, 0, 1)):
        r = run_scheduled(values=values, scheduler="adversary", gst=gst, max_rounds=20)
        assert r.decided and gst <= r.first_decision_round <= gst + 1 and r.verdict.ok


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(0, 1), min_size=3, max_size=5), scheduler=st.sampled_from(SCHEDULERS),
       randomized=st.booleans(), seed=st.integers(0, 10_000), crash=st.booleans(), gst=st.none() | st.integers(1, 6))
def test_agreement_and_validity_always_hold(values, scheduler, randomized, seed, crash, gst):
    n = len(values)
    f = (n - 1) // 2
    r = run_scheduled(n, tuple(values), f=f, scheduler=scheduler, randomized=randomized, seed=seed,
                      crash=(n - 1) if crash else None, gst=gst, max_rounds=15)
    assert agreement(r.trace) and r.verdict.ok
    assert validity(r.trace, proposed=values)
    assert len(set(r.decisions.values())) <= 1


def test_same_seed_same_run():
    a = run_scheduled(values=(0, 1, 0), scheduler="random", randomized=True, seed=9)
    b = run_scheduled(values=(0, 1, 0), scheduler="random", randomized=True, seed=9)
    assert a.trace == b.trace and a.decisions == b.decisions


def test_rounds_table_shape():
    df = rounds_table(range(3), max_rounds=10)
    assert set(df.setting) == {"deterministic, adversary", "randomized (Ben-Or), adversary",
                               "deterministic, adversary until GST = round 5"}
    det = df[df.setting == "deterministic, adversary"]
    assert (~det.decided).all() and (det.rounds_undecided == 10).all() and df.safe.all()


def test_the_protocol_runs_in_the_simulator_too():
    sync = run(Scenario(RoundConsensus, nodes=3, node_params={0: {"value": 0}, 1: {"value": 1}, 2: {"value": 0}},
                        params={"timeout": 0.1}, link=LinkModel(latency=Constant(0.01)), until=5.0), seed=1)
    assert agreement(sync) and validity(sync)
    assert sync.value_at("decided", 5.0) == {0: 0, 1: 0, 2: 0}
    jittery = run(Scenario(RoundConsensus, nodes=3, node_params={1: {"value": 1}},
                           params={"timeout": 0.02, "randomized": True},
                           link=LinkModel(latency=LogNormal(0.02, 1.0)), until=20.0), seed=2)
    assert agreement(jittery) and validity(jittery)


def test_handlers_one_at_a_time():
    node = RoundConsensus(0, peers=(1, 2), value=1, f=1)
    ctx = Context(0, (1, 2), known=(0, 1, 2))
    node.on_start(ctx)
    sent = [e[2] for e in ctx.take_effects() if e[0] == 0]
    assert sent == [Report(1, 1)] * 2 and node.reports == {1: {0: 1}}   # its own report it just knows
    node.on_message(ctx, 1, Report(1, 0))
    assert node.phase == 1 and not ctx.take_effects()   # two of three: waits for the third or the timeout
    node.on_timer(ctx, ("wait", 1, 1))
    assert node.phase == 2 and [e[2] for e in ctx.take_effects() if e[0] == 0] == [Propose(1, None)] * 2
    node.proposals[1][0] = 1   # as if it had proposed 1 itself (a hand-made state)
    node.on_message(ctx, 2, Propose(1, 1))
    node.on_timer(ctx, ("wait", 1, 2))
    assert node.decided == 1 and node.round == 2


def test_bad_input():
    with pytest.raises(ValueError, match="n > 2f"):
        run_scheduled(2, (0, 1), f=1)
    with pytest.raises(ValueError, match="scheduler must be one of"):
        run_scheduled(scheduler="fair")
    with pytest.raises(ValueError, match="each 0 or 1"):
        run_scheduled(values=(0, 2, 1))
    with pytest.raises(ValueError, match="crash must be None or a node id"):
        run_scheduled(crash=5)
    with pytest.raises(ValueError, match="value must be 0 or 1"):
        RoundConsensus(0, (1, 2), value="yes")


def test_the_hasty_variant_breaks_agreement_and_the_checker_catches_it():
    broken = [run_scheduled(5, (0, 1, 0, 1, 1), f=2, scheduler="random", seed=s, protocol=HastyConsensus)
              for s in range(30)]
    caught = [r for r in broken if not r.verdict.ok]
    assert caught and all(not agreement(r.trace) for r in caught)
    assert all("decided" in agreement(r.trace).message for r in caught)
    # the same schedules never break the real protocol
    for s in range(30):
        assert run_scheduled(5, (0, 1, 0, 1, 1), f=2, scheduler="random", seed=s).verdict.ok
    with pytest.raises(TypeError, match="RoundConsensus or a subclass"):
        run_scheduled(protocol=object)
