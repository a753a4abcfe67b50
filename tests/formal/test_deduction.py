"""Proofs from axioms by inference rules: the checker accepts the textbook proof, names the first
bad line of broken ones, and is sound: everything it accepts from the axioms alone is a tautology."""
from __future__ import annotations

import doctest
from itertools import product

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.formal import deduction
from dsysedu.formal.deduction import AXIOMS, IDENTITY_PROOF, check_proof, parse_formula, show_formula

ATOMS = st.sampled_from(["A", "B", "C"])


def formulas(max_leaves=5):
    return st.recursive(ATOMS, lambda sub: st.one_of(st.builds(deduction._Not, sub),
                                                     st.builds(deduction._Imp, sub, sub)), max_leaves=max_leaves)


def text(f) -> str:
    """Formula -> the ASCII syntax parse_formula reads (fully bracketed)."""
    if isinstance(f, str):
        return f
    if isinstance(f, deduction._Not):
        return f"~({text(f.body)})"
    return f"({text(f.left)}) -> ({text(f.right)})"


def value(f, env) -> bool:
    if isinstance(f, str):
        return env[f]
    if isinstance(f, deduction._Not):
        return not value(f.body, env)
    return (not value(f.left, env)) or value(f.right, env)


def tautology(f) -> bool:
    return all(value(f, dict(zip("ABC", bits))) for bits in product([False, True], repeat=3))


def instance(schema, binding):
    if isinstance(schema, str):
        return binding[schema]
    if isinstance(schema, deduction._Not):
        return deduction._Not(instance(schema.body, binding))
    return deduction._Imp(instance(schema.left, binding), instance(schema.right, binding))


def test_doctests():
    assert doctest.testmod(deduction).failed == 0


def test_the_identity_proof_and_broken_ones():
    assert check_proof(IDENTITY_PROOF, goal="A -> A").ok
    swapped = list(IDENTITY_PROOF)
    swapped[2] = ("(A -> A -> A) -> A -> A", ("MP", 1, 2))      # premise and implication the wrong way round
    bad = check_proof(swapped)
    assert not bad and bad.events == (3,) and "MP on lines 1 and 2" in bad.message
    wrong_axiom = [("A -> B -> B", "A1")]
    assert check_proof(wrong_axiom).events == (1,) and "not an instance of A1" in check_proof(wrong_axiom).message
    assert not check_proof(IDENTITY_PROOF, goal="B -> B")
    assert not check_proof([("A", "hyp")]) and check_proof([("A", "hyp")], hypotheses=["A"])


def test_hypotheses_and_modus_ponens_chain():
    # two leaders of one term would need two majorities; two majorities share a voter; a voter votes once
    hyps = ["two_leaders -> two_majorities", "two_majorities -> shared_voter", "two_leaders"]
    proof = [("two_leaders", "hyp"), ("two_leaders -> two_majorities", "hyp"), ("two_majorities", ("MP", 1, 2)),
             ("two_majorities -> shared_voter", "hyp"), ("shared_voter", ("MP", 3, 4))]
    assert check_proof(proof, hypotheses=hyps, goal="shared_voter").ok
    assert not check_proof(proof[:4] + [("shared_voter", ("MP", 1, 4))], hypotheses=hyps)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(AXIOMS)), formulas(), formulas(), formulas()), min_size=1, max_size=6))
def test_everything_derived_from_the_axioms_is_a_tautology(picks):
    # the identity proof for the first random formula (two MP steps), then random axiom instances
    lines = [(t.replace("A", f"({text(picks[0][1])})"), why) for t, why in IDENTITY_PROOF]
    lines += [(text(instance(AXIOMS[a], {"p": p, "q": q, "r": r})), a) for a, p, q, r in picks]
    derived = [parse_formula(t) for t, _ in lines]
    for _round in range(2):   # close under modus ponens a little
        for i, j in product(range(len(derived)), repeat=2):
            g = derived[j]
            if isinstance(g, deduction._Imp) and g.left == derived[i] and len(lines) < 30:
                lines.append((text(g.right), ("MP", i + 1, j + 1)))
                derived.append(g.right)
    assert check_proof(lines).ok and sum(isinstance(why, tuple) for _t, why in lines) >= 2
    assert all(tautology(f) for f in derived)


@settings(max_examples=100, deadline=None)
@given(formulas())
def test_text_round_trips(f):
    assert parse_formula(text(f)) == f
    assert parse_formula(show_formula(f).replace("→", "->").replace("¬", "~")) == f


@pytest.mark.parametrize("bad, message", [("A ->", "expected an atom"), ("(A -> B", "expected '\\)'"),
                                          ("A B", "unexpected 'B'"), ("A & B", "unexpected '&'")])
def test_bad_formulas(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_formula(bad)


def test_bad_lines():
    with pytest.raises(ValueError, match="justification"):
        check_proof([("A", "axiom")])
    with pytest.raises(TypeError, match="line 1"):
        check_proof(["A"])
    with pytest.raises(TypeError, match="text"):
        parse_formula(3)
