"""Reference solutions: chapter 2.1 exercises: ordering events without a global clock, and counting interleavings.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch21) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.formal.interleavings import count_interleavings

__all__ = ["compare_reference", "count_reference"]


def compare_reference(a, b) -> str:
    """How the event stamped ``a`` relates to the event stamped ``b``.

    ``"equal"`` if every entry is equal; ``"before"`` if every entry of ``a`` is <= the one of ``b``
    (and they differ); ``"after"`` the other way round; ``"concurrent"`` otherwise.
    """
    if len(a) != len(b):
        raise ValueError(f"vector clocks of different lengths: {a!r} and {b!r}")
    le = all(x <= y for x, y in zip(a, b))
    ge = all(x >= y for x, y in zip(a, b))
    if le and ge:
        return "equal"
    if le:
        return "before"
    if ge:
        return "after"
    return "concurrent"


def count_reference(*lengths) -> int:
    """The number of interleavings: ``(n1 + ... + nk)! / (n1! ... nk!)``, an exact int."""
    return count_interleavings(*lengths)


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch21-compare": compare_reference, "ch21-count": count_reference}
