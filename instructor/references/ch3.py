"""Reference solutions: chapter 3.1 exercises: the three small rules that make Raft safe.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch3) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations


__all__ = ["majority_reference", "up_to_date_reference", "can_commit_reference"]


def majority_reference(n: int) -> int:
    """The fewest nodes that form a majority of ``n``: any two such groups share a node."""
    return n // 2 + 1


def up_to_date_reference(my_last_term: int, my_last_index: int, cand_last_term: int, cand_last_index: int) -> bool:
    """Is the candidate's log at least as up-to-date as mine (§5.4.1)? The later last term wins;
    with equal last terms, the longer log wins; equal logs are up-to-date."""
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def can_commit_reference(log_terms, match_index, current_term: int, index: int) -> bool:
    """May a leader set its commit index to ``index`` by counting replicas (Figure 2, §5.4.2)?

    ``log_terms[i - 1]`` is the term of the leader's entry ``i``; ``match_index`` lists, for each
    follower, the highest index known to be stored there. The leader stores all of its log.
    Only an entry of the leader's current term may be committed by counting; older entries
    are then committed with it (Log Matching).
    """
    if not 1 <= index <= len(log_terms) or log_terms[index - 1] != current_term:
        return False
    stored = 1 + sum(1 for m in match_index if m >= index)
    return stored >= (len(match_index) + 1) // 2 + 1


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch3-majority": majority_reference, "ch3-up-to-date": up_to_date_reference, "ch3-can-commit": can_commit_reference}
