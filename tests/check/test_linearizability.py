"""Linearizability checker: classic histories, pending and failed operations, the violating window,
agreement with brute force on random small histories, models, bad input, budget and speed."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check import Verdict
from dsysedu.check.consistency import linearizable_kv_history, with_stale_read
from dsysedu.check.history import History, Operation
from dsysedu.check.linearizability import (LinearizabilityVerdict, SearchBudgetExceeded, brute_force_linearizable,
                                           check_linearizable)
from dsysedu.check.models import CasRegister, Counter, KeyValue, Queue, SequentialModel, Register, op_label, resolve_model


def op(i, client, kind, key=None, value=None, t0=0.0, t1=1.0, result=None, status="ok"):
    return Operation(i, client, kind, key, value, invoke=float(t0), complete=None if t1 is None else float(t1),
                     result=result, status=status)


# -- classic histories ------------------------------------------------------------------

def test_overlapping_read_may_see_old_or_new_value():
    h = History([op(0, "A", "write", value=1, t0=0, t1=10), op(1, "B", "read", t0=1, t1=2, result=None),
                 op(2, "B", "read", t0=3, t1=4, result=1)])
    v = check_linearizable(h, "register")
    assert v.ok and isinstance(v, LinearizabilityVerdict) and isinstance(v, Verdict)
    assert v.linearization == (1, 0, 2) and bool(v) is True and v.window == ()


def test_new_old_inversion_is_not_linearizable():
    # Once a read has seen the new value, a later read must not see the old one (Herlihy & Wing's
    # register examples): every operation is needed, so the window is the whole history.
    h = History([op(0, "A", "write", value=1, t0=0, t1=10), op(1, "B", "read", t0=1, t1=2, result=1),
                 op(2, "C", "read", t0=3, t1=4, result=None)])
    v = check_linearizable(h, "register")
    assert not v and v.window == (0, 1, 2) and v.culprit == 2 and v.linearization == ()
    assert v.violation == "timing"
    assert "linearizab" in v.message and "[0, 1, 2]" in v.message


def test_queue_examples_after_herlihy_and_wing():
    ok = History([op(0, "A", "enqueue", value="x", t0=0, t1=2), op(1, "B", "enqueue", value="y", t0=1, t1=3),
                  op(2, "A", "dequeue", t0=4, t1=5, result="y"), op(3, "B", "dequeue", t0=4.5, t1=6, result="x")])
    assert check_linearizable(ok, "queue").ok          # the enqueues overlap: y may go first
    bad = History([op(0, "A", "enqueue", value="x", t0=0, t1=1), op(1, "B", "enqueue", value="y", t0=2, t1=3),
                   op(2, "A", "dequeue", t0=4, t1=5, result="y")])
    v = check_linearizable(bad, "queue")
    assert not v and v.window == (0, 1, 2) and v.violation == "order"
    empty = History([op(0, "A", "dequeue", t0=0, t1=1, result=None), op(1, "B", "enqueue", value=1, t0=2, t1=3)])
    assert check_linearizable(empty, "queue").ok


def test_counter_and_cas_register():
    adds = [op(0, "A", "add", value=1, t0=0, t1=1), op(1, "B", "add", value=2, t0=0, t1=1)]
    assert check_linearizable(History(adds + [op(2, "C", "read", t0=2, t1=3, result=3)]), "counter").ok
    assert not check_linearizable(History(adds + [op(2, "C", "read", t0=2, t1=3, result=1)]), "counter").ok
    assert check_linearizable(History(adds + [op(2, "C", "read", t0=0.5, t1=0.8, result=1)]), "counter").ok
    both_won = History([op(0, "A", "cas", value=(None, 1), t0=0, t1=1, result=True),
                        op(1, "B", "cas", value=(None, 2), t0=2, t1=3, result=True)])
    assert not check_linearizable(both_won, CasRegister()).ok
    second_lost = History([both_won[0], replace(both_won[1], result=False),
                           op(2, "C", "read", t0=4, t1=5, result=1)])
    assert check_linearizable(second_lost, CasRegister()).ok


# -- pending and failed operations ----------------------------------------------------------

def test_pending_write_may_take_effect_or_not():
    pending = op(0, "A", "write", value=2, t0=1, t1=None)
    assert pending.status == "info"
    for seen in (2, None):
        h = History([pending, op(1, "B", "read", t0=5, t1=6, result=seen)])
        assert check_linearizable(h, "register").ok, seen
    seen_then_lost = History([pending, op(1, "B", "read", t0=5, t1=6, result=2),
                              op(2, "B", "read", t0=7, t1=8, result=None)])
    assert not check_linearizable(seen_then_lost, "register").ok
    too_early = History([pending, op(1, "B", "read", t0=0, t1=0.5, result=2)])
    assert not check_linearizable(too_early, "register").ok


def test_pending_ops_absent_from_linearization_when_left_out():
    h = History([op(0, "A", "write", value=2, t0=1, t1=None), op(1, "B", "read", t0=5, t1=6, result=None),
                 op(2, "C", "read", t0=7, t1=None, status="info")])
    v = check_linearizable(h, "register")
    assert v.ok and v.linearization == (1,)


def test_failed_operations_never_took_effect():
    failed = op(0, "A", "write", value=3, t0=0, t1=1, status="fail")
    assert check_linearizable(History([failed, op(1, "B", "read", t0=2, t1=3, result=None)]), "register").ok
    v = check_linearizable(History([failed, op(1, "B", "read", t0=2, t1=3, result=3)]), "register")
    assert not v and v.window == (1,) and "no order" in v.message and v.violation == "impossible"


# -- random small histories against brute force -------------------------------------------

@st.composite
def small_histories(draw, max_ops=7, keys=("x", "y"), pending=True):
    n_clients = draw(st.integers(2, 3))
    n_keys = draw(st.integers(1, len(keys)))
    n = draw(st.integers(1, max_ops))
    ops, clock, written = [], [0] * n_clients, []
    for i in range(n):
        c = draw(st.integers(0, n_clients - 1))
        t0 = clock[c] + draw(st.integers(0, 3))
        t1 = t0 + draw(st.integers(0, 4))
        key = keys[draw(st.integers(0, n_keys - 1))]
        status = draw(st.sampled_from(["ok"] * 6 + (["info", "fail"] if pending else [])))
        if draw(st.booleans()):
            written.append((key, i + 1))
            ops.append(op(i, f"c{c}", "write", key, i + 1, t0, None if status == "info" else t1, status=status))
        else:
            pool = [None] + [v for k, v in written if k == key] + [99]
            result = draw(st.sampled_from(pool))
            ops.append(op(i, f"c{c}", "read", key, None, t0, None if status == "info" else t1,
                          result=None if status != "ok" else result, status=status))
        clock[c] = (t1 + 1) if status != "info" else 10 ** 6   # a client waits for its answer
        if status == "info":
            clock[c] = t1 + 1
    return History(ops)


@settings(max_examples=200, deadline=None)
@given(small_histories())
def test_agrees_with_brute_force(h):
    v = check_linearizable(h, "kv")
    assert v.ok == brute_force_linearizable(h, KeyValue(partitioned=False)) == brute_force_linearizable(h, "kv")
    assert v.ok == check_linearizable(h, KeyValue(partitioned=False)).ok   # locality (Herlihy & Wing 1990)
    if v.ok:   # the witness is a valid order: replay it
        byid = {o.id: o for o in h}
        lin = [byid[i] for i in v.linearization]
        assert {o.id for o in h if o.status == "ok"} <= set(v.linearization)
        for key in h.keys():
            state = None
            for o in (o for o in lin if o.key == key):
                good, state = Register().step(state, o)
                assert good


def _kind(ops, culprit_id, model):
    """The kind of violation, decided by brute force, as the checker's Notes define it."""
    lo = min(o.invoke for o in ops) - 1
    hi = max(o.complete for o in ops if o.complete is not None) + 1
    loose = [replace(o, invoke=lo, complete=hi) if o.id == culprit_id else o for o in ops]
    if brute_force_linearizable(History(loose), model):
        return "timing"
    timeless = [replace(o, invoke=lo, complete=None if o.pending else hi) for o in ops]
    return "order" if brute_force_linearizable(History(timeless), model) else "impossible"


