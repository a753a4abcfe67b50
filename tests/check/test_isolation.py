"""The isolation checker: each of Adya's anomalies built by hand, random serial histories clean,
agreement with a brute-force serializability check, real-time edges, and bad input."""
from __future__ import annotations

import doctest
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dsysedu.check.isolation as isolation
from dsysedu.check.isolation import Transaction, brute_force_serializable, check_isolation
from dsysedu.check.workloads import isolation_examples, snapshot_history


def T(i, *ops, status="ok", t0=0.0, t1=None, process=None):
    return Transaction(i, f"p{i}" if process is None else process, ops, status, t0, t1)


def test_doctests():
    assert doctest.testmod(isolation).failed == 0


HAND_MADE = {
    "G0": [T(1, ("append", "x", 1), ("append", "y", 2)), T(2, ("append", "x", 3), ("append", "y", 4)),
           T(3, ("r", "x", [1, 3]), ("r", "y", [4, 2]))],
    "G1a": [T(1, ("append", "x", 1), status="fail"), T(2, ("r", "x", [1]))],
    "G1b": [T(1, ("append", "x", 1), ("append", "x", 2)), T(2, ("r", "x", [1]))],
    "G1c": [T(1, ("append", "x", 1), ("r", "y", [2])), T(2, ("append", "y", 2), ("r", "x", [1]))],
    "G-single": [T(1, ("append", "x", 1), ("append", "y", 1)), T(2, ("r", "x", []), ("r", "y", [1]))],
    "G2": [T(1, ("r", "x", []), ("append", "y", 1)), T(2, ("r", "y", []), ("append", "x", 2)),
           T(3, ("r", "x", [2]), ("r", "y", [1]))],
    "internal": [T(1, ("append", "x", 1), ("r", "x", []))],
    "incompatible-order": [T(1, ("append", "x", 1)), T(2, ("append", "x", 2)), T(3, ("r", "x", [1, 2])),
                           T(4, ("r", "x", [2, 1]))],
    "garbage-read": [T(1, ("r", "x", [9]))],
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_each_anomaly_is_found_and_named(name):
    history = HAND_MADE[name]
    v = check_isolation(history)
    assert not v.ok and name in v.anomalies, v
    assert not brute_force_serializable(history)
    if name in isolation.CYCLE_ANOMALIES:
        cycle = v.cycle(name)
        assert cycle[0][0] == cycle[-1][2]                   # it closes
        assert all(b == c for (_, _, b, _), (c, _, _, _) in zip(cycle, cycle[1:]))
        rw = sum(kind == "rw" for _, kind, _, _ in cycle)
        assert rw == {"G0": 0, "G1c": 0, "G-single": 1, "G2": 2}[name]
        assert all(kind in v.graph.edges[a, b]["kinds"] for a, kind, b, _ in cycle)


def test_a_lost_update_is_a_g_single_of_two_transactions():
    v = check_isolation([T(1, ("r", "x", []), ("append", "x", 1)), T(2, ("r", "x", []), ("append", "x", 2)),
                         T(3, ("r", "x", [1, 2]))])
    assert list(v.anomalies) == ["G-single"] and len(v.cycle()) == 2
    assert "missed T1's 1" in v.message or "missed" in v.cycle()[0][3]


def test_real_time_edges_make_a_stale_read_a_strict_serializability_violation():
    history = [T(1, ("append", "x", 1), t0=0, t1=1), T(2, ("r", "x", []), t0=2, t1=3)]
    assert check_isolation(history).ok                       # serializable: T2 first
    v = check_isolation(history, realtime=True)
    assert not v.ok and list(v.anomalies) == ["G-single-realtime"] and v.property == "strict serializability"
    assert [kind for _, kind, _, _ in v.cycle()] == ["rw", "realtime"]


def test_process_order():
    history = [T(1, ("append", "x", 1), process="a", t0=0, t1=1),
               T(2, ("r", "x", []), process="a", t0=0.5, t1=3)]   # overlapping in time, same process
    assert check_isolation(history, realtime=True).ok
    assert "G-single-process" in check_isolation(history, process=True).anomalies


def test_unknown_transactions_count_when_their_appends_were_seen():
    seen = [T(1, ("append", "x", 1), status="info"), T(2, ("r", "x", [1]), ("append", "x", 2)),
            T(3, ("r", "x", [2, 1]))]
    v = check_isolation(seen)
    assert 1 in v.graph and "incompatible-order" in v.anomalies
    unseen = [T(1, ("append", "x", 1), status="info"), T(2, ("r", "x", []))]
    assert check_isolation(unseen).ok and 1 not in check_isolation(unseen).graph


# -- random histories -------------------------------------------------------------------------

def serial_history(rnd, n, keys=("x", "y", "z")):
    state, txns, t = {}, [], 0.0
    for i in range(n):
        ops = []
        for _ in range(rnd.randint(1, 4)):
            k = rnd.choice(keys)
            if rnd.random() < 0.5:
                ops.append(("r", k, list(state.get(k, ()))))
            else:
                state[k] = state.get(k, ()) + (f"{i}.{len(ops)}",)
                ops.append(("append", k, f"{i}.{len(ops)}"))
        txns.append(Transaction(i, f"p{i % 3}", ops, "ok", t, t + 1.0))
        t += 2.0
    return txns


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(1, 40))
def test_serial_histories_show_no_anomaly(seed, n):
    h = serial_history(random.Random(seed), n)
    v = check_isolation(h, realtime=True, process=True)
    assert v.ok, v


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(1, 5))
def test_agrees_with_brute_force(seed, n):
    h = snapshot_history(n, seed=seed)
    v = check_isolation(h)
    assert v.ok == brute_force_serializable(h), v


