"""Multi-Paxos: handlers, recovery with gaps, agreement per slot under random faults, and the costs."""
from __future__ import annotations

import doctest
import random

import pytest
from hypothesis import given, settings, strategies as st

import dsysedu.protocols.consensus.multipaxos as mp_module
from dsysedu.protocols.consensus.raft.experiments import cost_experiment, multipaxos_decision_cost, raft_commit_cost
from dsysedu.protocols.consensus.multipaxos import (CatchUp, Chosen, Heartbeat, MPAccept, MPAccepted, MPNack,
                                                    MPPrepare, MPPromise, MultiPaxos, MultiPaxosForgetsAccepted,
                                                    NOOP, Submit, executed_once, gap_scenario,
                                                    multipaxos_calm_scenario, multipaxos_chaos_scenario,
                                                    slot_agreement)
from dsysedu.sim import Context, run, Trace
from dsysedu.sim.node import OBSERVE, SEND


def node(me=0, peers=None, cls=MultiPaxos, **state):
    peers = tuple(n for n in (0, 1, 2) if n != me) if peers is None else peers
    p = cls(me, peers)
    for k, v in state.items():
        setattr(p, k, v)
    return p, Context(me, peers, rng=random.Random(0), known=tuple(peers) + (me,))


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def observed(ctx, key):
    return [e[2] for e in ctx.effects if e[0] == OBSERVE and e[1] == key]


def test_doctests():
    assert doctest.testmod(mp_module).failed == 0


# ------------------------------------------------------------------ handlers

def test_acceptor_promises_with_every_accepted_slot_from_first_on():
    p, ctx = node(me=1, accepted={0: ((1, 0), "a"), 3: ((1, 0), "b"), 5: ((2, 2), "c")})
    p.on_prepare(ctx, 2, MPPrepare((3, 2), 3))
    assert sends(ctx) == [(2, MPPromise((3, 2), ((3, (1, 0), "b"), (5, (2, 2), "c"))))]
    assert p.promised == (3, 2)


def test_acceptor_refuses_a_lower_ballot_with_what_it_promised():
    p, ctx = node(me=1, promised=(4, 0))
    p.on_prepare(ctx, 2, MPPrepare((3, 2), 0))
    p.on_accept(ctx, 2, MPAccept((3, 2), 0, "x"))
    assert sends(ctx) == [(2, MPNack((3, 2), (4, 0)))] * 2
    assert p.accepted == {}


def test_new_leader_keeps_the_highest_ballot_value_and_fills_gaps_with_noops():
    p, ctx = node(me=0, peers=(1, 2, 3, 4), role="candidate", ballot=(5, 0))
    p.on_promise(ctx, 1, MPPromise((5, 0), ((1, (2, 1), "old"), (3, (2, 1), "c3"))))
    p.on_promise(ctx, 2, MPPromise((5, 0), ((1, (4, 2), "new"),)))
    assert p.role == "candidate"
    p.on_promise(ctx, 3, MPPromise((5, 0), ()))
    assert p.role == "leader"
    accepts = sorted({(m.slot, m.value) for _, m in sends(ctx) if isinstance(m, MPAccept)})
    assert accepts == [(0, NOOP), (1, "new"), (2, NOOP), (3, "c3")]
    assert observed(ctx, "gap") == [0, 2]
    assert p.next_slot == 4


def test_broken_leader_ignores_what_the_promises_report():
    p, ctx = node(me=0, cls=MultiPaxosForgetsAccepted, role="candidate", ballot=(5, 0))
    p.on_promise(ctx, 1, MPPromise((5, 0), ((0, (2, 1), "chosen?"),)))
    p.on_promise(ctx, 2, MPPromise((5, 0), ()))
    assert p.role == "leader" and not [m for _, m in sends(ctx) if isinstance(m, MPAccept)]


def test_leader_learns_at_a_majority_and_tells_everyone():
    p, ctx = node(me=0, role="leader", ballot=(1, 0))
    p.propose(ctx, 0, Submit("c1"))
    p.on_accepted(ctx, 0, MPAccepted((1, 0), 0))
    assert p.chosen == {}
    p.on_accepted(ctx, 2, MPAccepted((1, 0), 0))
    assert p.chosen == {0: Submit("c1")}
    assert [(d, m) for d, m in sends(ctx) if isinstance(m, Chosen)] == [(1, Chosen(0, Submit("c1"))),
                                                                          (2, Chosen(0, Submit("c1")))]
    assert observed(ctx, "executed") == [(0, "c1")]


def test_execution_waits_for_the_hole_and_runs_a_command_once():
    p, ctx = node(me=1)
    p.on_chosen(ctx, 0, Chosen(1, Submit("a")))
    assert observed(ctx, "executed") == []
    p.on_chosen(ctx, 0, Chosen(2, Submit("a")))   # a retried command chosen twice
    p.on_chosen(ctx, 0, Chosen(0, NOOP))
    assert observed(ctx, "executed") == [(1, "a")]
    assert p.first_unchosen == 3 and p.applied_upto == 3


def test_follower_behind_the_heartbeat_asks_to_catch_up_and_gets_a_bounded_batch():
    f, fctx = node(me=1)
    f.on_heartbeat(fctx, 0, Heartbeat((1, 0), 40))
    assert sends(fctx) == [(0, CatchUp(0))]
    leader, lctx = node(me=0, role="leader", ballot=(1, 0), catch_up_batch=4,
                        chosen={s: NOOP for s in range(40)}, first_unchosen=40)
    leader.on_catch_up(lctx, 1, CatchUp(0))
    assert sends(lctx) == [(1, Chosen(s, NOOP)) for s in range(4)]


