"""Chapter 2.2 exercises: the firing rule, the philosophers' deadlock, an inductive invariant.

- ``ch22-enabled``: which transitions of a Petri net are enabled in a marking;
- ``ch22-deadlock``: the marking in which the dining philosophers (n of them) are stuck;
- ``ch22-invariant``: an invariant of the lock server that z3 proves inductive (chapter 2.3.2's
  tools, used on chapter 2.2's kind of model).

References
----------
T. Murata, "Petri nets: properties, analysis and applications", Proc. IEEE 77(4), 1989.
"""
from __future__ import annotations

import z3

from dsysedu.formal.petri import PetriNet, dining_philosophers, producer_consumer
from dsysedu.formal.proofs import LockServer, check_inductive
from .core import Exercise, register

__all__ = []


# ------------------------------------------------------------------ enabled


def _same_set(expected, got) -> bool:
    """A set (or frozenset) of names; a list could repeat a name and has an order that means nothing."""
    return isinstance(got, (set, frozenset)) and set(got) == expected


def _weighted():
    return PetriNet(["p", "q", "r"], ["double", "single", "spring"],
                    [("p", "double", 2), ("double", "r"), ("q", "single"), ("single", "p", 3), ("spring", "q")],
                    name="weighted arcs and a source transition")


def _enabled_cases():
    phil = dining_philosophers(3)
    full = producer_consumer(2)
    w = _weighted()
    at = lambda net, seq: net.as_dict(_run(net, seq), nonzero=False)
    return [
        ("three philosophers, everyone thinking", (phil, at(phil, []))),
        ("three philosophers after first0 (philosopher 0 holds its left fork)", (phil, at(phil, ["first0"]))),
        ("three philosophers, 0 eating", (phil, at(phil, ["first0", "second0"]))),
        ("three philosophers, all holding their left fork", (phil, at(phil, ["first0", "first1", "first2"]))),
        ("producer/consumer with the buffer (capacity 2) full",
         (full, at(full, ["make", "put", "make", "put", "make"]))),
        ("an arc of weight 2 from p, and p holds 1 token", (w, {"p": 1, "q": 0, "r": 0})),
        ("an arc of weight 2 from p, and p holds exactly 2 tokens", (w, {"p": 2, "q": 0, "r": 0})),
        ("p holds 3 tokens, q holds 1", (w, {"p": 3, "q": 1, "r": 5})),
        ("the empty marking: only a transition with no input places can fire", (w, {"p": 0, "q": 0, "r": 0})),
    ]


def _run(net, seq):
    m = net.initial
    for t in seq:
        m = net.fire(m, t)
    return m


register(Exercise(
    id="ch22-enabled",
    title="Which transitions are enabled in this marking?",
    cases=_enabled_cases,
    same=_same_set,
    hint="for each t in net.transitions: enabled when marking[p] >= w for every (p, w) in "
         "net.inputs(t).items() (a transition with no inputs is always enabled); return a set.",
))


# ------------------------------------------------------------------ deadlock


def _same_marking(expected, got) -> bool:
    """A dict place -> tokens; places with 0 tokens may be left out or given as 0."""
    if not isinstance(got, dict):
        return False
    return {p: k for p, k in got.items() if k != 0} == expected


register(Exercise(
    id="ch22-deadlock",
    title="Find the deadlock marking of the dining philosophers",
    cases=lambda: [(f"{n} philosophers", (n,)) for n in (2, 3, 4, 5, 6)],
    same=_same_marking,
    hint="each philosopher i waits holding one fork: which place says so (think, hold, eat)? "
         "and which forks are still on the table? Return {place: tokens}.",
))


# ------------------------------------------------------------------ invariant


class _Inductive:
    """The expected answer: not one formula but any that z3 proves inductive and safe for ``n`` clients."""

    def __init__(self, n):
        self.n = n

    def __repr__(self):
        return f"an invariant that z3 proves for {self.n} client(s) (initiation, consecution, safety)"


def _goal(s):
    return _Inductive(s.n)


def _proves(got, s) -> bool:
    """``got`` is a z3 formula over the state's variables that passes the three obligations."""
    if not isinstance(got, z3.BoolRef):
        return False
    try:
        return check_inductive(LockServer(s.n), got).proved
    except Exception:
        return False


register(Exercise(
    id="ch22-invariant",
    title="Write an inductive invariant of the lock server that z3 then proves",
    cases=lambda: [(f"a lock server with {n} client{'s' if n > 1 else ''}", (LockServer(n).state(),))
                   for n in (1, 2, 3, 4)],
    accepts=_proves,
    describe=_goal,
    hint="safety alone is not inductive; ask check_inductive(LockServer(2), invariant) for a "
         "counter-model and rule its pre-state out. Think of the lock as one token that moves "
         "server -> grant -> holds -> release -> server.",
))