def test_agreement_is_not_vacuous():
    verdicts = [check_isolation(snapshot_history(4, seed=s)) for s in range(200)]
    found = {name for v in verdicts for name in v.anomalies}
    assert sum(v.ok for v in verdicts) > 20 and sum(not v.ok for v in verdicts) > 20
    assert {"G-single", "G2", "G1a"} <= found


# -- bad input ----------------------------------------------------------------------------------

def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="micro-operation"):
        T(1, ("write", "x", 1))
    with pytest.raises(TypeError, match="returns a list"):
        T(1, ("r", "x", 5))
    with pytest.raises(ValueError, match="status"):
        T(1, ("r", "x", []), status="done")
    with pytest.raises(ValueError, match="finite"):
        Transaction(1, "p", [], "ok", float("nan"), 1.0)
    with pytest.raises(ValueError, match="unique"):
        check_isolation([T(1, ("r", "x", [])), T(1, ("r", "y", []))])
    with pytest.raises(ValueError, match="appended to key 'x' twice"):
        check_isolation([T(1, ("append", "x", 1)), T(2, ("append", "x", 1))])
    with pytest.raises(TypeError, match="list of Transaction"):
        check_isolation(T(1, ("r", "x", [])))
    with pytest.raises(ValueError, match="at most 8"):
        brute_force_serializable([T(i, ("r", "x", [])) for i in range(9)])
    with pytest.raises(ValueError, match="no 'G0'"):
        check_isolation(HAND_MADE["G2"]).cycle("G0")


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(1, 30))
def test_serial_snapshot_histories_are_clean(seed, n):
    assert check_isolation(snapshot_history(n, seed=seed, serial=True), realtime=True).ok


def test_the_examples_show_what_their_stories_say():
    expected = {"lost update": ["G-single"], "write skew": ["G2"], "dirty read": ["G1a"],
                "intermediate read": ["G-single", "G1b"], "circular flow": ["G1c"]}   # B also missed A's second append
    found = {name: sorted(check_isolation(h).anomalies) for name, (h, _) in isolation_examples().items()}
    assert found == expected
    assert not any(brute_force_serializable(h) for h, _ in isolation_examples().values())
