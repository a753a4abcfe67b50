"""Raft's messages and names: the RPCs of Figure 2, the client's request and reply, the log's commands.

Every message is a frozen dataclass (a value: it can be hashed, compared, printed in a
diagram and replayed). RequestVote and AppendEntries, with their replies, are the two RPCs of
Figure 2 of [1]_; PreVote is the thesis's extension ([2]_ §9.6). A client names each request
``(client_id, seq)``, so that a retried request is applied once; the log holds it as a
:class:`Command`.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, Figure 2.
.. [2] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable

__all__ = ["FOLLOWER", "CANDIDATE", "PRECANDIDATE", "LEADER", "NOOP", "OPS", "RequestVote", "RequestVoteReply",
           "PreVote", "PreVoteReply", "AppendEntries", "AppendEntriesReply", "Command", "ClientRequest",
           "ClientReply"]

FOLLOWER, CANDIDATE, PRECANDIDATE, LEADER = "follower", "candidate", "precandidate", "leader"
NOOP = "noop"
"""The command a new leader appends at the start of its term (§8 of the paper)."""
OPS = {"set": 3, "get": 2, "delete": 2, "cas": 4}
"""The key-value operations a client may ask for: name -> length of the command tuple."""


# ------------------------------------------------------------------------------ the RPCs of Figure 2

@dataclass(frozen=True)
class RequestVote:
    """Invoked by candidates to gather votes."""
    term: int
    candidate_id: Hashable
    last_log_index: int
    last_log_term: int


@dataclass(frozen=True)
class RequestVoteReply:
    term: int
    vote_granted: bool


@dataclass(frozen=True)
class PreVote:
    """Would you vote for me in ``term``? Asked before a real election; changes no one's term."""
    term: int
    candidate_id: Hashable
    last_log_index: int
    last_log_term: int


@dataclass(frozen=True)
class PreVoteReply:
    term: int
    vote_granted: bool


@dataclass(frozen=True)
class AppendEntries:
    """Invoked by the leader to replicate log entries; also used as heartbeat (no entries)."""
    term: int
    leader_id: Hashable
    prev_log_index: int
    prev_log_term: int
    entries: tuple
    leader_commit: int


@dataclass(frozen=True)
class AppendEntriesReply:
    """``index`` says which request this answers (the network may reorder and duplicate
    replies): on success, the index of the last entry the request covered; on failure,
    the request's ``prev_log_index``. ``conflict_index``/``conflict_term`` are the back-off
    hint, sent only when ``fast_backoff`` is on."""
    term: int
    success: bool
    index: int
    conflict_index: int = 0
    conflict_term: int = 0


# ------------------------------------------------------------------------------ clients and the log

@dataclass(frozen=True)
class Command:
    """A client's command as it sits in the log: who asked, their sequence number, the operation."""
    client_id: Hashable
    seq: int
    op: tuple

    def __str__(self) -> str:
        return f"{self.client_id}#{self.seq} {' '.join(map(str, self.op))}"


@dataclass(frozen=True)
class ClientRequest:
    """A client asks the cluster to apply ``command`` (``("set", key, value)``, ``("get", key)``,
    ``("delete", key)`` or ``("cas", key, expected, new)``). ``(client_id, seq)`` names the
    request, so a retried request is applied once."""
    client_id: Hashable
    seq: int
    command: tuple

    def __post_init__(self):
        op = self.command
        if not isinstance(op, tuple) or not op or op[0] not in OPS or len(op) != OPS[op[0]]:
            allowed = ", ".join(f"({k!r}, {', '.join(['...'] * (n - 1))})" for k, n in OPS.items())
            raise ValueError(f"ClientRequest.command must be one of {allowed}; got {op!r}")


@dataclass(frozen=True)
class ClientReply:
    """The answer to a forwarded request: applied (``ok=True``, with ``result``), or "I am not
    the leader, try ``leader_hint``" (``ok=False``)."""
    client_id: Hashable
    seq: int
    ok: bool
    leader_hint: Hashable = None
    result: Any = None
