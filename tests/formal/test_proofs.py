"""z3 proofs: quorum intersection (symbolic and node by node), broken quorum assumptions give two
disjoint quorums, and the lock server's invariants: counter-models are checked in plain Python."""
from __future__ import annotations

import doctest
import itertools

import pytest
import z3

from dsysedu.formal import proofs
from dsysedu.formal.proofs import (NO_GRANT_WHILE_HELD, ONE_TOKEN, SAFETY_ONLY, LockServer, check_inductive,
                                   flexible_intersection, majorities_intersect_up_to, majority_intersection, prove,
                                   quorums_intersect)


def test_doctests():
    assert doctest.testmod(proofs).failed == 0


def test_majority_and_flexible_quorums_intersect_for_symbolic_n():
    assert majority_intersection().proved
    assert flexible_intersection().proved
    assert majorities_intersect_up_to(12).proved


@pytest.mark.parametrize("majority", [True, False])
def test_weakened_cardinality_assumption_gives_sizes_of_disjoint_quorums(majority):
    p = flexible_intersection(majority=majority, strict=False)
    assert not p.proved
    m = p.counter_model
    assert m["A_and_B"] == 0 and m["A"] >= 1 and m["B"] >= 1 and m["A"] + m["B"] <= m["N"]
    if majority:
        assert 2 * m["A"] >= m["N"] and 2 * m["B"] >= m["N"]
    else:
        assert m["A"] + m["B"] >= m["N"]
    # such sets exist: A = the first |A| nodes, B = the next |B|
    a, b = set(range(m["A"])), set(range(m["A"], m["A"] + m["B"]))
    assert not a & b and max(a | b) < m["N"]


@pytest.mark.parametrize("n", range(1, 8))
def test_quorums_intersect_exactly_when_r_plus_w_exceeds_n(n):
    for r in range(1, n + 1):
        for w in range(1, n + 1):
            p = quorums_intersect(n, read=r, write=w)
            assert p.proved == (r + w > n), (n, r, w)
            if not p.proved:  # two disjoint quorums, checked here
                a, b = set(p.counter_model["read quorum"]), set(p.counter_model["write quorum"])
                assert not a & b and len(a) >= r and len(b) >= w and a | b <= set(range(n))


def test_half_sized_quorums_are_disjoint_and_weights_can_fix_even_n():
    p = quorums_intersect(4, read=2, write=2)
    a, b = p.counter_model["read quorum"], p.counter_model["write quorum"]
    assert not p.proved and len(a) == 2 and len(b) == 2 and not set(a) & set(b)
    assert quorums_intersect(4, read=3, write=3, weights=[2, 1, 1, 1]).proved  # total 5: majority 3
    p = quorums_intersect(4, read=2, write=2, weights=[2, 1, 1, 1])
    w = p.counter_model["weights"]
    a, b = p.counter_model["read quorum"], p.counter_model["write quorum"]
    assert not set(a) & set(b) and sum(w[i] for i in a) >= 2 and sum(w[i] for i in b) >= 2
    with pytest.raises(ValueError, match="weights must be 3"):
        quorums_intersect(3, weights=[1, 1])
    with pytest.raises(ValueError, match="n must be an integer"):
        quorums_intersect(0)
    with pytest.raises(ValueError, match="read must be a positive integer"):
        quorums_intersect(3, read=1.5)


def test_counter_models_do_not_depend_on_earlier_solving():
    first = quorums_intersect(6, read=3, write=3).counter_model
    for n in (3, 5, 7):
        quorums_intersect(n, read=1, write=n - 1)
        check_inductive(LockServer(2), SAFETY_ONLY)
    assert quorums_intersect(6, read=3, write=3).counter_model == first == {
        "read quorum": [3, 4, 5], "write quorum": [0, 1, 2], "weights": [1] * 6}  # lexicographically least


def test_proof_result_reads_well_and_is_frozen():
    x = z3.Int("x")
    p = prove(z3.Implies(x > 2, x * x > 4), "x > 2 implies x^2 > 4")
    assert p.proved and p.counter_model is None and repr(p) == "proved: x > 2 implies x^2 > 4"
    q = prove(z3.Implies(x >= 0, x * x > x), "x^2 > x", smallest=[x])
    assert not q.proved and q.counter_model == {"x": 0} and "counter-model: {'x': 0}" in repr(q)
    with pytest.raises(Exception):
        p.proved = False


# -- the lock server, written again here in plain Python -------------------------------------

