"""The property kinds as temporal logic: each formula shape, and the checker's verdicts agree with
the formulas evaluated directly on the explicit state graph (AG P, EF P, AG EF P)."""
import pytest

from dsysedu.check.model_checker import (PROPERTY_KINDS, TEMPORAL, check, deadlock_free, eventually, formulas,
                                         invariant, reachable, within)
from dsysedu.protocols.coordination import mutex
from dsysedu.protocols.transactions import twopc


def graph(model):
    init = model.initial()
    succ, todo = {}, [init]
    succ[init] = None
    while todo:
        s = todo.pop()
        succ[s] = [t for _a, t in model.successors(s)]
        for t in succ[s]:
            if t not in succ:
                succ[t] = None
                todo.append(t)
    return init, succ


def ag(succ, p, model):
    return all(p(model.view(s)) for s in succ)


def ef(succ, p, model):
    return any(p(model.view(s)) for s in succ)


def ag_ef(succ, p, model):
    good = {s for s in succ if p(model.view(s))}
    changed = True
    while changed:
        changed = False
        for s, nxt in succ.items():
            if s not in good and any(t in good for t in nxt):
                good.add(s)
                changed = True
    return len(good) == len(succ)


def test_every_kind_has_a_formula():
    assert set(TEMPORAL) == set(PROPERTY_KINDS)
    assert formulas(mutex.mutual_exclusion, "¬(cs₁ ∧ cs₂)") == {"LTL": "□ ¬(cs₁ ∧ cs₂)",
                                                                "CTL": "AG ¬(cs₁ ∧ cs₂)"}
    assert formulas(mutex.someone_enters, "cs₁ ∨ cs₂")["CTL"] == "AG EF (cs₁ ∨ cs₂)"
    assert formulas(twopc.all_decided) == {"LTL": "◇ (all decided) under fairness", "CTL": "AG EF (all decided)"}
    assert formulas(within("w", lambda s: True, 4), "done") == {"LTL": "◇≤4 done", "CTL": "AF≤4 done"}
    assert formulas(reachable("r", lambda s: True), "x")["CTL"] == "EF x"
    assert formulas(deadlock_free())["CTL"] == "AG (EX true ∨ final)"


PREDICATES = {
    "someone inside": lambda s: sum(s[c].phase == mutex.CRITICAL for c in s.nodes if c != "s" and s.is_up(c)) >= 1,
    "two inside": lambda s: sum(s[c].phase == mutex.CRITICAL for c in s.nodes if c != "s" and s.is_up(c)) >= 2,
}


@pytest.mark.parametrize("client", [mutex.LockClient, mutex.ImpatientClient])
@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_verdicts_are_the_formulas_on_the_state_graph(client, name):
    model = mutex.mutex_model(2, client, symmetric=False)
    _init, succ = graph(model)
    p = PREDICATES[name]
    assert (check(model, invariant(name, p)).verdict == "ok") == ag(succ, p, model)
    assert (check(model, reachable(name, p)).verdict == "ok") == ef(succ, p, model)
    assert (check(model, eventually(name, p)).verdict == "ok") == ag_ef(succ, p, model)


def test_eventual_decision_needs_the_messages_to_arrive():
    for budget, expected in (({}, True), ({"drops": 1}, False)):
        model = twopc.twopc_model(2, symmetric=False, **budget)
        _init, succ = graph(model)
        assert ag_ef(succ, twopc.all_decided_state, model) is expected
        assert (check(model, twopc.all_decided).verdict == "ok") is expected


def test_bad_input():
    with pytest.raises(TypeError, match="Property"):
        formulas("always P")
    with pytest.raises(TypeError, match="text"):
        formulas(mutex.mutual_exclusion, 3)
