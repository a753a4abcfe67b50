"""Raft leader election as a model: the course's :class:`~dsysedu.protocols.consensus.raft.node.Raft`, bounded.

Raft's state space is infinite (terms grow without end), so the model bounds it
(the bounds are the model's, not Raft's):

* three nodes, no clients, no no-op entry: only the election is explored (the log, commit, apply
  and snapshots are :func:`~dsysedu.protocols.consensus.raft.log_model.raft_log_model`'s);
* a node's election timer may fire only while its ``current_term`` is below ``max_term``,
  so terms stay within ``0..max_term``;
* heartbeats and RequestVote retries (the ``heartbeat`` timer) do not fire: a resend of a
  message already in flight adds nothing new without losses, and would make the number
  of copies in flight unbounded. With a ``drops`` budget, this means a lost vote request
  is not retried within the model.

With ``compress=True`` the model also drops, as soon as they become useless, the replies
that can no longer change anything at their destination (:func:`stale_reply`): Raft's terms
only grow, so a reply of a term its receiver has left is ignored now and forever. The node
states reached are the same; far fewer states differ only by such garbage in flight
(3 nodes, terms up to 2, symmetric: 46,078 states instead of 2,447,044, measured).

The property is Election Safety (Figure 3 of the Raft paper): at most one leader per
term; here checked in every state (two nodes that are leaders of the same term at once).
:class:`~dsysedu.protocols.consensus.raft.variants.RaftForgetsVote` (``voted_for`` not durable) breaks it
once a node may crash and recover: it votes twice in one term.

Examples
--------
>>> from dsysedu.check.model_checker import check
>>> from dsysedu.protocols.consensus.raft.variants import RaftForgetsVote
>>> r = check(raft_election_model(RaftForgetsVote, crashes=1, recoveries=1), election_safety_invariant)
>>> r.verdict, len(r.path)
('violation', 8)
"""
from __future__ import annotations

from .messages import CANDIDATE, LEADER, AppendEntriesReply, RequestVoteReply
from .node import Raft
from dsysedu.sim.scenario import Scenario
from dsysedu.check.model_checker.state import Model
from dsysedu.check.model_checker.search import Property

__all__ = ["raft_election_model", "election_safety_invariant", "leader_elected", "stale_reply"]

# the handlers :func:`stale_reply` reasons about: a subclass that overrides one of them gets no compression
_RELIED_ON = ("on_request_vote_reply", "on_append_entries_reply", "start_election", "become_leader", "_step_down",
              "_set_term")


def stale_reply(node, src, msg) -> bool:
    """Can ``msg`` from ``src`` no longer change anything at ``node`` (now or later)?

    True for a RequestVoteReply or AppendEntriesReply of a term below the node's
    ``current_term`` (a reply of an old term is ignored, and terms never go down, crashes
    included: the term is durable); for a refused vote of the node's own term; and for a
    granted vote of its own term when the node is not a candidate of that term (it never can
    be again: a candidacy starts a new term) or already counts that vote. Everything else
    (requests, replies of higher terms that make the node step down) may matter: False.

    The reader of a crashed node has only the durable fields; after recovery it is a follower
    of its term, so the same rules hold with "not a candidate".
    """
    term = node.current_term
    if isinstance(msg, AppendEntriesReply):
        return msg.term < term
    if isinstance(msg, RequestVoteReply):
        if msg.term != term:
            return msg.term < term
        if not msg.vote_granted:
            return True
        try:
            role, votes = node.role, node.votes
        except AttributeError:   # crashed: comes back a follower of this term
            return True
        return role != CANDIDATE or src in votes
    return False



def raft_election_model(cls=Raft, max_term: int = 1, nodes=("a", "b", "c"), *, symmetric: bool = False,
                        compress: bool = False, **budget) -> Model:
    """Raft leader election with terms bounded by ``max_term``.

    Parameters
    ----------
    cls : Raft subclass
    max_term : int
        No election timeout fires at a node whose term is already ``max_term`` (>= 1). With 1,
        every node may time out once: split votes and competing candidates of term 1 are
        explored. With 2, the space passes two million states even with symmetry (measured);
        ``compress=True`` brings it to about 46 thousand.
    nodes : sequence of str
        The node ids (three by default).
    symmetric : bool
        Treat the nodes as interchangeable (they are: same class, complete graph).
    compress : bool
        Remove stale replies from the messages in flight (:func:`stale_reply`), as soon as
        they are stale. Raises ValueError for a class that overrides a handler the rule
        relies on, or whose ``current_term`` is not durable.
    budget
        ``drops``, ``duplicates``, ``crashes``, ``recoveries`` (see :class:`Model`).
    """
    if not (isinstance(cls, type) and issubclass(cls, Raft)):
        raise TypeError(f"cls must be Raft or a subclass of it, got {cls!r}")
    if isinstance(max_term, bool) or not isinstance(max_term, int) or max_term < 1:
        raise ValueError(f"max_term must be an int >= 1, got {max_term!r}")
    if not isinstance(compress, bool):
        raise TypeError(f"compress must be True or False, got {compress!r}")
    if compress:
        changed = [h for h in _RELIED_ON if getattr(cls, h) is not getattr(Raft, h)]
        if changed or "current_term" not in cls.durable:
            raise ValueError(f"compress=True relies on Raft's own {', '.join(changed) or 'durable current_term'}; "
                             f"{cls.__name__} changes it: check it with compress=False")
    sc = Scenario(cls, nodes=list(nodes), params={"noop": False}, name=f"Raft election ({cls.__name__})")

    def fire(node, name):
        return name == "election" and node.current_term < max_term

    return Model(sc, fire=fire, symmetric=tuple(nodes) if symmetric else (), discard=stale_reply if compress else None,
                 name=f"{cls.__name__} election, {len(nodes)} nodes, terms <= {max_term}", **budget)


def _safe(s) -> bool:
    terms = [s[n].current_term for n in s.nodes if s.is_up(n) and s[n].role == LEADER]
    return len(terms) == len(set(terms))


election_safety_invariant = Property("election safety", "invariant", _safe)
"""At most one leader per term (among the nodes that are up)."""

leader_elected = Property("a leader is elected", "reachable",
                          lambda s: any(s.is_up(n) and s[n].role == LEADER for n in s.nodes))