@settings(max_examples=150, deadline=None)
@given(small_histories())
def test_window_is_violating_and_one_minimal(h):
    v = check_linearizable(h, "kv")
    if v.ok:
        return
    byid = {o.id: o for o in h}
    window = [byid[i] for i in v.window]
    assert v.culprit in v.window and all(o.key == v.key and o.status != "fail" for o in window)
    # the window holds the operations as they stood when the culprit completed: those still
    # running then are pending
    t = byid[v.culprit].complete
    as_seen = [o if o.end <= t else replace(o, complete=None, status="info", result=None) for o in window]
    model = KeyValue(partitioned=False)
    assert not brute_force_linearizable(History(as_seen), model)
    assert _kind(as_seen, v.culprit, model) == v.violation
    for o in as_seen:
        if o.id != v.culprit:
            rest = [x for x in as_seen if x.id != o.id]
            assert brute_force_linearizable(History(rest), model) or _kind(rest, v.culprit, model) != v.violation


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(5, 120), st.integers(1, 4), st.integers(1, 3),
       st.floats(0.0, 0.2))
def test_histories_from_a_sequential_execution_are_linearizable(seed, n, clients, keys, pending):
    h = linearizable_kv_history(n, clients=clients, keys=keys, seed=seed, pending=pending)
    v = check_linearizable(h, "kv")
    assert v.ok, v


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(0, 10 ** 6))
def test_a_never_written_read_result_breaks_linearizability(seed, which):
    h = linearizable_kv_history(60, clients=4, keys=2, seed=seed)
    reads = [o for o in h if o.kind == "read"]
    if not reads:
        return
    r = reads[which % len(reads)]
    bad = History([replace(o, result=-1) if o is r else o for o in h])
    v = check_linearizable(bad, "kv")
    assert not v and v.culprit == r.id and v.window == (r.id,) and v.key == r.key


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10 ** 6))
def test_a_stale_read_is_caught_as_a_timing_violation(seed):
    h = linearizable_kv_history(300, clients=5, keys=3, seed=seed)
    try:
        bad = with_stale_read(h, seed=seed)
    except ValueError:
        return
    v = check_linearizable(bad, "kv")
    assert not v
    changed = next(o for o, p in zip(bad, h) if o.result != p.result)
    # before the changed read completes the history is the original one, so the read is the
    # culprit; the value it returns was written, just overwritten too early: a timing violation
    assert v.culprit == changed.id and v.key == changed.key and v.violation == "timing"
    writes = [o for o in bad if o.id in v.window and o.kind == "write"]
    assert any(w.value == changed.result for w in writes) and len(writes) >= 2


