"""The search's fast paths agree with the slow ones they replace.

* ``Model._successors`` applies remembered handler outcomes (and remembered timer tuples);
  ``Model.step(..., record=[])`` runs the handler afresh and rebuilds messages and timers
  from scratch: both must give the same successors, in the same order.
* ``predicate_on`` remembers a predicate's answer per tuple of node entries while the
  predicate reads only nodes; asked state by state it must answer as the predicate does.
"""
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check.model_checker.search import predicate_on
from dsysedu.check.model_checker.state import Model
from dsysedu.check.model_checker.values import NodesOnlyReader, StateReader
from dsysedu.check.model_checker import check, invariant
from dsysedu.protocols.coordination.mutex import mutex_model
from dsysedu.protocols.basics.toys import Flood
from dsysedu.protocols.transactions.twopc import (ABORTED, COMMITTED, ForgetfulParticipant, MajorityCoordinator, atomicity,
                                     twopc_model)

MODELS = {
    "2pc faults": lambda: twopc_model(2, symmetric=False, drops=1, duplicates=1, crashes=1, recoveries=1),
    "2pc forgetful": lambda: twopc_model(2, participant=ForgetfulParticipant, symmetric=False, crashes=1,
                                         recoveries=1),
    "mutex": lambda: mutex_model(2),
    "flood dup": lambda: Model(Flood, nodes=3, duplicates=2, drops=1),
}


def reachable_states(model, limit=60_000):
    init = model.initial()
    order, seen = [init], {init}
    i = 0
    while i < len(order):
        for _a, n in model.successors(order[i]):
            if n not in seen:
                seen.add(n)
                order.append(n)
        i += 1
        assert len(order) < limit, "the test models must be small"
    return order


@pytest.mark.parametrize("room", [None, 5])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_remembered_successors_match_a_fresh_handler_run(name, room):
    """``room``: how many node tuples the outcomes may remember (None: the default; 5: soon full)."""
    model = MODELS[name]()
    if room is not None:
        model._nodes_room = room
    states = reachable_states(model)
    assert len(states) > 20
    for s in states:
        fast = model.successors(s)                       # remembered outcomes, remembered timer tuples
        slow = [(a, model.step(s, a, record=[])) for a in model.actions(s)]   # handlers run again
        assert fast == slow, model.describe(s)
        assert model.successors(s) == slow               # and again, from the refreshed memo
    if room is not None:
        assert model._nodes_room == 0


def _phases(s):
    return sorted(v for v in s.field("phase").values())


PREDICATES = [
    lambda s: COMMITTED not in _phases(s),
    lambda s: _phases(s).count(ABORTED) < 2,
    lambda s: len(s.in_flight) < 3,                                       # wide from the first call
    lambda s: ABORTED not in _phases(s) or len(s.timers) > 0,             # wide only once someone aborted
    lambda s: not (s.is_up("p1") and s["p1"].phase == COMMITTED and len(s.state[1]) == 0),
]


_MODEL = twopc_model(2, symmetric=False, crashes=1, recoveries=1, drops=1)
_STATES = reachable_states(_MODEL)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(PREDICATES) - 1), st.booleans(), st.integers(0, 2 ** 32))
def test_remembered_predicate_answers_as_the_predicate(which, negate, seed):
    """In any order of asking (a random one per example), whether the predicate turns wide or not."""
    model = _MODEL
    states = list(_STATES)
    random.Random(seed).shuffle(states)
    p = PREDICATES[which]
    ask = predicate_on(model, p, negate=negate)
    for s in states:
        truth = bool(p(StateReader(model, s)))
        assert ask(s) is (not truth if negate else truth)


def test_reading_past_the_nodes_is_noticed():
    model = twopc_model(2, symmetric=False)
    s = model.initial()
    for read, wide in ((lambda v: v.field("phase"), False), (lambda v: v["p1"].phase, False),
                       (lambda v: v.is_up("c") and v.nodes, False), (lambda v: v.in_flight, True),
                       (lambda v: v.timers, True), (lambda v: v.state, True), (lambda v: v.model, True),
                       (repr, True)):
        view = NodesOnlyReader(model, s)
        read(view)
        assert view.wide is wide
        assert isinstance(view, StateReader)


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
def test_wide_and_narrow_invariants_give_the_same_verdict_and_path(strategy):
    """The same property, once read from the nodes and once through ``s.state`` (never remembered)."""
    model = twopc_model(3, MajorityCoordinator, symmetric=False)
    narrow = check(model, atomicity, strategy=strategy)
    wide = check(twopc_model(3, MajorityCoordinator, symmetric=False),
                 invariant("atomicity, read wide", lambda s: len(s.state) == 4 and atomicity.predicate(s)),
                 strategy=strategy)
    assert narrow.verdict == wide.verdict == "violation"
    assert narrow.states == wide.states and narrow.transitions == wide.transitions
    assert narrow.path == wide.path
