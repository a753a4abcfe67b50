"""A new server catches up as a non-voting learner before it joins the configuration.

With :class:`~dsysedu.protocols.consensus.raft.membership.RaftMembership`, a server is added
the moment its configuration entry is appended, with an empty log. Until it has copied the
whole log, it counts in every majority but cannot help one: adding a fourth server to three,
one of which is down, leaves the cluster unable to commit anything until the newcomer has
caught up. §4.2.1 of [1]_ closes this availability gap with a catch-up phase, which
:class:`RaftCatchUp` follows:

* on an ``add`` request the leader first makes the server a *learner*: it replicates the log to
  it like to any follower, but the learner neither votes nor counts toward commitment;
* catching up goes in *rounds*: each round replicates up to the leader's last index at the
  round's start. When a round takes less than an election timeout, the learner is close enough,
  and the leader appends the configuration entry that adds it;
* after ``max_rounds`` rounds without that, the leader gives up and refuses the change (the
  operator hears "too slow"), rather than add a server that would stall the cluster.

References
----------
.. [1] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §4.2.1.
"""
from __future__ import annotations

from dsysedu.sim.faults import Crash
from dsysedu.sim.network import LinkModel
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.validate import number, positive_int
from .membership import MembershipRequest, RaftMembership
from .messages import LEADER, ClientReply, ClientRequest

__all__ = ["RaftCatchUp", "catch_up_scenario", "commit_gap"]


class RaftCatchUp(RaftMembership):
    """Single-server membership change with a catch-up phase for new servers.

    Parameters
    ----------
    max_rounds : int
        Catch-up rounds before the leader refuses the change.
    **params
        As :class:`~dsysedu.protocols.consensus.raft.membership.RaftMembership`.

    Notes
    -----
    Observations: RaftMembership's, plus ``learner`` ``node`` when a leader starts catching a
    server up, ``round`` ``(node, round, target index, seconds)`` when a round ends, and
    ``caught_up`` ``node`` when the leader appends the entry that adds it (``too_slow`` ``node``
    when it gives up).
    """

    state_fields = RaftMembership.state_fields + ("learners",)

    def __init__(self, node_id, peers=(), max_rounds=10, **params):
        self.max_rounds = positive_int("RaftCatchUp max_rounds", max_rounds, high=1000)
        self.learners: dict = {}   # node -> [request, round, target index, round start time]
        super().__init__(node_id, peers, **params)

    def become_leader(self, ctx) -> None:
        self.learners = {}
        super().become_leader(ctx)

    def _step_down(self, ctx, term) -> None:
        self.learners = {}
        super()._step_down(ctx, term)

    def _update_config(self, ctx) -> None:
        super()._update_config(ctx)
        if self.role == LEADER:
            for n in self.learners:   # RaftMembership drops the indexes of non-members: learners keep theirs
                self.next_index.setdefault(n, 1)
                self.match_index.setdefault(n, 0)

    def replicate(self, ctx) -> None:
        super().replicate(ctx)
        for n in sorted(self.learners, key=repr):
            if n not in self.config:
                self.send_append_entries(ctx, n)

    def _propose(self, ctx, m) -> None:
        if (isinstance(m, MembershipRequest) and m.change[0] == "add" and m.change[1] not in self.config
                and m.change[1] != self.id and m.change[1] in self.neighbours and self.change_refused() is None):
            node = m.change[1]
            if node not in self.learners:
                self.learners[node] = [m, 1, self.last_log_index(), ctx.now]
                self.next_index.setdefault(node, 1)
                self.match_index.setdefault(node, 0)
                ctx.observe("learner", node)
                self.send_append_entries(ctx, node)
            return   # the change itself waits until the learner has caught up
        super()._propose(ctx, m)

    def on_append_entries_reply(self, ctx, src, m) -> None:
        super().on_append_entries_reply(ctx, src, m)
        if self.role == LEADER and src in self.learners and src in self.match_index:
            self._check_round(ctx, src)

    def _check_round(self, ctx, node) -> None:
        request, rnd, target, started = self.learners[node]
        if self.match_index[node] < target:
            return
        took = ctx.now - started
        ctx.observe("round", (node, rnd, target, took))
        if took < self.election_timeout:
            del self.learners[node]
            ctx.observe("caught_up", node)
            super()._propose(ctx, request)   # now the configuration entry
        elif rnd >= self.max_rounds:
            del self.learners[node]
            ctx.observe("too_slow", node)
            rid = (request.client_id, request.seq)
            self.pending.pop(rid, None)
            peer = self.waiting.pop(rid, None)
            if peer is not None:
                ctx.send(peer, ClientReply(request.client_id, request.seq, False, self.id, "too slow"))
        else:
            self.learners[node] = [request, rnd + 1, self.last_log_index(), ctx.now]


def commit_gap(trace, start: float, end: float, node=None) -> float:
    """The longest time within ``[start, end]`` without a new commit at ``node`` (default: any node).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> commit_gap(run(catch_up_scenario()), 1.3, 2.5, node=0) < 0.1
    True
    """
    if end <= start:
        raise ValueError(f"commit_gap needs start < end, got start={start}, end={end}")
    obs = trace.observations("commit_index")
    obs = obs[(obs.time >= start) & (obs.time <= end)]
    if node is not None:
        obs = obs[obs.node == node]
    times = sorted(set([start] + obs.time.tolist() + [end]))
    return max(b - a for a, b in zip(times, times[1:]))


def catch_up_scenario(protocol=RaftCatchUp, *, entries: int = 300, learner_latency: float = 0.02, seed: int = 0,
                      **params) -> Scenario:
    """Add a fourth server while one of three is down: does the cluster stall?

    Servers {0, 1, 2} commit ``entries`` client commands (0.1-1.1 s) while server 3 exists but is
    not a member. Server 2 crashes at 1.2 s. At 1.3 s an operator asks to add server 3 (empty
    log, a ``learner_latency`` link from the leader); a client keeps writing every 20 ms from 1.3 s to 2.5 s.
    With :class:`~dsysedu.protocols.consensus.raft.membership.RaftMembership` the configuration
    {0, 1, 2, 3} needs 3 of 4 at once, and with server 2 down, server 3 must copy the whole log
    before anything commits again. :class:`RaftCatchUp` adds server 3 only once it has caught up.
    """
    entries = positive_int("catch_up_scenario entries", entries, high=5000)
    quiet = {"election_timeout": 1000.0}
    node_params = {0: {"election_timeout": 0.05}, 1: quiet, 2: quiet, 3: quiet}
    inputs = [Input(0.1 + i / entries, i % 2, ClientRequest("c", i + 1, ("set", "x", i))) for i in range(entries)]
    inputs.append(Input(1.3, 1, MembershipRequest("operator", 1, ("add", 3))))
    inputs += [Input(1.3 + 0.02 * i, 0, ClientRequest("w", i + 1, ("set", "y", i))) for i in range(60)]
    number("catch_up_scenario learner_latency", learner_latency, low=0.0, low_open=True)
    links = {(0, 3): LinkModel(latency=learner_latency), (3, 0): LinkModel(latency=learner_latency)}
    base = dict({"members": (0, 1, 2)}, **params)
    return Scenario(protocol, nodes=4, params=base, node_params=node_params, link=LinkModel(latency=0.005),
                    links=links, faults=[Crash(2, at=1.2)], inputs=sorted(inputs, key=lambda i: i.at), until=3.5,
                    seed=seed, name=f"add a server while one is down ({protocol.__name__})")
