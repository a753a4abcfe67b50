"""Linearizability on many keys: the cheapest violation is found first, pausable searches, the
kv-append model, the generated append histories, and the minimization's budget."""
from __future__ import annotations

import doctest
import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dsysedu.check.linearizability as lin
import dsysedu.check.workloads as workloads
from dsysedu.check.history import History, Operation
from dsysedu.check.linearizability import SearchBudgetExceeded, brute_force_linearizable, check_linearizable
from dsysedu.check.models import KeyValueAppend, resolve_model
from dsysedu.check.workloads import append_history, many_client_history, with_lost_append, with_stale_append_read


def test_doctests():
    assert doctest.testmod(workloads).failed == 0


def burst(key, n, first_id, t0=0.0):
    """``n`` appends that all overlap, then a read that saw them in one order: linearizable, but
    the search can only find that order by trying."""
    ops = [Operation(first_id + b, f"{key}-w{b}", "append", key, f"{b},", invoke=t0 + 0.01 * b, complete=t0 + 5.0)
           for b in range(n)]
    seen = "".join(f"{b}," for b in reversed(range(n)))       # the last order the search tries first
    return ops + [Operation(first_id + n, f"{key}-r", "read", key, None, invoke=t0 + 6.0, complete=t0 + 7.0,
                            result=seen)]


def stale(key, first_id):
    """Two appends in real-time order and a read, after both, that misses the second."""
    return [Operation(first_id, f"{key}-a", "append", key, "x,", invoke=0.0, complete=1.0),
            Operation(first_id + 1, f"{key}-a", "append", key, "y,", invoke=2.0, complete=3.0),
            Operation(first_id + 2, f"{key}-b", "read", key, None, invoke=4.0, complete=5.0, result="x,")]


def test_an_explosive_key_does_not_hide_a_cheap_violation():
    # the explosive key comes first in the history, so a key-after-key search would start there
    h = History(burst("a", 10, 0) + stale("b", 100))
    v = check_linearizable(h, "kv-append", max_steps=3_000_000)
    assert not v.ok and v.key == "b" and v.violation == "timing"
    assert v.steps < 50_000                                   # a few rounds, not the explosive key's millions
    assert v.decided == () and set(v.undecided) == {"a"}
    assert "'b' was found not linearizable first" in v.undecided["a"]


def test_a_linearizable_history_needs_every_key_and_says_which_were_left():
    h = History(burst("a", 10, 0) + burst("c", 2, 50) + stale("b", 100)[:2])
    with pytest.raises(SearchBudgetExceeded, match=r"2 of 3 keys decided linearizable; undecided: 'a'") as info:
        check_linearizable(h, "kv-append", max_steps=20_000)
    assert set(info.value.decided) == {"b", "c"} and list(info.value.undecided) == ["a"]
    assert "did not decide" in info.value.undecided["a"]
    small = History(burst("c", 3, 50) + stale("b", 100)[:2])
    v = check_linearizable(small, "kv-append")
    assert v.ok and set(v.decided) == {"b", "c"} and v.undecided == {}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10 ** 6), st.lists(st.integers(1, 500), min_size=1, max_size=30))
def test_a_search_in_slices_decides_as_one_search_does(seed, slices):
    h = append_history(60, clients=4, keys=1, seed=seed)
    if seed % 2:
        try:
            h = with_stale_append_read(h, seed=seed)
        except ValueError:                                    # no read qualifies on this seed
            assume(False)
    model = resolve_model("kv-append")
    ops = History(lin._prepare(h, model)).ops
    whole = lin._search(ops, model, 10 ** 7)
    search = lin._searcher(ops, model)
    next(search)
    result = None
    for grant in itertools.chain(slices, itertools.repeat(10 ** 7)):
        try:
            search.send(grant)
        except StopIteration as done:
            result = done.value
            break
    assert result == whole


# -- the kv-append model -----------------------------------------------------------------

