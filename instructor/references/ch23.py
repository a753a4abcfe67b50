"""Reference solutions: chapter 2.3 exercises: state the property the model checker then verifies; prove from axioms.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch23) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.protocols.coordination.mutex import CRITICAL

__all__ = ["safe_reference", "identity_proof_reference"]


def safe_reference(s) -> bool:
    """At most one client that is up is in its critical section (the package's ``mutual_exclusion``)."""
    return sum(1 for v in s.field("phase").values() if v == CRITICAL) <= 1


def identity_proof_reference(phi: str) -> list:
    """The textbook derivation of ``phi -> phi`` (Mendelson, Lemma 1.8), with ``phi`` for A."""
    p = f"({phi})"
    return [(f"({p} -> ({p} -> {p}) -> {p}) -> ({p} -> {p} -> {p}) -> {p} -> {p}", "A2"),
            (f"{p} -> ({p} -> {p}) -> {p}", "A1"),
            (f"({p} -> {p} -> {p}) -> {p} -> {p}", ("MP", 2, 1)),
            (f"{p} -> {p} -> {p}", "A1"),
            (f"{p} -> {p}", ("MP", 4, 3))]


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch23-mutual-exclusion": safe_reference, "ch23-identity-proof": identity_proof_reference}
