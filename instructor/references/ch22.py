"""Reference solutions: chapter 2.2 exercises: the firing rule, the philosophers' deadlock, an inductive invariant.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch22) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.formal.petri import PetriNet, deadlocks, dining_philosophers
from dsysedu.formal.proofs import ONE_TOKEN

__all__ = ["enabled_reference", "deadlock_reference", "invariant_reference"]


def enabled_reference(net: PetriNet, marking: dict) -> set:
    """The transitions whose every input place holds at least the arc's weight."""
    return set(net.enabled(net.marking(marking)))


def deadlock_reference(n: int) -> dict:
    """The only deadlock of ``dining_philosophers(n)``: everyone holds the left fork, no fork is on the table."""
    net = dining_philosophers(n)
    (dead,) = deadlocks(net)
    return net.as_dict(dead)


def invariant_reference(s):
    """One answer: the lock is one token, in exactly one place (:data:`~dsysedu.formal.proofs.ONE_TOKEN`)."""
    return ONE_TOKEN(s)


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch22-enabled": enabled_reference, "ch22-deadlock": deadlock_reference, "ch22-invariant": invariant_reference}
