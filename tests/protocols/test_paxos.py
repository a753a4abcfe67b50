"""Single-decree Paxos: handlers, agreement under random faults, and the dueling proposers."""
from __future__ import annotations

import doctest
import random

import pytest

import dsysedu.protocols.consensus.paxos as paxos_module
from dsysedu.protocols.consensus import agreement, termination, validity
from dsysedu.check import all_hold
from dsysedu.protocols.consensus.paxos import (Accept, Accepted, Decided, Nack, Paxos, PaxosIgnoresAccepted, Prepare, Promise,
                                     Query, chaos_scenario, dueling_scenario, late_proposer_scenario)
from dsysedu.sim import Context, run
from dsysedu.sim.node import OBSERVE, SEND, SET_TIMER


def node(cls=Paxos, me=0, peers=(1, 2), **state):
    params = {k: state.pop(k) for k in list(state) if k in ("proposers", "value", "backoff", "start")}
    p = cls(me, peers, **params)
    for k, v in state.items():
        setattr(p, k, v)
    return p, Context(me, peers, rng=random.Random(0), known=tuple(peers) + (me,))


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def observed(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == OBSERVE]


def test_doctests():
    assert doctest.testmod(paxos_module).failed == 0


# ------------------------------------------------------------------ handlers


def test_a_proposer_starts_phase_1_with_a_fresh_ballot():
    p, ctx = node(round=4)
    p.on_timer(ctx, "propose")
    assert p.ballot == (5, 0) and p.phase == "prepare"
    assert sends(ctx) == [(0, Prepare((5, 0))), (1, Prepare((5, 0))), (2, Prepare((5, 0)))]
    assert observed(ctx) == [("ballot", (5, 0))]


def test_an_acceptor_promises_a_higher_ballot_and_reports_what_it_accepted():
    p, ctx = node(me=1, peers=(0, 2), promised=(1, 2), accepted_ballot=(1, 2), accepted_value="w")
    p.on_message(ctx, 0, Prepare((2, 0)))
    assert p.promised == (2, 0) and sends(ctx) == [(0, Promise((2, 0), (1, 2), "w"))]


def test_an_acceptor_refuses_a_lower_ballot():
    p, ctx = node(me=1, peers=(0, 2), promised=(3, 2))
    p.on_message(ctx, 0, Prepare((2, 0)))
    p.on_message(ctx, 0, Accept((2, 0), "v0"))
    assert sends(ctx) == [(0, Nack((2, 0), (3, 2))), (0, Nack((2, 0), (3, 2)))]
    assert p.accepted_ballot is None


def test_an_acceptor_accepts_at_its_promise_and_tells_every_learner():
    p, ctx = node(me=1, peers=(0, 2), promised=(2, 0))
    p.on_message(ctx, 0, Accept((2, 0), "v0"))
    assert (p.accepted_ballot, p.accepted_value) == ((2, 0), "v0")
    assert sends(ctx) == [(0, Accepted((2, 0), "v0")), (2, Accepted((2, 0), "v0")), (1, Accepted((2, 0), "v0"))]


def test_a_majority_of_promises_starts_phase_2_with_the_highest_accepted_value():
    p, ctx = node(ballot=(3, 0), phase="prepare", round=3)
    p.on_message(ctx, 1, Promise((3, 0), (1, 1), "old"))
    assert p.phase == "prepare" and sends(ctx) == []
    p.on_message(ctx, 2, Promise((3, 0), (2, 2), "newer"))
    assert p.phase == "accept"
    assert sends(ctx) == [(a, Accept((3, 0), "newer")) for a in (0, 1, 2)]


def test_with_no_value_reported_the_proposer_uses_its_own():
    p, ctx = node(ballot=(3, 0), phase="prepare", round=3, promises=frozenset({0}))
    p.on_message(ctx, 1, Promise((3, 0), None, None))
    assert sends(ctx)[0] == (0, Accept((3, 0), "v0"))


def test_the_broken_proposer_ignores_the_reported_value():
    p, ctx = node(PaxosIgnoresAccepted, ballot=(3, 0), phase="prepare", round=3, promises=frozenset({0}))
    p.on_message(ctx, 1, Promise((3, 0), (2, 2), "chosen"))
    assert sends(ctx)[0] == (0, Accept((3, 0), "v0"))


def test_promises_for_an_old_ballot_are_ignored():
    p, ctx = node(ballot=(3, 0), phase="prepare", round=3)
    p.on_message(ctx, 1, Promise((2, 0), None, None))
    assert p.promises == frozenset()


def test_a_refused_proposer_retries_at_once_without_backoff():
    p, ctx = node(backoff=False, ballot=(3, 0), phase="accept", round=3)
    p.on_message(ctx, 1, Nack((3, 0), (7, 2)))
    assert p.ballot == (8, 0) and sends(ctx)[0] == (0, Prepare((8, 0)))