@st.composite
def append_histories(draw, max_ops=7):
    n = draw(st.integers(1, max_ops))
    clock, ops = {}, []
    for i in range(n):
        c = draw(st.integers(0, 2))
        t0 = clock.get(c, 0) + draw(st.integers(0, 3))
        t1 = t0 + draw(st.integers(0, 4))
        key = draw(st.sampled_from(["x", "y"]))
        kind = draw(st.sampled_from(["read", "append", "append", "write"]))
        status = draw(st.sampled_from(["ok"] * 6 + ["info", "fail"]))
        complete = None if status == "info" else t1
        if kind == "read":
            result = draw(st.sampled_from(["", "0,", "0,1,", "1,", "1,0,", "2,"])) if status == "ok" else None
            ops.append(Operation(i, f"c{c}", "read", key, None, t0, complete, result, status))
        else:
            ops.append(Operation(i, f"c{c}", kind, key, f"{i % 3}," if kind == "append" else "", t0, complete,
                                 None, status))
        clock[c] = t1 + 1
    return History(ops)


@settings(max_examples=300, deadline=None)
@given(append_histories())
def test_kv_append_agrees_with_brute_force(h):
    assert check_linearizable(h, "kv-append").ok == brute_force_linearizable(h, "kv-append")
    assert check_linearizable(h, KeyValueAppend(partitioned=False)).ok == brute_force_linearizable(h, "kv-append")


@settings(max_examples=100, deadline=None)
@given(append_histories(), st.sampled_from(["", "0,", "1,0,"]))
def test_compiled_steps_answer_as_step_does(h, state):
    model = KeyValueAppend()
    for op in h:
        if op.kind in model.kinds:
            assert model.compile(op)(state) == model.step(state, op)


def test_kv_append_refuses_what_it_cannot_model():
    with pytest.raises(TypeError, match="string"):
        KeyValueAppend(initial=0)
    with pytest.raises(TypeError, match="append takes a string"):
        check_linearizable(History([Operation(0, "a", "append", "k", 5, 0, 1)]), "kv-append")
    with pytest.raises(ValueError, match="kind 'add'.*allowed"):
        check_linearizable(History([Operation(0, "a", "add", "k", 5, 0, 1)]), "kv-append")


# -- generated histories ---------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10 ** 6))
def test_generated_append_histories_and_their_faults(seed):
    h = append_history(150, clients=5, keys=3, seed=seed)
    assert check_linearizable(h, "kv-append").ok
    for plant in (with_stale_append_read, with_lost_append):
        try:
            bad = plant(h, seed=seed)
        except ValueError:
            continue                                          # no operation qualified on this seed
        v = check_linearizable(bad, "kv-append")
        assert not v.ok and v.violation in ("timing", "impossible", "order")


def test_many_client_history_is_shaped_as_documented():
    h = many_client_history(clients=12, ops_per_client=15, burst=5, seed=3)
    assert {op.client for op in h} >= {f"c{c}" for c in range(12)}
    explosive = [op for op in h if op.key == "k8"]
    appends = [op for op in explosive if op.kind == "append"]
    assert len(appends) == 5 and all(a.invoke < b.complete and b.invoke < a.complete
                                     for a, b in itertools.combinations(appends, 2))
    v = check_linearizable(h, "kv-append")
    assert not v.ok and v.key in ("k2", "k5")
    with pytest.raises(ValueError, match="not one of the history's keys"):
        many_client_history(stale_keys=("k42",))


# -- the minimization's budget ------------------------------------------------------------

def test_the_window_minimization_stops_early_and_says_so(monkeypatch):
    h = with_stale_append_read(append_history(60, clients=4, keys=1, seed=1), seed=1)
    full = check_linearizable(h, "kv-append")
    assert not full.ok and full.window_minimal
    monkeypatch.setattr(lin, "WINDOW_MIN_TOTAL_STEPS", 10)
    monkeypatch.setattr(lin, "WINDOW_FACTOR", 0)
    cut = check_linearizable(h, "kv-append")
    assert not cut.ok and not cut.window_minimal and "stopped early" in cut.message
    assert not check_linearizable(History([o for o in h if o.id in cut.window]), "kv-append").ok
