"""Raft leader election as a model: the course's :class:`~dsysedu.protocols.consensus.raft.node.Raft`, bounded.

Raft's state space is infinite (terms grow without end), so the model bounds it
(the bounds are the model's, not Raft's):

* three nodes, no clients, no no-op entry: only the election is explored;
* a node's election timer may fire only while its ``current_term`` is below ``max_term``,
  so terms stay within ``0..max_term``;
* heartbeats and RequestVote retries (the ``heartbeat`` timer) do not fire: a resend of a
  message already in flight adds nothing new without losses, and would make the number
  of copies in flight unbounded. With a ``drops`` budget, this means a lost vote request
  is not retried within the model.

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

from .messages import LEADER
from .node import Raft
from dsysedu.sim.scenario import Scenario
from dsysedu.check.model_checker.state import Model
from dsysedu.check.model_checker.search import Property

__all__ = ["raft_election_model", "election_safety_invariant", "leader_elected"]


def raft_election_model(cls=Raft, max_term: int = 1, nodes=("a", "b", "c"), *, symmetric: bool = False,
                        **budget) -> Model:
    """Raft leader election with terms bounded by ``max_term``.

    Parameters
    ----------
    cls : Raft subclass
    max_term : int
        No election timeout fires at a node whose term is already ``max_term`` (>= 1). With 1,
        every node may time out once: split votes and competing candidates of term 1 are
        explored. With 2, the space passes a million states (measured): use a larger bound.
    nodes : sequence of str
        The node ids (three by default).
    symmetric : bool
        Treat the nodes as interchangeable (they are: same class, complete graph).
    budget
        ``drops``, ``duplicates``, ``crashes``, ``recoveries`` (see :class:`Model`).
    """
    if not (isinstance(cls, type) and issubclass(cls, Raft)):
        raise TypeError(f"cls must be Raft or a subclass of it, got {cls!r}")
    if isinstance(max_term, bool) or not isinstance(max_term, int) or max_term < 1:
        raise ValueError(f"max_term must be an int >= 1, got {max_term!r}")
    sc = Scenario(cls, nodes=list(nodes), params={"noop": False}, name=f"Raft election ({cls.__name__})")

    def fire(node, name):
        return name == "election" and node.current_term < max_term

    return Model(sc, fire=fire, symmetric=tuple(nodes) if symmetric else (),
                 name=f"{cls.__name__} election, {len(nodes)} nodes, terms <= {max_term}", **budget)


def _safe(s) -> bool:
    terms = [s[n].current_term for n in s.nodes if s.is_up(n) and s[n].role == LEADER]
    return len(terms) == len(set(terms))


election_safety_invariant = Property("election safety", "invariant", _safe)
"""At most one leader per term (among the nodes that are up)."""

leader_elected = Property("a leader is elected", "reachable",
                          lambda s: any(s.is_up(n) and s[n].role == LEADER for n in s.nodes))
