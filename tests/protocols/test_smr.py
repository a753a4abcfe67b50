"""State machine replication: determinism and one order give one state; shuffled orders diverge;
Raft's applied prefixes agree over randomized chaos runs; a broken Raft and a non-deterministic
machine are caught by the verdicts."""
from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.protocols.consensus.raft import NOOP, Command, RaftCommitOldTerm
from dsysedu.protocols.consensus.raft.scenarios import chaos_scenario, figure8_scenario
from dsysedu.protocols.replication.smr import (BANK, KV, RAFT_KV, StateMachine, apply_log, applied_logs, check_induction,
                                   divergences, log_agreement, order_experiment, raft_runs, random_commands,
                                   state_agreement, state_hash, trajectory)
from dsysedu.sim import Simulation

keys = st.sampled_from(["x", "y", "z"])
kv_commands = st.one_of(
    st.tuples(st.just("set"), keys, st.integers(-5, 5)),
    st.tuples(st.just("incr"), keys, st.integers(-5, 5)),
    st.tuples(st.just("delete"), keys),
    st.tuples(st.just("cas"), keys, st.integers(-2, 2), st.integers(-2, 2)),
)
bank_commands = st.one_of(
    st.tuples(st.just("deposit"), keys, st.integers(0, 100)),
    st.tuples(st.just("withdraw"), keys, st.integers(0, 100)),
    st.tuples(st.just("interest"), st.integers(0, 20)),
)


@settings(max_examples=100, deadline=None)
@given(cmds=st.lists(kv_commands, max_size=20), cut=st.integers(0, 20))
def test_same_commands_same_order_same_state(cmds, cut):
    # the induction's conclusion on one machine: applying in two pieces is applying in one go
    assert apply_log(KV, cmds) == apply_log(KV, cmds[cut:], state=apply_log(KV, cmds[:cut]))
    assert state_hash(apply_log(KV, list(cmds))) == state_hash(apply_log(KV, cmds))
    assert trajectory(KV, cmds)[-1] == apply_log(KV, cmds)


@settings(max_examples=100, deadline=None)
@given(cmds=st.lists(bank_commands, max_size=15), seed=st.integers(0, 2**32))
def test_agreed_order_never_diverges(cmds, seed):
    df = order_experiment(BANK, cmds, replicas=4, agreed=True, seed=seed)
    assert not df.divergent.any() and df.hash.nunique() == 1


@settings(max_examples=50, deadline=None)
@given(amounts=st.lists(st.tuples(keys, st.integers(-9, 9)), max_size=12), seed=st.integers(0, 2**32))
def test_commuting_commands_need_no_agreement(amounts, seed):
    cmds = [("incr", k, a) for k, a in amounts]       # increments commute: any order, one state
    assert not order_experiment(KV, cmds, replicas=5, seed=seed).divergent.any()


@pytest.mark.parametrize("machine", [KV, BANK])
def test_shuffled_orders_diverge(machine):
    counts = [int(order_experiment(machine, random_commands(machine, 12, seed=s), seed=s).divergent.sum())
              for s in range(30)]
    assert sum(c > 0 for c in counts) >= 25          # almost every seed: most replicas end elsewhere
    assert all(0 <= c <= 4 for c in counts)


def test_bank_commands_do_not_commute():
    a = [("deposit", "a", 100), ("interest", 10), ("withdraw", "a", 105)]
    results = {state_hash(apply_log(BANK, p)) for p in itertools.permutations(a)}
    assert len(results) >= 3


def test_state_hash_is_stable_across_processes():
    state = RAFT_KV.step(RAFT_KV.initial, Command("c", 1, ("set", "x", 1)))
    code = ("from dsysedu.protocols.replication.smr import RAFT_KV, state_hash; from dsysedu.protocols.consensus.raft import Command;"
            "print(state_hash(RAFT_KV.step(RAFT_KV.initial, Command('c', 1, ('set', 'x', 1)))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == state_hash(state)


def test_raft_kv_applies_each_request_once_and_skips_noops():
    c = Command("c", 1, ("set", "x", 1))
    s = apply_log(RAFT_KV, [NOOP, c, NOOP, c])
    assert dict(s[0]) == {"x": 1} and s[1] == frozenset({("c", 1)})


def test_bad_commands_and_machines():
    with pytest.raises(ValueError, match="KV command"):
        apply_log(KV, [("push", "x")])
    with pytest.raises(ValueError, match="BANK command"):
        apply_log(BANK, [("deposit", "a")])
    with pytest.raises(ValueError, match="RAFT_KV command"):
        apply_log(RAFT_KV, [("set", "x", 1)])
    with pytest.raises(TypeError, match="StateMachine"):
        apply_log(42, [])
    with pytest.raises(ValueError, match="one of"):
        apply_log("abacus", [])


# -- Raft orders the log ----------------------------------------------------------

def test_raft_chaos_runs_never_diverge():
    df = raft_runs(range(40), nodes=5, requests=10)
    assert df.same_order.all() and df.same_state.all() and df.induction.all()
    assert df.divergences.sum() == 0
    assert (df.shortest >= 5).all()      # commands were applied: there was something to agree on


def test_raft_runs_with_three_nodes_and_other_weather():
    df = raft_runs(range(15), nodes=3, requests=8, stop=3.0, until=5.0)
    assert df.same_state.all() and df.divergences.sum() == 0


def test_raft_applied_state_is_what_the_nodes_hold():
    sim = Simulation(chaos_scenario(5, seed=3, requests=10))
    trace = sim.run()
    logs = applied_logs(trace)
    for n in trace.nodes:
        kv, _applied = apply_log(RAFT_KV, logs[n])
        if sim.nodes[n].last_applied == len(logs[n]):
            assert dict(kv) == sim.nodes[n].state_machine.as_dict()


def test_broken_raft_is_caught_as_divergence():
    trace = figure8_scenario(RaftCommitOldTerm).run()
    logs = applied_logs(trace)
    assert not log_agreement(logs).ok and not state_agreement(RAFT_KV, logs).ok
    assert check_induction(RAFT_KV, logs).ok     # the machine is still deterministic: consensus broke


def test_non_deterministic_machine_is_caught_by_the_induction():
    calls = itertools.count()
    leaky = StateMachine("reads a counter", (), lambda s, c: s + ((c, next(calls)),))
    logs = {0: ("a", "b"), 1: ("a", "b")}
    verdict = check_induction(leaky, logs)
    assert not verdict.ok and "not deterministic" in verdict.message
    assert not state_agreement(leaky, logs).ok and log_agreement(logs).ok


def test_verdict_helpers():
    assert divergences([]) == 0 and divergences("aab") == 1
    assert not log_agreement({0: (), 1: (), "conflicts": [(0, 1, "a", "b")]}).ok
