"""Reference solutions: chapter 3.2 exercises: when quorums are strict, and how G-Counter replicas merge.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch32) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations


__all__ = ["strong_reference", "gcounter_merge_reference"]


def strong_reference(n: int, r: int, w: int) -> bool:
    """True when any ``r`` of ``n`` replicas and any ``w`` of them share a replica: ``r + w > n``."""
    return r + w > n


def gcounter_merge_reference(a: dict, b: dict) -> dict:
    """The join of two G-Counter states: for each replica, the larger of its two counts."""
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in {**a, **b}}


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch32-strong": strong_reference, "ch32-gcounter-merge": gcounter_merge_reference}
