"""Chapter 3.2 exercises: when quorums are strict, and how G-Counter replicas merge.

- ``ch32-strong``: ``strong(n, r, w)``, whether every read quorum of ``R`` replicas meets every
  write quorum of ``W`` out of ``N`` (so a read always sees the last acknowledged write);
- ``ch32-gcounter-merge``: ``merge(a, b)``, the join of two G-Counter states given as dicts
  ``replica -> count`` (Shapiro et al. 2011). Some cases are the semilattice laws themselves;
  :func:`merge_laws` checks the laws on many states and names the one that fails.

References
----------
M. Shapiro, N. Preguiça, C. Baquero and M. Zawirski, "Conflict-free replicated data types", SSS 2011.
P. Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums", VLDB 2012.
"""
from __future__ import annotations

import random
from collections.abc import Mapping

import numpy as np

from dsysedu.check import Verdict
from dsysedu.protocols.replication.crdt import law_counterexample
from .core import Exercise, register

__all__ = ["merge_laws"]


# ------------------------------------------------------------------ strict quorums


def _same_bool(expected, got) -> bool:
    """True or False (a numpy bool is fine); a number that merely looks true is not an answer."""
    return isinstance(got, (bool, np.bool_)) and bool(got) == expected


def _strong_cases():
    return [
        ("N=3, R=2, W=2: majority reads and majority writes", (3, 2, 2)),
        ("N=3, R=1, W=1: read one replica, write one replica", (3, 1, 1)),
        ("N=4, R=2, W=2: R + W equals N, so the two halves {0,1} and {2,3} can miss each other", (4, 2, 2)),
        ("N=3, R=1, W=3: write to all, read any one", (3, 1, 3)),
        ("N=3, R=3, W=1: write to one, read all", (3, 3, 1)),
        ("N=1, R=1, W=1: a single replica", (1, 1, 1)),
        ("N=5, R=2, W=3: R + W equals N again", (5, 2, 3)),
        ("N=5, R=3, W=3: two majorities of five", (5, 3, 3)),
        ("N=6, R=4, W=3: no majority of writes is needed, only overlap", (6, 4, 3)),
        ("N=6, R=3, W=3: half and half, R + W equals N", (6, 3, 3)),
        ("N=7, R=1, W=7: write all seven, read one", (7, 1, 7)),
        ("N=7, R=2, W=4: a partial quorum (Dynamo-style, for speed)", (7, 2, 4)),
    ]


register(Exercise(
    id="ch32-strong",
    title="Does every read quorum meet every write quorum?",
    cases=_strong_cases,
    same=_same_bool,
    hint="can you pick R replicas and W replicas with no replica in common? Only if there are enough "
         "replicas for both side by side, R + W <= N. Return True or False.",
))


# ------------------------------------------------------------------ G-Counter merge


def _drop_zeros(d) -> dict:
    return {k: v for k, v in d.items() if v != 0}


def _same_counts(expected, got) -> bool:
    """A dict with the same count for every replica (a replica missing and a replica at 0 are the same)."""
    return isinstance(got, Mapping) and _drop_zeros(dict(got)) == _drop_zeros(expected)


def _merge_cases():
    ahead, behind = {"a": 5, "b": 2}, {"a": 1, "b": 1}
    return [
        ("two replicas that each counted only their own increments: a={'a': 3}, b={'b': 2}",
         ({"a": 3}, {"b": 2})),
        ("both counted at replica 'a' and b has heard more: a={'a': 1}, b={'a': 4}", ({"a": 1}, {"a": 4})),
        ("a is ahead of b at every replica: merging must never go back", (ahead, behind)),
        ("commutativity: the same two states in the other order, merge(b, a)", (behind, ahead)),
        ("idempotence: the same state delivered twice, merge(a, a) must be a", ({"a": 2, "b": 3}, {"a": 2, "b": 3})),
        ("each is ahead at a different replica: a={'a': 4, 'b': 1}, b={'a': 2, 'b': 6}",
         ({"a": 4, "b": 1}, {"a": 2, "b": 6})),
        ("merging with a replica that has heard nothing: a={}, b={'c': 7}", ({}, {"c": 7})),
        ("integer replica ids 0, 1, 2: a={0: 1, 1: 5}, b={1: 2, 2: 9}", ({0: 1, 1: 5}, {1: 2, 2: 9})),
        ("two empty states", ({}, {})),
    ]


register(Exercise(
    id="ch32-gcounter-merge",
    title="Merge two G-Counter states",
    cases=_merge_cases,
    same=_same_counts,
    hint="every replica that appears in a or in b gets max(a.get(r, 0), b.get(r, 0)); build and return a new "
         "dict (do not add the counts: a state that arrives twice would count twice).",
))


def _sample_states(seed: int, count: int) -> list:
    rnd = random.Random(seed)
    states = [{}]
    for _ in range(count):
        base = dict(states[rnd.randrange(len(states))])
        r = rnd.choice("abc")
        base[r] = base.get(r, 0) + rnd.randrange(1, 4)
        states.append(base)
    return states


def merge_laws(merge, seed: int = 7, count: int = 12) -> Verdict:
    """Check that ``merge`` (on G-Counter dicts) is commutative, associative and idempotent.

    Tries every pair and triple of ``count`` sample states (seeded); the verdict names the first
    law that fails and the states that show it.

    Examples
    --------
    >>> merge_laws(lambda a, b: {**a, **b}).message[:11]
    'commutative'
    >>> merge_laws(lambda a, b: {k: a.get(k, 0) + b.get(k, 0) for k in {**a, **b}}).message[:10]
    'idempotent'
    """
    prop = "semilattice laws"
    states = _sample_states(seed, count)

    def m(a, b):
        out = merge(dict(a), dict(b))
        if not isinstance(out, Mapping):
            raise TypeError(f"merge must return a dict, it returned {out!r}")
        return _drop_zeros(dict(out))

    try:
        found = law_counterexample([_drop_zeros(s) for s in states], merge=m)
    except NotImplementedError:
        return Verdict(False, prop, "not written yet: write merge first")
    except Exception as exc:  # the learner's bug: say it, do not crash the notebook
        return Verdict(False, prop, f"merge raised {type(exc).__name__}: {exc}")
    if found is None:
        return Verdict(True, prop, f"commutative, associative and idempotent on all pairs and triples of "
                                   f"{len(states)} sample states")
    law, args = found
    shown = {"idempotent": lambda a: f"merge(a, a) = {m(a, a)} but a = {a}",
             "commutative": lambda a, b: f"merge(a, b) = {m(a, b)} but merge(b, a) = {m(b, a)} for a = {a}, b = {b}",
             "associative": lambda a, b, c: f"merge(a, merge(b, c)) = {m(a, m(b, c))} but merge(merge(a, b), c) = "
                                            f"{m(m(a, b), c)} for a = {a}, b = {b}, c = {c}"}[law](*args)
    return Verdict(False, prop, f"{law} fails: {shown}")
