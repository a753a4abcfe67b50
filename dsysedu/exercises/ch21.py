"""Chapter 2.1 exercises: ordering events without a global clock, and counting interleavings.

- ``ch21-compare``: compare two vector clocks: ``"before"``, ``"after"``, ``"concurrent"`` or
  ``"equal"`` (Fidge 1988, Mattern 1989);
- ``ch21-count``: how many interleavings processes with given numbers of steps have
  (the multinomial coefficient).

References
----------
C. J. Fidge, "Timestamps in message-passing systems that preserve the partial ordering", 1988.
F. Mattern, "Virtual time and global states of distributed systems", 1989.
"""
from __future__ import annotations

from .core import Exercise, register

__all__ = []


# ------------------------------------------------------------------ compare


def _compare_cases():
    return [
        ("a = [1, 0, 0], b = [2, 1, 0]: b heard of a", ((1, 0, 0), (2, 1, 0))),
        ("a = [2, 1, 0], b = [1, 0, 0]: the same pair the other way round", ((2, 1, 0), (1, 0, 0))),
        ("a = [1, 0, 0], b = [0, 1, 0]: two first events on different nodes", ((1, 0, 0), (0, 1, 0))),
        ("a = [2, 3, 1], b = [2, 3, 1]: the very same stamp", ((2, 3, 1), (2, 3, 1))),
        ("a = [3, 1, 0], b = [2, 4, 0]: a bigger in one entry, smaller in another", ((3, 1, 0), (2, 4, 0))),
        ("a = [0, 0, 1], b = [5, 5, 1]: equal in one entry, smaller in the others", ((0, 0, 1), (5, 5, 1))),
        ("a = [4, 2], b = [4, 3]: two nodes, one entry differs", ((4, 2), (4, 3))),
        ("a = [1, 2, 3, 4], b = [1, 2, 4, 3]: four nodes, crossed in the last two", ((1, 2, 3, 4), (1, 2, 4, 3))),
        ("lists instead of tuples: a = [1, 1], b = [0, 2]", ([1, 1], [0, 2])),
        ("a single node: a = [3], b = [7]", ((3,), (7,))),
        ("a = [0, 0, 0], b = [0, 0, 0]: two vectors of zeros", ((0, 0, 0), (0, 0, 0))),
    ]


register(Exercise(
    id="ch21-compare",
    title="Compare two vector clocks: before, after, concurrent or equal?",
    cases=_compare_cases,
    hint="a is 'before' b when every entry of a is <= the entry of b and at least one is smaller; "
         "'after' is the mirror image; if neither holds and they are not equal, the events are 'concurrent'. "
         "Return one of the four strings exactly.",
))


# ------------------------------------------------------------------ count


def _same_int(expected, got) -> bool:
    """An exact int (a float loses digits for long processes, and 20.0 is not a count)."""
    return isinstance(got, int) and not isinstance(got, bool) and got == expected


def _count_cases():
    return [
        ("two processes of 3 steps each", (3, 3)),
        ("two processes of 2 steps each", (2, 2)),
        ("three processes of 1 step each", (1, 1, 1)),
        ("one process of 4 steps on its own", (4,)),
        ("a process with no steps next to one of 5", (0, 5)),
        ("processes of 1 and 4 steps", (1, 4)),
        ("three processes of 3 steps", (3, 3, 3)),
        ("two processes of 10 steps", (10, 10)),
        ("two processes of 30 steps (the answer has 17 digits: exact arithmetic needed)", (30, 30)),
    ]


register(Exercise(
    id="ch21-count",
    title="How many interleavings do these processes have?",
    cases=_count_cases,
    same=_same_int,
    hint="(n1 + n2 + ... + nk)! divided by n1! n2! ... nk!; use math.factorial and integer division (//) "
         "so that the answer is an exact int.",
))
