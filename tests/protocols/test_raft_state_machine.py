"""The key-value state machine and its session table, apart from the consensus node and inside it.

:class:`KeyValueStore` is what a Raft node applies committed entries to; its session table
applies each ``(client_id, seq)`` once and answers a retry from the table. The first tests
call the store alone, the handler tests call one Raft handler on a hand-made state (as
``test_raft_handlers.py`` does), and the last ones run the store where the model checker and
random chaos runs put it.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.check.model_checker import check
from dsysedu.check.model_checker.search import Property
from dsysedu.check.model_checker.state import Model
from dsysedu.protocols.consensus.raft import (LEADER, NOOP, ClientReply, ClientRequest, Command, KeyValueStore, Raft,
                                              chaos_scenario, raft_safety)
from dsysedu.protocols.consensus.raft.properties import client_liveness
from dsysedu.sim import Input, Scenario, Simulation
from dsysedu.sim.node import OBSERVE, SEND, Context

A = Command("c", 1, ("set", "x", 1))


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def observed(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == OBSERVE]


# ------------------------------------------------------------------ the store alone

def test_a_retried_request_is_applied_once_and_gets_its_first_result():
    store, first = KeyValueStore().apply(Command("c", 1, ("cas", "x", None, 5)))
    assert first is True and store.as_dict() == {"x": 5}
    again, retry = store.apply(Command("c", 1, ("cas", "x", None, 5)))   # the same (client_id, seq)
    assert retry is True and again == store and again.as_dict() == {"x": 5}
    later, other = again.apply(Command("c", 2, ("cas", "x", None, 5)))  # a new request: cas now fails
    assert other is False and later.result_of(("c", 2)) is False


def test_a_noop_changes_nothing():
    store = KeyValueStore({"x": 1})
    assert store.apply(NOOP) == (store, None)


def test_apply_returns_a_new_store_and_leaves_the_old_one():
    empty = KeyValueStore()
    store, _ = empty.apply(A)
    assert empty.as_dict() == {} and not empty.answered(("c", 1))
    assert store.answered(("c", 1)) and store.result_of(("c", 1)) == 1 and store.get("x") == 1
    with pytest.raises(KeyError):
        empty.result_of(("c", 1))


def test_equal_content_is_equal_and_hashes_equal_whatever_the_order():
    a = KeyValueStore({"x": 1, "y": 2}, {("c", 2): 2, ("c", 1): 1})
    b = KeyValueStore([("y", 2), ("x", 1)], [(("c", 1), 1), (("c", 2), 2)])
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert a != KeyValueStore({"x": 1, "y": 3}, {("c", 2): 2, ("c", 1): 1})


def test_record_answers_a_request_without_touching_the_data():
    store = KeyValueStore({"x": 1}).record(("operator", 1), (0, 1, 2))
    assert store.as_dict() == {"x": 1} and store.result_of(("operator", 1)) == (0, 1, 2)


@pytest.mark.parametrize("bad", [{"x"}, "x=1", 3])
def test_bad_fields_raise(bad):
    with pytest.raises(TypeError, match="KeyValueStore.data"):
        KeyValueStore(bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(["x", "y"]), st.integers(0, 3)), max_size=25))
def test_the_store_is_a_dict_that_applies_each_request_once(requests):
    # a request id may come back with other contents: it is the same request, so the first wins
    store, first = KeyValueStore(), {}
    for seq, key, value in requests:
        first.setdefault(seq, (key, value))
        store, result = store.apply(Command("c", seq, ("set", key, value)))
        assert result == first[seq][1]   # a set returns its value: the first one's
    reference = {}
    for key, value in first.values():   # the first appearances, in order
        reference[key] = value
    assert store.as_dict() == reference and all(store.answered(("c", seq)) for seq in first)


# ------------------------------------------------------------------ handlers that read the session table

def node(me=1, peers=(0, 2), **state):
    r = Raft(me, peers)
    for k, v in state.items():
        setattr(r, k, v)
    return r, Context(me, peers, rng=random.Random(0), known=tuple(peers) + (me,))


def test_the_leader_answers_a_retry_of_an_applied_request_from_the_session_table():
    store, _ = KeyValueStore().apply(A)
    r, ctx = node(role=LEADER, leader_id=1, current_term=2, log=((2, A),), commit_index=1, last_applied=1,
                  state_machine=store, next_index={0: 2, 2: 2}, match_index={0: 1, 2: 1})
    r.on_message(ctx, 0, ClientRequest("c", 1, ("set", "x", 1)))   # the client retried through node 0
    assert sends(ctx) == [(0, ClientReply("c", 1, True, 1, 1))]
    assert r.log == ((2, A),)   # not appended a second time


def test_a_follower_acknowledges_its_own_client_at_once_when_the_request_was_applied():
    store, _ = KeyValueStore().apply(A)
    r, ctx = node(current_term=2, leader_id=0, log=((2, A),), commit_index=1, last_applied=1, state_machine=store)
    r.on_message(ctx, None, ClientRequest("c", 1, ("set", "x", 1)))
    assert observed(ctx) == [("ack", ("c", 1))] and r.pending == {} and sends(ctx) == []


def test_applying_a_committed_duplicate_entry_leaves_the_store_as_it_was():
    r, ctx = node(current_term=1, log=((1, A), (1, Command("c", 1, ("set", "x", 99)))))
    r.commit_index = 2
    r.apply_committed(ctx)
    assert r.state_machine == KeyValueStore({"x": 1}, {("c", 1): 1}) and r.last_applied == 2


# ------------------------------------------------------------------ where the store lives

def test_the_model_checker_keeps_stores_in_its_states():
    # One server: it elects itself, and a client's request is applied in every order of events.
    request = ClientRequest("c", 1, ("set", "x", 1))
    sc = Scenario(Raft, nodes=["a"], params={"noop": False}, inputs=[Input(0.0, "a", request)])
    model = Model(sc, fire=lambda n, name: name == "election" and n.current_term < 1)
    applied = Property("x is set", "reachable", lambda s: s["a"].state_machine.get("x") == 1)
    r = check(model, applied)
    assert r.ok and r.model.view(r.states_on_path[-1])["a"].state_machine.as_dict() == {"x": 1}
    untouched = Property("the store starts empty", "invariant",
                         lambda s: s["a"].state_machine.as_dict() in ({}, {"x": 1}))
    assert check(model, untouched).verdict == "ok"


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([3, 5]))
def test_random_chaos_runs_keep_raft_safety_and_the_stores_agree(seed, nodes):
    sim = Simulation(chaos_scenario(nodes, seed=seed, prevote=seed % 2 == 0, check_quorum=seed % 3 == 0))
    trace = sim.run()
    assert raft_safety(trace).ok and client_liveness(trace, within=1.5, after=2.0).ok
    # nodes that applied the same prefix hold the same store
    by_applied = {}
    for n, r in sim.nodes.items():
        if sim.status(n) == "up":
            by_applied.setdefault(r.last_applied, set()).add(r.state_machine)
    assert all(len(stores) == 1 for stores in by_applied.values())