def successors(state, n):
    """Every (action, post-state) of the lock server, from its prose description."""
    out = []
    for i in range(n):
        g, h, r = f"grant_{i}", f"holds_{i}", f"release_{i}"
        if state["server_free"]:
            out.append((f"send_grant({i})", {**state, "server_free": False, g: True}))
        if state[g]:
            out.append((f"recv_grant({i})", {**state, g: False, h: True}))
        if state[h]:
            out.append((f"unlock({i})", {**state, h: False, r: True}))
        if state[r]:
            out.append((f"recv_release({i})", {**state, r: False, "server_free": True}))
    return out


def reachable(n):
    ls = LockServer(n)
    start = {v: v == "server_free" for v in ls.variables}
    seen, todo = {tuple(sorted(start.items()))}, [start]
    while todo:
        s = todo.pop()
        for _, t in successors(s, n):
            k = tuple(sorted(t.items()))
            if k not in seen:
                seen.add(k)
                todo.append(t)
    return [dict(k) for k in seen]


def safety_py(s, n):
    return sum(s[f"holds_{i}"] for i in range(n)) <= 1


@pytest.mark.parametrize("n", [1, 2, 3])
def test_successors_agree_with_the_plain_python_model(n):
    ls = LockServer(n)
    for bits in itertools.islice(itertools.product([False, True], repeat=len(ls.variables)), 0, None, 29):
        s = dict(zip(ls.variables, bits))
        assert sorted(ls.successors(s), key=str) == sorted(successors(s, n), key=str)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_one_token_is_inductive_and_holds_in_every_reachable_state(n):
    r = check_inductive(LockServer(n), ONE_TOKEN)
    assert r.proved and r.counter_model is None
    assert "PROVED" in repr(r) and repr(r).count("proved") == 3
    states = reachable(n)
    assert len(states) == 1 + 3 * n  # the token is at the server or at one of 3 places per client
    assert all(LockServer(n).holds_in(ONE_TOKEN, s) and safety_py(s, n) for s in states)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("weak", [SAFETY_ONLY, NO_GRANT_WHILE_HELD])
def test_weakened_invariant_counter_model_really_breaks_consecution(n, weak):
    ls = LockServer(n)
    r = check_inductive(ls, weak)
    assert not r.proved and r.initiation.proved and r.safety.proved and not r.consecution.proved
    pre, action, post = r.counter_model["pre"], r.counter_model["action"], r.counter_model["post"]
    assert (action, post) in successors(pre, n)  # a real step of the protocol
    assert ls.holds_in(weak, pre) and not ls.holds_in(weak, post)
    # the pre-state is unreachable: strengthening may rule it out; ONE_TOKEN does
    reach = reachable(n)
    assert pre not in reach and not ls.holds_in(ONE_TOKEN, pre)
    assert "pre:" in repr(r) and action in repr(r)


def test_each_counter_model_guides_the_next_strengthening():
    ls = LockServer(2)
    first = check_inductive(ls, SAFETY_ONLY).counter_model["pre"]
    # a grant in flight while someone holds the lock: NO_GRANT_WHILE_HELD rules exactly this out
    assert any(first[f"grant_{i}"] for i in range(2)) and any(first[f"holds_{i}"] for i in range(2))
    assert not ls.holds_in(NO_GRANT_WHILE_HELD, first)
    second = check_inductive(ls, NO_GRANT_WHILE_HELD).counter_model["pre"]
    assert sum(second.values()) >= 2  # two "tokens" at once: ONE_TOKEN says there is exactly one
    assert not ls.holds_in(ONE_TOKEN, second)


def test_invariants_as_formulas_and_failed_initiation_and_safety():
    ls = LockServer(2)
    canon = ls.state()
    assert check_inductive(ls, ONE_TOKEN(canon)).proved  # a formula over server_free, grant_0, ...
    r = check_inductive(ls, lambda s: z3.Not(s.server_free), "server busy")
    assert not r.initiation.proved and r.counter_model == {"state": {v: v == "server_free" for v in ls.variables}}
    r = check_inductive(ls, lambda s: z3.BoolVal(True), "true")
    assert r.initiation.proved and r.consecution.proved and not r.safety.proved
    bad = r.safety.counter_model["state"]
    assert not safety_py(bad, 2)
    with pytest.raises(TypeError, match="invariant"):
        check_inductive(ls, "holds_0")
    with pytest.raises(TypeError, match="z3 boolean"):
        check_inductive(ls, lambda s: True)
    with pytest.raises(ValueError, match="n must be"):
        LockServer(0)
