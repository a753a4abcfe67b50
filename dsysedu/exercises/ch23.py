"""Chapter 2.3 exercises: state the property the model checker then verifies; prove from axioms.

- ``ch23-mutual-exclusion``: write ``safe(s)``, true exactly in the states of the lock server
  (:mod:`dsysedu.protocols.coordination.mutex`) where at most one client that is up is in its critical section.
  The hidden cases are states the model checker reached: every reachable state of the correct
  server with two and with three clients, and the bad states plus a sample of the others of the
  server with an impatient client (the one whose bug section 2.3.1 finds).

- ``ch23-identity-proof``: write ``identity_proof(phi)``, a derivation of ``phi -> phi`` from the
  axioms A1 and A2 by modus ponens (:mod:`dsysedu.formal.deduction`), for any formula ``phi``. The
  hidden cases are formulas of several shapes; :func:`~dsysedu.formal.deduction.check_proof` judges
  each answer, so any correct derivation passes.

A predicate sees the state through :class:`~dsysedu.check.model_checker.values.StateReader`: ``s.nodes``,
``s.is_up(n)``, ``s[n].phase`` and ``s.field("phase")`` (a dict over the up nodes that have it).
"""
from __future__ import annotations

from functools import lru_cache

from dsysedu.check.model_checker.values import StateReader
from dsysedu.check.model_checker import reachable_graph
from dsysedu.formal.deduction import check_proof
from dsysedu.protocols.coordination.mutex import ImpatientClient, LockClient, mutex_model, mutual_exclusion
from .core import Exercise, register

__all__ = ["mutex_states"]


class _Case(StateReader):
    """A state handed to the learner's predicate; it prints as the model checker describes it."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "the state\n    " + self.model.describe(self.state).replace("\n", "\n    ")


@lru_cache(maxsize=None)
def mutex_states() -> tuple:
    """``(description, StateReader)`` for the hidden cases, in a fixed order."""
    out = []
    for client, n, every in ((LockClient, 2, 1), (LockClient, 3, 1), (ImpatientClient, 2, 25)):
        model = mutex_model(n, client, symmetric=False)
        graph = reachable_graph(model, max_states=5000)
        states = sorted(graph.nodes, key=lambda s: (graph.nodes[s]["depth"], model.describe(s)))
        for k, state in enumerate(states):
            view = _Case(model, state)
            bad = not mutual_exclusion.predicate(view)
            if bad or k % every == 0:
                name = f"{n} clients ({client.__name__})"
                out.append((f"{name}, a state {graph.nodes[state]['depth']} steps from the start:\n    "
                            + model.describe(state).replace("\n", "\n    "), view))
    return tuple(out)


def _same_truth(expected, got) -> bool:
    """A bool (numpy's and z3's are not accepted: the checker asks Python's ``not``)."""
    return isinstance(got, bool) and got == expected


register(Exercise(
    id="ch23-mutual-exclusion",
    title="Write the mutual-exclusion invariant that the model checker verifies",
    cases=lambda: [(desc, (view,)) for desc, view in mutex_states()],
    same=_same_truth,
    hint="count the clients whose phase is 'critical' among those that are up: s.field('phase') gives "
         "{node: phase} over the up nodes that have a phase (the server has none).",
))


# ------------------------------------------------------------------ a proof from axioms


def _proves_identity(got, phi) -> bool:
    """Any derivation the checker accepts whose last line is phi -> phi."""
    if not isinstance(got, (list, tuple)):
        return False
    try:
        return check_proof(got, goal=f"({phi}) -> ({phi})").ok
    except (TypeError, ValueError):
        return False


register(Exercise(
    id="ch23-identity-proof",
    title="Prove phi -> phi from the axioms",
    cases=lambda: [(f"phi = {phi}", (phi,)) for phi in ("A", "B -> C", "~A", "(A -> B) -> A", "~(A -> ~B)")],
    accepts=_proves_identity,
    describe=lambda phi: (f"a list of (formula, justification) lines that check_proof accepts, the last one "
                          f"({phi}) -> ({phi})"),
    hint="take the proof of A -> A in deduction.IDENTITY_PROOF and put (phi), in brackets, wherever it has A; "
         "check_proof(your_lines, goal=...) names the first line that is wrong.",
))
