"""Chapter 3.3 exercise: what a Paxos Commit backup proposes when it takes over.

- ``ch33-paxos-commit``: from the promises of a quorum of acceptors (each a dict RM ->
  ``(ballot, value)`` of what that acceptor accepted), the value the backup must propose in its
  ballot for each RM's vote: the value accepted with the highest ballot, or ``"aborted"`` when no
  acceptor of the quorum accepted any (the RM may never have voted).

References
----------
J. Gray and L. Lamport, "Consensus on transaction commit", ACM TODS 31(1), 2006.
"""
from __future__ import annotations

from .core import Exercise, register

__all__ = []


def _cases():
    return [
        ("nobody accepted anything yet (the RMs may never have voted)", ([{}, {}], ("p1", "p2"))),
        ("one acceptor of the two accepted p1's 'prepared' in ballot 0: it may have been chosen",
         ([{"p1": (0, "prepared")}, {}], ("p1",))),
        ("both accepted p1 prepared, nobody has p2's vote", ([{"p1": (0, "prepared")}, {"p1": (0, "prepared")}],
                                                            ("p1", "p2"))),
        ("p1 voted 'aborted' (it had aborted on its own)", ([{"p1": (0, "aborted")}, {}], ("p1",))),
        ("a higher ballot overrides ballot 0: an earlier backup proposed 'aborted' for p2 in ballot 2",
         ([{"p2": (0, "prepared")}, {"p2": (2, "aborted")}], ("p2",))),
        ("three acceptors (F = 1 would need only two), ballots 0, 3 and 2",
         ([{"p1": (0, "prepared")}, {"p1": (3, "prepared")}, {"p1": (2, "aborted")}], ("p1",))),
        ("two RMs, everything accepted in ballot 0", ([{"p1": (0, "prepared"), "p2": (0, "prepared")},
                                                      {"p1": (0, "prepared"), "p2": (0, "prepared")}],
                                                     ("p1", "p2"))),
        ("an RM that no promise mentions, beside one that all do",
         ([{"p1": (0, "prepared")}, {"p1": (0, "prepared")}, {"p1": (0, "prepared")}], ("p1", "p3"))),
    ]


register(Exercise(
    id="ch33-paxos-commit",
    title="Paxos Commit: what does the backup propose for each vote?",
    cases=_cases,
    hint="for each RM, look at every promise that mentions it and keep the value with the highest ballot; "
         "if no promise mentions it, nothing can have been chosen for it: propose 'aborted'.",
))
