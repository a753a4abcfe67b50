"""Deliberately broken variants of Raft, kept as lesson material.

Each is a short subclass of :class:`~dsysedu.protocols.consensus.raft.node.Raft` that drops one
rule of Figure 2; a scripted scenario in :mod:`.scenarios` makes the damage happen, and the
tests show that the checkers of :mod:`.properties` (and the model checker, for the forgotten
vote) catch each one.
"""
from __future__ import annotations

from .node import Raft

__all__ = ["RaftNoUpToDateCheck", "RaftCommitOldTerm", "RaftForgetsVote"]


class RaftNoUpToDateCheck(Raft):
    """BROKEN on purpose: grants votes without the up-to-date check of §5.4.1.

    A node that missed committed entries can win an election and overwrite them.
    The checkers report it as a Leader Completeness violation (a leader of a later term
    lacks a committed entry) and, once the new leader commits, as a State Machine Safety
    violation. See :func:`~dsysedu.protocols.consensus.raft.scenarios.stale_leader_scenario`.
    """

    def log_ok(self, last_log_index, last_log_term):
        return True


class RaftCommitOldTerm(Raft):
    """BROKEN on purpose: commits any entry stored on a majority, whatever its term.

    This is the mistake Figure 8 of the paper warns against: an entry of an old term can be
    on a majority and still be overwritten by a later leader.
    :func:`~dsysedu.protocols.consensus.raft.scenarios.figure8_scenario` plays the figure; the
    checkers report Leader Completeness and State Machine Safety violations.
    """

    def can_commit(self, index):
        return True


class RaftForgetsVote(Raft):
    """BROKEN on purpose: ``voted_for`` is not durable, so a node forgets its vote when it
    crashes and may vote twice in one term. Two leaders of one term follow (Election
    Safety violation). See :func:`~dsysedu.protocols.consensus.raft.scenarios.forgotten_vote_scenario`.
    """

    durable = ("current_term", "log")