def test_stale_heartbeat_is_ignored():
    f, ctx = node(me=1, promised=(3, 2))
    f.on_heartbeat(ctx, 0, Heartbeat((1, 0), 0))
    assert f.leader_id is None and not sends(ctx)


def test_leader_resends_in_flight_accepts_only_to_acceptors_that_did_not_answer():
    p, ctx = node(me=0, role="leader", ballot=(1, 0))
    p.propose(ctx, 0, "v")
    p.on_accepted(ctx, 1, MPAccepted((1, 0), 0))
    ctx.effects.clear()
    p.resend_in_flight(ctx)
    assert sorted(d for d, m in sends(ctx)) == [0, 2]


@pytest.mark.parametrize("kw, err", [({"heartbeat": 0.2}, ValueError), ({"election_timeout": -1}, ValueError),
                                     ({"catch_up_batch": 0}, ValueError), ({"client_retry": "x"}, TypeError)])
def test_bad_parameters_are_refused(kw, err):
    with pytest.raises(err):
        MultiPaxos(0, (1, 2), **kw)


def test_ring_topology_is_refused():
    from dsysedu.sim import Scenario
    import networkx as nx
    with pytest.raises(ValueError, match="complete"):
        run(Scenario(MultiPaxos, nodes=nx.cycle_graph(4), until=1.0), seed=0)


# ------------------------------------------------------------------ runs

def test_calm_run_executes_every_command_once_in_the_same_order_everywhere():
    trace = run(multipaxos_calm_scenario(5, commands=8), seed=3)
    assert slot_agreement(trace).ok and executed_once(trace).ok
    ex = trace.observations("executed")
    orders = {n: list(g.sort_values("time").value) for n, g in ex.groupby("node")}
    assert len(orders) == 5 and len({tuple(o) for o in orders.values()}) == 1
    assert sorted(c for _, c in orders[0]) == sorted(f"c{i}" for i in range(1, 9))


def test_gap_is_filled_with_a_noop_and_the_held_value_is_kept():
    trace = run(gap_scenario(), seed=0)
    assert slot_agreement(trace).ok and executed_once(trace).ok
    assert 0 in set(trace.observations("gap").value)
    decided = dict(list(trace.observations("decided").value))   # slot -> label
    assert decided[0] == NOOP and decided[1] == "c2"
    assert {"c1", "c3"} <= set(decided.values())


def test_gap_scenario_catches_the_broken_recovery():
    verdict = slot_agreement(run(gap_scenario(MultiPaxosForgetsAccepted), seed=0))
    assert not verdict.ok and "slot 1" in verdict.message


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), nodes=st.sampled_from([3, 5]))
def test_random_fault_schedules_keep_agreement_and_execute_the_late_commands(seed, nodes):
    trace = run(multipaxos_chaos_scenario(nodes, commands=8), seed=seed)
    assert slot_agreement(trace).ok, slot_agreement(trace)
    assert executed_once(trace).ok, executed_once(trace)
    executed = {c for _, c in trace.observations("executed").value}
    assert {f"c{i}" for i in range(5, 9)} <= executed   # the commands after the faults stopped


def test_the_broken_variant_is_caught_under_random_faults():
    caught = sum(not slot_agreement(run(multipaxos_chaos_scenario(5, protocol=MultiPaxosForgetsAccepted),
                                        seed=s)).ok for s in range(60))
    assert caught >= 5


def test_same_seed_same_trace():
    a = run(multipaxos_chaos_scenario(5), seed=11)
    b = run(multipaxos_chaos_scenario(5), seed=11)
    assert repr(a.rows) == repr(b.rows)


def test_slot_agreement_reports_the_two_events():
    rows = [(0.1, "observe", 0, None, None, "decided", (0, "a")), (0.2, "observe", 1, None, None, "decided", (0, "b"))]
    v = slot_agreement(Trace([0, 1], rows))
    assert not v.ok and v.events == (0, 1) and "'a'" in v.message and "'b'" in v.message


# ------------------------------------------------------------------ costs

@pytest.mark.parametrize("n", [3, 5, 7])
def test_a_stable_leader_pays_three_message_delays_of_n_minus_one_messages_per_command(n):
    costs = multipaxos_decision_cost(1, nodes=n, commands=8)
    assert len(costs) == 8
    # Accept to n - 1 acceptors, n - 1 Accepted back, n - 1 Chosen; a heartbeat that fires while the
    # Accepted are on their way re-sends the Accept to those that have not answered (and they answer again)
    assert costs.messages.min() == 3 * (n - 1) and (costs.messages <= 5 * (n - 1)).all()
    assert (costs.latency_s >= 0.01).all() and (costs.latency_s <= 0.03).all()   # one round trip, 5-15 ms links


def test_multipaxos_costs_less_than_a_paxos_instance_per_command():
    per = cost_experiment(seeds=range(3)).groupby("protocol")[["messages", "latency_ms"]].median()
    assert per.messages["Multi-Paxos, stable leader"] < per.messages["Paxos, 1 proposer"]
    assert per.latency_ms["Multi-Paxos, stable leader"] < per.latency_ms["Paxos, 1 proposer"]
