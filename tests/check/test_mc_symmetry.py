"""Symmetry reduction: one representative per class, whatever the names; renaming reaches every id."""
from dataclasses import dataclass
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check.model_checker.symmetry import Symmetry, canonical_text, rename_ids
from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model
from dsysedu.check.model_checker import check
from dsysedu.protocols.coordination.mutex import mutex_model
from dsysedu.protocols.transactions.twopc import twopc_model


@dataclass(frozen=True)
class Msg:
    sender: str
    seen: frozenset
    n: int


def test_rename_ids_reaches_dataclasses_sets_and_dicts():
    from dsysedu.check.model_checker.state import freeze, thaw
    m = {"p1": "p2", "p2": "p1"}
    assert rename_ids(Msg("p1", frozenset({"p1", "p3"}), 1), m) == Msg("p2", frozenset({"p2", "p3"}), 1)
    d = rename_ids(freeze({"p1": ["p2", 1]}), m)
    assert thaw(d) == {"p2": ["p1", 1]}
    assert canonical_text(frozenset({"b", "a"})) == canonical_text(frozenset({"a", "b"}))


def _states(model, limit=3000):
    init = model.initial()
    seen, todo = {init}, [init]
    while todo and len(seen) < limit:
        for _a, n in model.successors(todo.pop()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return sorted(seen)


MODELS = [lambda: twopc_model(3), lambda: mutex_model(3), lambda: twopc_model(3, crashes=1, recoveries=1),
          lambda: raft_election_model(max_term=1, symmetric=True)]


_BUILT = {}


def _built(which):
    if which not in _BUILT:
        model = MODELS[which]()
        _BUILT[which] = (model, Symmetry(model), _states(model))
    return _BUILT[which]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(MODELS) - 1), st.integers(0, 10 ** 6), st.permutations([0, 1, 2]))
def test_every_renaming_of_a_state_has_the_same_representative(which, pick, perm):
    model, sym, states = _built(which)
    s = states[pick % len(states)]
    ids = model.symmetric
    renamed = sym.permute(s, {ids[i]: ids[perm[i]] for i in range(3)})
    assert sym.canonical(renamed) == sym.canonical(s)
    # the representative is a renaming of the state itself
    assert any(sym.permute(s, dict(zip(ids, p))) == sym.canonical(s) for p in permutations(ids))


def test_reduction_never_increases_counts_nor_changes_verdicts():
    for n in (1, 2, 3):
        for make in (twopc_model, mutex_model):
            a = check(make(n, symmetric=False), _true())
            b = check(make(n), _true())
            assert b.states <= a.states and a.verdict == b.verdict == "ok"


def _true():
    from dsysedu.check.model_checker import invariant
    return invariant("true", lambda s: True)


def test_raft_symmetry_agrees():
    a = check(raft_election_model(max_term=1), election_safety_invariant)
    b = check(raft_election_model(max_term=1, symmetric=True), election_safety_invariant)
    assert a.verdict == b.verdict == "ok"
    assert b.states < a.states