def test_a_refused_proposer_waits_a_random_growing_time_with_backoff():
    p, ctx = node(backoff=True, ballot=(3, 0), phase="accept", round=3)
    waits = []
    for _ in range(4):
        p.ballot, p.phase = (p.round, 0), "accept"
        ctx.effects.clear()
        p.on_message(ctx, 1, Nack(p.ballot, (p.round + 1, 2)))
        (delay,) = [e[2] for e in ctx.effects if e[0] == SET_TIMER and e[1] == "propose"]
        waits.append(delay)
        assert sends(ctx) == []
    assert all(0 <= w <= 0.05 * 2 ** i for i, w in enumerate(waits)) and p.refusals == 4


def test_own_acceptor_promising_a_higher_ballot_preempts_the_proposer():
    p, ctx = node(backoff=False, ballot=(1, 0), phase="accept", round=1, promised=(1, 0))
    p.on_message(ctx, 1, Prepare((1, 1)))
    assert sends(ctx)[0] == (1, Promise((1, 1), None, None))
    assert p.ballot == (2, 0) and (0, Prepare((2, 0))) in sends(ctx)


def test_a_learner_decides_on_a_majority_of_one_ballot_only():
    p, ctx = node(me=2, peers=(0, 1))
    p.on_message(ctx, 0, Accepted((1, 0), "a"))
    p.on_message(ctx, 1, Accepted((2, 1), "b"))
    assert p.decided is None
    p.on_message(ctx, 1, Accepted((1, 0), "a"))
    assert p.decided == "a" and observed(ctx) == [("decided", "a")]
    p.on_message(ctx, 0, Accepted((2, 1), "b"))   # the same value under a later ballot: no new decision
    assert observed(ctx) == [("decided", "a")]


def test_queries_and_decided_messages_spread_the_decision():
    p, ctx = node(me=2, peers=(0, 1), decided="a")
    p.on_message(ctx, 0, Query())
    assert sends(ctx) == [(0, Decided("a"))]
    q, ctx = node(me=1, peers=(0, 2))
    q.on_message(ctx, 2, Decided("a"))
    assert q.decided == "a"


def test_durable_fields():
    assert set(Paxos.durable) == {"promised", "accepted_ballot", "accepted_value", "round"}


# ------------------------------------------------------------------ dueling proposers


@pytest.mark.parametrize("nodes", [3, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dueling_proposers_livelock_without_backoff(nodes, seed):
    trace = run(dueling_scenario(backoff=False, nodes=nodes), seed=seed)
    assert len(trace.observations("decided")) == 0
    ballots = trace.observations("ballot")
    assert len(ballots) > 100 and set(ballots.node) == {0, 1}   # they kept pre-empting each other
    assert not termination(trace, within=3.0, after=0.0)


@pytest.mark.parametrize("nodes", [3, 5])
@pytest.mark.parametrize("seed", range(10))
def test_randomized_backoff_ends_the_duel(nodes, seed):
    trace = run(dueling_scenario(backoff=True, nodes=nodes), seed=seed)
    assert all_hold([agreement(trace), validity(trace), termination(trace, within=0.5, after=0.0)])


# ------------------------------------------------------------------ the broken variant


@pytest.mark.parametrize("seed", [0, 1])
def test_ignoring_accepted_values_breaks_agreement(seed):
    assert all_hold([agreement(t := run(late_proposer_scenario(Paxos), seed=seed)), termination(t, within=0.5)])
    v = agreement(run(late_proposer_scenario(PaxosIgnoresAccepted), seed=seed))
    assert not v and "'v0'" in v.message and "'v3'" in v.message


def test_random_faults_expose_the_broken_proposer():
    caught = [s for s in range(40)
              if not agreement(run(chaos_scenario(5, seed=s, proposers=3).replace(protocol=PaxosIgnoresAccepted)))]
    assert caught


# ------------------------------------------------------------------ random faults


def paxos_verdict(nodes, seed, backoff):
    sc = chaos_scenario(nodes, seed=seed, backoff=backoff)
    trace = run(sc)
    checks = [agreement(trace), validity(trace)]
    if backoff:
        checks.append(termination(trace, within=2.0, after=sc.nemesis.stop))
    return all_hold(checks)


@pytest.mark.parametrize("nodes", [3, 5, 7])
def test_agreement_and_termination_under_random_faults(nodes):
    bad = [(s, v) for s in range(300) if not (v := paxos_verdict(nodes, s, backoff=True))]
    assert not bad, bad


@pytest.mark.parametrize("nodes", [3, 5])
def test_agreement_holds_without_backoff_too(nodes):
    bad = [(s, v) for s in range(200) if not (v := paxos_verdict(nodes, s, backoff=False))]
    assert not bad, bad