def test_deterministic_and_per_key_witness():
    h = linearizable_kv_history(400, clients=6, keys=3, seed=11)
    a, b = check_linearizable(h, "kv"), check_linearizable(h, "kv")
    assert a == b and a.ok and sorted(a.linearization) == sorted(o.id for o in h if o.status == "ok")


# -- models ---------------------------------------------------------------------------------

def test_model_steps():
    r = Register(initial=0)
    assert r.init() == 0
    assert r.step(0, op(0, "a", "write", value=5)) == (True, 5)
    assert r.step(5, op(1, "a", "read", result=5)) == (True, 5)
    assert r.step(5, op(1, "a", "read", result=4)) == (False, 5)
    assert r.step(5, op(1, "a", "read", t1=None)) == (True, 5)     # unknown result
    c = Counter()
    assert c.step(3, op(0, "a", "add", value=2)) == (True, 5) and c.step(5, op(1, "a", "read", result=4))[0] is False
    q = Queue()
    assert q.step((), op(0, "a", "dequeue", result=None)) == (True, ())
    assert q.step((1, 2), op(0, "a", "dequeue", result=2)) == (False, (2,))
    assert q.step((1, 2), op(0, "a", "dequeue", t1=None)) == (True, (2,))
    cas = CasRegister(initial=1)
    assert cas.step(1, op(0, "a", "cas", value=(1, 2), result=True)) == (True, 2)
    assert cas.step(3, op(0, "a", "cas", value=(1, 2), result=True)) == (False, 3)
    assert cas.step(3, op(0, "a", "cas", value=(1, 2), result=False)) == (True, 3)
    kv = KeyValue(partitioned=False)
    _, s = kv.step(kv.init(), op(0, "a", "write", "x", 1))
    assert kv.step(s, op(1, "a", "read", "x", result=1))[0] and not kv.step(s, op(1, "a", "read", "y", result=1))[0]
    assert op_label(op(0, "a", "write", "x", 1)) == "w(x)=1" and op_label(op(0, "a", "read", result=3)) == "r→3"


