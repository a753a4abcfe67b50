"""Chapter 3.1 exercises: the three small rules that make Raft safe.

- ``ch3-majority``: how many votes win an election among ``n`` nodes;
- ``ch3-up-to-date``: the vote rule of §5.4.1 (is a candidate's log at least as up-to-date as mine?);
- ``ch3-can-commit``: the commit rule of §5.4.2, the one Figure 8 of the paper is about.

References
----------
D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm", USENIX ATC 2014.
"""
from __future__ import annotations

import numpy as np

from .core import Exercise, register

__all__ = []


def _same_count(expected, got) -> bool:
    """A whole number of nodes: ``2.5`` or ``2.0`` is not an answer for "how many nodes"."""
    return isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_)) and got == expected


def _same_truth(expected, got) -> bool:
    """True or False (numpy's booleans too); ``1`` or ``None`` are not answers to a yes/no question."""
    return isinstance(got, (bool, np.bool_)) and bool(got) == expected


# ------------------------------------------------------------------ 3.1 majority


def _majority_cases():
    return [(f"a cluster of n={n} nodes", (n,)) for n in (1, 2, 3, 4, 5, 6, 7, 9, 10, 100)]


register(Exercise(
    id="ch3-majority",
    title="How many votes win an election?",
    cases=_majority_cases,
    same=_same_count,
    hint="more than half of n, as a whole number of nodes; try n=4: is 2 a majority?",
))


# ------------------------------------------------------------------ 3.2 the vote rule


def _up_to_date_cases():
    cases = [
        ("both logs empty", (0, 0, 0, 0)),
        ("identical logs: last entry (term 2, index 5) on both sides", (2, 5, 2, 5)),
        ("same last term 2, candidate's log longer (7 > 5)", (2, 5, 2, 7)),
        ("same last term 2, candidate's log shorter (4 < 5)", (2, 5, 2, 4)),
        ("candidate's last term is later (3 > 2) although its log is shorter (index 2 < 5)", (2, 5, 3, 2)),
        ("candidate's last term is older (1 < 2) although its log is longer (index 9 > 5)", (2, 5, 1, 9)),
        ("my log is empty, the candidate has one entry of term 1", (0, 0, 1, 1)),
        ("the candidate's log is empty, mine has an entry", (1, 1, 0, 0)),
        ("Figure 8 (d): S5 (last term 3, index 2) asks S2 (last term 2, index 2)", (2, 2, 3, 2)),
        ("Figure 8 (e): S5 (last term 3, index 2) asks S2 (last term 4, index 3)", (4, 3, 3, 2)),
    ]
    return cases


register(Exercise(
    id="ch3-up-to-date",
    title="The vote rule: is the candidate's log at least as up-to-date as mine?",
    cases=_up_to_date_cases,
    same=_same_truth,
    hint="compare the last terms first; look at the indexes only when the last terms are equal.",
))


# ------------------------------------------------------------------ 3.3 the commit rule


def _can_commit_cases():
    return [
        ("3 nodes, entry 1 of term 1 stored on the leader and one follower", ([1], [1, 0], 1, 1)),
        ("3 nodes, entry 1 of term 1 stored on the leader only", ([1], [0, 0], 1, 1)),
        ("5 nodes, entry 3 (term 2) stored on the leader and 2 followers", ([1, 2, 2], [3, 3, 1, 0], 2, 3)),
        ("5 nodes, entry 3 (term 2) stored on the leader and 1 follower", ([1, 2, 2], [3, 2, 1, 0], 2, 3)),
        ("Figure 8 (c): leader S1 in term 4, entry 2 is of term 2, stored on S1, S2, S3",
         ([1, 2], [2, 2, 1, 1], 4, 2)),
        ("Figure 8 (e): leader S1 in term 4, entry 3 (term 4) stored on S1, S2, S3",
         ([1, 2, 4], [3, 3, 1, 1], 4, 3)),
        ("Figure 8 (e): the same leader asks about entry 2 (term 2) by counting; it is committed anyway, "
         "with entry 3",
         ([1, 2, 4], [3, 3, 1, 1], 4, 2)),
        ("4 nodes: entry 1 of term 1 on the leader and one follower (2 of 4 is not a majority)",
         ([1], [1, 0, 0], 1, 1)),
        ("4 nodes: entry 1 of term 1 on the leader and two followers", ([1], [1, 1, 0], 1, 1)),
        ("a cluster of one: the leader alone is a majority", ([3], [], 3, 1)),
        ("index beyond the leader's log", ([1, 1], [2, 2], 1, 3)),
    ]


register(Exercise(
    id="ch3-can-commit",
    title="The commit rule: may the leader commit this entry by counting replicas?",
    cases=_can_commit_cases,
    same=_same_truth,
    hint="two conditions: the entry is of the leader's current term, and a majority of all nodes "
         "(count the leader) store it.",
))
