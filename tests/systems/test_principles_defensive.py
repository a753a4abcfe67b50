"""Defensive Raft: malformed messages from a buggy member are refused and Raft's invariants hold."""
import random

import pytest
from hypothesis import given, HealthCheck, settings, strategies as st

from dsysedu.protocols.consensus.raft import messages as rm
from dsysedu.protocols.consensus.raft.node import Raft
from dsysedu.systems.principles.defensive import (BAD_VALUES, Babbler, fuzz_run, fuzz_table, malformed,
                                                  message_problem, random_garbage, TEMPLATES, _HINTS)
import dataclasses

NODE = Raft(1, peers=[0, 2, 3, 4])


def spoiled():
    """One field of one template, replaced by a value a broken sender could put there."""
    def options(template):
        out = []
        for f in dataclasses.fields(template):
            kind = "id" if f.name in ("candidate_id", "leader_id") else "entries" if f.name == "entries" \
                else _HINTS[type(template)][f.name]
            out += [(f.name, v) for v in BAD_VALUES[kind]]
        return st.sampled_from(out).map(lambda fv: malformed(template, *fv))
    return st.sampled_from(TEMPLATES).flatmap(options)


def test_templates_are_well_formed():
    assert all(message_problem(NODE, 0, t) is None for t in TEMPLATES)
    good = rm.AppendEntries(2, 0, 0, 0, ((1, rm.NOOP), (2, rm.Command("c", 1, ("set", "x", 1)))), 1)
    assert message_problem(NODE, 0, good) is None
    assert message_problem(NODE, None, rm.ClientRequest("c", 1, ("set", "x", 1))) is None


@given(spoiled())
def test_every_spoiled_message_is_refused_with_a_reason(msg):
    problem = message_problem(NODE, 0, msg)
    assert isinstance(problem, str) and problem


@pytest.mark.parametrize("msg, reason", [
    ("hello", "unknown message type"),
    (rm.RequestVote(1, 0, 0, 0), "not a peer"),          # from a stranger: see the src below
    (rm.AppendEntries(1, 0, -1, 0, (), 0), "prev_log_index = -1"),
    (rm.AppendEntries(1, 0, 0, 2, (), 0), "prev_log_term 2 is above the term 1"),
    (rm.RequestVoteReply(True, True), "term is bool"),
])
def test_reasons_name_the_rule(msg, reason):
    src = "stranger" if reason == "not a peer" else 0
    assert reason in message_problem(NODE, src, msg)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 8))
def test_defensive_cluster_keeps_its_invariants_under_fuzzing(seed, n):
    garbage = random_garbage(random.Random(seed), n)
    result = fuzz_run(garbage, defensive=True, seed=seed)
    assert result["outcome"] == "ran" and result["safe"] and result["live"], result
    assert result["rejected"] == result["delivered"], result       # every malformed copy that arrived


def test_trusting_nodes_are_killed_by_some_message_the_defensive_ones_refuse():
    table = fuzz_table(range(12))
    trusting, defensive = table[table.nodes == "trusting"], table[table.nodes == "defensive"]
    assert (trusting.outcome != "ran").sum() >= 3
    assert (defensive.outcome == "ran").all() and defensive.safe.all() and defensive.live.all()


def test_one_query_of_death():
    result = fuzz_run([(0.5, 1, rm.AppendEntries("x", 0, 0, 0, (), 0))], defensive=False, seed=7)
    assert result["outcome"].startswith("TypeError")


def test_babbler_refuses_bad_schedules():
    with pytest.raises(ValueError, match="not a peer"):
        Babbler(0, peers=[1, 2], garbage=((0.1, 9, "x"),))
    with pytest.raises(ValueError, match="times"):
        Babbler(0, peers=[1, 2], garbage=((-1, 1, "x"),))