def test_a_learner_model_plugs_in():
    class GrowSet(SequentialModel):
        name, kinds, readonly = "grow-only set", ("add", "contains"), ("contains",)

        def init(self):
            return frozenset()

        def step(self, state, o):
            if o.kind == "add":
                return True, state | {o.value}
            return o.pending or o.result == (o.value in state), state

    h = History([op(0, "A", "add", value=1, t0=0, t1=1), op(1, "B", "contains", value=1, t0=2, t1=3, result=False)])
    assert not check_linearizable(h, GrowSet())
    assert check_linearizable(History([h[0], replace(h[1], result=True)]), GrowSet())


# -- bad input, budget, speed -------------------------------------------------------------

def test_bad_input_is_refused_clearly():
    h = History([op(0, "A", "write", value=1)])
    with pytest.raises(ValueError, match="unknown model 'regster'"):
        check_linearizable(h, "regster")
    with pytest.raises(ValueError, match="kind 'add'.*register"):
        check_linearizable(History([op(0, "A", "add", value=1)]), "register")
    with pytest.raises(TypeError, match="History"):
        check_linearizable("w(x)=1", "register")
    with pytest.raises(TypeError, match="instance"):
        check_linearizable(h, Register)
    with pytest.raises(TypeError, match="init"):
        check_linearizable(h, 42)
    with pytest.raises(TypeError, match="max_steps"):
        check_linearizable(h, "register", max_steps=0)
    with pytest.raises(TypeError, match="hashable"):
        check_linearizable(History([op(0, "A", "write", value=[1, 2])]), "register")
    with pytest.raises(TypeError, match="number"):
        check_linearizable(History([op(0, "A", "add", value="2")]), "counter")
    with pytest.raises(ValueError, match="at most 8"):
        brute_force_linearizable(linearizable_kv_history(20, keys=1, seed=1), "kv")
    assert isinstance(resolve_model("queue"), Queue)
    assert check_linearizable([op(0, "A", "write", value=1)], "register").ok   # a list of operations is fine


def test_budget_exceeded_raises_the_named_error_quickly():
    # 14 overlapping writes and a read of a value nobody wrote: the search must try many subsets
    ops = [op(i, f"c{i}", "write", value=i, t0=0, t1=10) for i in range(14)]
    h = History(ops + [op(99, "r", "read", t0=11, t1=12, result=-5)])
    t0 = time.perf_counter()
    with pytest.raises(SearchBudgetExceeded, match="budget of 1,000 steps.*max_steps") as info:
        check_linearizable(h, "register", max_steps=1000)
    assert isinstance(info.value, ValueError) and time.perf_counter() - t0 < 2.0


def test_thousands_of_operations_on_a_few_keys_in_seconds():
    h = linearizable_kv_history(5000, clients=8, keys=5, seed=1)
    t0 = time.perf_counter()
    v = check_linearizable(h, "kv")
    assert v.ok and time.perf_counter() - t0 < 20.0   # about 0.1 s here; generous for a shared machine
