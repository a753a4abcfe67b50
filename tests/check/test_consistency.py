"""Sequential and causal consistency: the example histories separate the models, the models nest
(linearizable => sequential => causal) on random small histories, each bad pattern is caught."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check import Verdict
from dsysedu.check.consistency import (EXAMPLE_CLAIMS, ConsistencyVerdict, check_causal, check_sequential,
                                       example_histories, linearizable_kv_history, with_stale_read)
from dsysedu.check.history import History, Operation
from dsysedu.check.linearizability import SearchBudgetExceeded, check_linearizable


def op(i, client, kind, key="x", value=None, t0=0.0, t1=1.0, result=None, status="ok"):
    return Operation(i, client, kind, key, value, invoke=float(t0), complete=None if t1 is None else float(t1),
                     result=result, status=status)


@pytest.mark.parametrize("name", sorted(EXAMPLE_CLAIMS))
def test_example_histories_get_the_verdicts_they_claim(name):
    h, description = example_histories()[name]
    assert isinstance(h, History) and len(description) > 40
    got = {"linearizable": check_linearizable(h, "kv").ok, "sequential": check_sequential(h, "kv").ok,
           "causal": check_causal(h).ok}
    assert got == EXAMPLE_CLAIMS[name]
    assert isinstance(check_causal(h), ConsistencyVerdict) and isinstance(check_sequential(h, "kv"), Verdict)


def test_examples_cover_each_step_of_the_hierarchy():
    patterns = {tuple(c.values()) for c in EXAMPLE_CLAIMS.values()}
    assert patterns == {(True, True, True), (False, True, True), (False, False, True), (False, False, False)}


def test_sequential_witness_respects_program_order_and_explains_results():
    h, _ = example_histories()["stale read"]
    v = check_sequential(h, "kv")
    assert v.order == (1, 0)      # B's read of the initial value goes first, ignoring real time
    h = linearizable_kv_history(30, clients=3, keys=2, seed=4)
    v = check_sequential(h, "kv")
    pos = {i: k for k, i in enumerate(v.order)}
    for c in h.clients():
        mine = [o.id for o in h if o.client == c]
        assert [pos[i] for i in mine] == sorted(pos[i] for i in mine)


def test_sequential_consistency_is_not_local():
    # Each key alone is sequentially consistent, the pair is not (Herlihy & Wing 1990, section 3.3):
    # A writes x then reads y's initial value; B writes y then reads x's initial value.
    h = History([op(0, "A", "write", "x", 1, 0, 1), op(1, "A", "read", "y", None, 2, 3, result=None),
                 op(2, "B", "write", "y", 1, 0, 1), op(3, "B", "read", "x", None, 2, 3, result=None)])
    for key in ("x", "y"):
        assert check_sequential(History(o for o in h if o.key == key), "register").ok
    assert not check_sequential(h, "kv").ok
    assert check_causal(h).ok     # causal memory allows it: the writes are concurrent


def test_pending_writes_may_be_left_out_or_placed():
    for seen in (None, 5):
        h = History([op(0, "A", "write", value=5, t0=0, t1=None), op(1, "B", "read", t0=1, t1=2, result=seen)])
        assert check_sequential(h, "register").ok and check_causal(h).ok
    failed = History([op(0, "A", "write", value=5, status="fail"), op(1, "B", "read", t0=1, t1=2, result=5)])
    assert not check_sequential(failed, "register").ok and not check_causal(failed).ok


def test_causal_bad_patterns():
    thin_air = History([op(0, "A", "read", result=7)])
    v = check_causal(thin_air)
    assert not v and "ThinAirRead" in v.message and v.window == (0,)
    cyclic = History([op(0, "A", "read", "x", t0=0, t1=1, result=2), op(1, "A", "write", "y", 1, 2, 3),
                      op(2, "B", "read", "y", t0=0, t1=1, result=1), op(3, "B", "write", "x", 2, 2, 3)])
    v = check_causal(cyclic)
    assert not v and "CyclicCO" in v.message and set(v.window) == {0, 1, 2, 3}
    overwritten = History([op(0, "A", "write", "x", 1, 0, 1), op(1, "A", "write", "x", 2, 2, 3),
                           op(2, "B", "read", "x", t0=4, t1=5, result=2),
                           op(3, "B", "read", "x", t0=6, t1=7, result=1)])
    v = check_causal(overwritten)
    assert not v and "WriteCORead" in v.message and v.window == (0, 1, 2, 3)
    init = History([op(0, "A", "write", "x", 1, 0, 1), op(1, "A", "read", "x", t0=2, t1=3, result=None)])
    v = check_causal(init)
    assert not v and "WriteCOInitRead" in v.message and v.window == (0, 1)


@st.composite
def small_register_histories(draw):
    n_clients = draw(st.integers(2, 3))
    keys = ("x", "y")[:draw(st.integers(1, 2))]
    ops, clock, written, done = [], [0] * n_clients, [], [False] * n_clients
    for i in range(draw(st.integers(1, 7))):
        c = draw(st.integers(0, n_clients - 1))
        if done[c]:
            continue
        t0 = clock[c] + draw(st.integers(0, 2))
        t1 = t0 + draw(st.integers(0, 3))
        key = draw(st.sampled_from(keys))
        status = draw(st.sampled_from(["ok"] * 6 + ["info", "fail"]))
        done[c] = status == "info"            # after an unanswered operation the client stops
        if draw(st.booleans()):
            written.append((key, i + 1))
            ops.append(op(i, c, "write", key, i + 1, t0, None if status == "info" else t1, status=status))
        else:
            result = draw(st.sampled_from([None] + [v for k, v in written if k == key]))
            ops.append(op(i, c, "read", key, None, t0, None if status == "info" else t1,
                          result=result if status == "ok" else None, status=status))
        clock[c] = t1 + 1
    return History(ops)


@settings(max_examples=200, deadline=None)
@given(small_register_histories())
def test_linearizable_implies_sequential_implies_causal(h):
    lin, seq, causal = check_linearizable(h, "kv").ok, check_sequential(h, "kv").ok, check_causal(h).ok
    assert (not lin or seq) and (not seq or causal), (lin, seq, causal)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10 ** 6))
def test_generated_histories_pass_all_three_and_a_stale_read_breaks_only_linearizability(seed):
    h = linearizable_kv_history(24, clients=3, keys=2, seed=seed)
    assert check_sequential(h, "kv").ok and check_causal(h).ok
    try:
        bad = with_stale_read(h, seed=seed)
    except ValueError:
        return
    assert not check_linearizable(bad, "kv").ok


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="written twice"):
        check_causal(History([op(0, "A", "write", value=1), op(1, "B", "write", value=1)]))
    with pytest.raises(ValueError, match="kind 'add'"):
        check_causal(History([op(0, "A", "add", value=1)]))
    with pytest.raises(ValueError, match="None"):
        check_causal(History([op(0, "A", "write", value=None)]))
    with pytest.raises(ValueError, match="unknown model"):
        check_sequential(History([op(0, "A", "write", value=1)]), "regster")
    with pytest.raises(TypeError, match="History"):
        check_sequential({"x": 1}, "kv")
    with pytest.raises(ValueError, match="n_ops"):
        linearizable_kv_history(0)
    with pytest.raises(ValueError, match="longer history"):
        with_stale_read(History([op(0, "A", "write", value=1)]))


def test_sequential_budget_is_enforced():
    ops = [op(i, f"c{i}", "write", "x", i, 0, 1) for i in range(10)] + [op(99, "r", "read", t0=2, t1=3, result=-1)]
    with pytest.raises(SearchBudgetExceeded, match="budget"):
        check_sequential(History(ops), "register", max_steps=500)


def test_generator_is_deterministic_and_honours_pending():
    a = linearizable_kv_history(80, clients=4, keys=2, seed=9, pending=0.2)
    assert a == linearizable_kv_history(80, clients=4, keys=2, seed=9, pending=0.2)
    assert any(o.pending for o in a) and check_linearizable(a, "kv").ok
    # a client that timed out continues under a new name, so no client has two operations open
    for c in a.clients():
        mine = [o for o in a if o.client == c]
        assert all(o.status == "ok" for o in mine[:-1])
