"""Raft with single-server membership changes: add or remove one server at a time.

The configuration (the set of servers whose votes count) is itself an entry in the log,
a :class:`ConfigEntry`. Chapter 4 of Ongaro's thesis [1]_ gives the rules, which
:class:`RaftMembership` follows:

* a server uses the *latest* configuration in its log, committed or not, from the moment
  the entry is in its log (§4.1); a log cut back by a new leader rolls it back too;
* elections and commitment count majorities of that configuration;
* a change adds or removes *one* server, so every majority of the old configuration
  overlaps every majority of the new one, and two leaders of one term cannot be elected
  by disjoint majorities;
* a leader accepts a change only when no earlier change is still uncommitted and it has
  committed an entry of its own term (the fix to the bug found in 2015, thesis errata);
* a server outside its own latest configuration starts no elections; it still answers
  AppendEntries and RequestVote (a new server catches up that way, §4.1);
* a leader removed by a change steps down once the change is committed (§4.2.2).

All servers exist in the scenario from the start (the topology is fixed); the ``members``
parameter says which of them form the initial configuration. A server outside it starts
with an empty log and only responds until a leader adds it.

Invariant (checked by :func:`config_safety`): at most one leader per term, and each
configuration in a log differs from the one before it by exactly one server.

The broken variant :class:`RaftMembershipTwoAtOnce` accepts a second change while the
first is uncommitted; :func:`two_at_once_scenario` shows two leaders of one term.

References
----------
.. [1] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014,
   §4.1-4.2 (and the raft-dev post "bug in single-server membership changes", 2015).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

from dsysedu.check import Verdict, all_hold
from .properties import election_safety
from dsysedu.sim.faults import Crash, Nemesis, Partition
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.streams import normalize_seed, stream
from .messages import LEADER, ClientReply, ClientRequest
from .node import Raft

__all__ = ["MembershipRequest", "ConfigEntry", "RaftMembership", "RaftMembershipTwoAtOnce", "config_safety",
           "membership_scenario", "two_at_once_scenario"]

CHANGES = ("add", "remove")


@dataclass(frozen=True)
class MembershipRequest:
    """An operator asks the cluster to add or remove one server: ``change`` is
    ``("add", node)`` or ``("remove", node)``. ``(client_id, seq)`` names the request, as
    for a :class:`~dsysedu.protocols.consensus.raft.messages.ClientRequest`, so a retried request is applied once."""
    client_id: Hashable
    seq: int
    change: tuple

    def __post_init__(self):
        c = self.change
        if not isinstance(c, tuple) or len(c) != 2 or c[0] not in CHANGES:
            raise ValueError(f"MembershipRequest.change must be ('add', node) or ('remove', node); got {c!r}")


@dataclass(frozen=True)
class ConfigEntry:
    """A configuration as it sits in the log: the change that made it and the members after it."""
    client_id: Hashable
    seq: int
    change: tuple
    members: tuple

    def __str__(self) -> str:
        return f"{self.change[0]} {self.change[1]} -> {{{', '.join(map(str, self.members))}}}"


def _after(members: tuple, change: tuple) -> tuple:
    kind, node = change
    if kind == "add":
        return tuple(sorted(set(members) | {node}))
    return tuple(sorted(set(members) - {node}))


class RaftMembership(Raft):
    """A Raft server whose cluster is the latest configuration in its log.

    Parameters
    ----------
    node_id, peers
        Given by the simulator; ``peers`` are the *links* (kept in ``neighbours``).
    members : tuple or None
        The initial configuration (default: this node and all its neighbours). A node not
        in it is a new server: it waits, with an empty log, until a leader adds it.
    **params
        Raft's parameters (``election_timeout``, ``prevote``, ``check_quorum``...).

    Notes
    -----
    ``peers`` is the other members of the current configuration, so Raft's own code
    (``replicate``, ``request_votes``, ``majority``) follows the configuration as it changes.
    ``config`` is not durable: it is recomputed from the log, which is.

    Observations: Raft's, plus ``config`` (the members, a sorted tuple) whenever the node's
    configuration changes, and ``refused`` ``(client_id, seq)`` when a leader turns down a
    change because another is in progress.

    Examples
    --------
    >>> trace = membership_scenario(seed=1).run()
    >>> config_safety(trace).ok
    True
    """

    state_fields = Raft.state_fields + ("config",)

    def __init__(self, node_id, peers=(), members=None, **params):
        self.neighbours = tuple(peers)
        self.initial = tuple(sorted(members if members is not None else (node_id, *peers)))
        unknown = set(self.initial) - set(self.neighbours) - {node_id}
        if unknown:
            raise ValueError(f"RaftMembership members names {sorted(unknown)}, which node {node_id!r} has no link to")
        self.config = self.initial
        super().__init__(node_id, peers, **params)

    # Raft reads ``self.peers`` and ``self.majority``; here both follow the configuration.
    @property
    def peers(self) -> tuple:
        return tuple(p for p in self.config if p != self.id)

    @peers.setter
    def peers(self, links) -> None:
        self.neighbours = tuple(links)

    @property
    def majority(self) -> int:
        return len(self.config) // 2 + 1

    @majority.setter
    def majority(self, _value) -> None:
        pass  # Raft.__init__ sets it for a fixed cluster; ours is computed

    def is_member(self) -> bool:
        return self.id in self.config

    def quorum(self, nodes) -> bool:
        """Do ``nodes`` hold a majority of the current configuration?"""
        return len(set(nodes) & set(self.config)) >= self.majority

    def config_index(self) -> int:
        """The index of the latest configuration entry in the log (0: the initial configuration)."""
        for i in range(len(self.log), 0, -1):
            if isinstance(self.log[i - 1][1], ConfigEntry):
                return i
        return 0

    # -- the configuration follows the log ----------------------------------------------
    def _update_config(self, ctx) -> None:
        index = self.config_index()
        config = self.log[index - 1][1].members if index else self.initial
        if config == self.config:
            return
        self.config = config
        ctx.observe("config", config)
        if self.role == LEADER:   # a leader's log only grows: a new member starts from index 1
            for p in self.peers:
                self.next_index.setdefault(p, 1)
                self.match_index.setdefault(p, 0)
            for p in list(self.next_index):
                if p not in self.config:
                    del self.next_index[p], self.match_index[p]

    def _set_log(self, ctx, log, first_changed):
        super()._set_log(ctx, log, first_changed)
        self._update_config(ctx)

    def on_start(self, ctx):
        index = self.config_index()   # after a crash the log is back, the configuration with it
        self.config = self.log[index - 1][1].members if index else self.initial
        ctx.observe("config", self.config)
        super().on_start(ctx)

    # -- elections -------------------------------------------------------------------------
    def on_request_vote(self, ctx, src, m):
        # A removed server hears no more heartbeats and keeps asking for votes in higher terms.
        # While we hear from a leader, such a candidate gets no answer (the lease of §4.2.3).
        if m.term > self.current_term and self.in_vote_lease(ctx) and m.candidate_id not in self.config:
            return
        super().on_request_vote(ctx, src, m)

    def election_timeout_elapsed(self, ctx):
        if self.role != LEADER and not self.is_member():
            self._reset_election_timer(ctx)   # not in our configuration: we only respond
            return
        super().election_timeout_elapsed(ctx)

    def on_request_vote_reply(self, ctx, src, m):
        if m.vote_granted and src not in self.config:
            return   # only the votes of members count
        super().on_request_vote_reply(ctx, src, m)

    def on_pre_vote_reply(self, ctx, src, m):
        if m.vote_granted and src not in self.config:
            return
        super().on_pre_vote_reply(ctx, src, m)

    def on_timer(self, ctx, name):
        if name == "check_quorum" and self.role == LEADER:
            heard = self.heard_from | ({self.id} if self.is_member() else set())
            if not self.quorum(heard):
                self._step_down(ctx, self.current_term)
            else:
                self.heard_from = frozenset()
                ctx.set_timer("check_quorum", self.election_timeout)
            return
        super().on_timer(ctx, name)

    # -- replication and commitment -----------------------------------------------------------
    def on_append_entries_reply(self, ctx, src, m):
        if src not in self.match_index and self.role == LEADER and m.term <= self.current_term:
            return   # a server no longer (or not yet) in our configuration
        super().on_append_entries_reply(ctx, src, m)

    def advance_commit_index(self, ctx):
        """Leaders: commit the highest N of our term stored on a majority of the configuration.
        A leader that is removing itself does not count its own copy (§4.2.2)."""
        for n in range(len(self.log), self.commit_index, -1):
            if not self.can_commit(n):
                continue
            have = {p for p in self.peers if self.match_index[p] >= n}
            if self.is_member():
                have.add(self.id)
            if self.quorum(have):
                self.commit_index = n
                ctx.observe("commit_index", n)
                self.apply_committed(ctx)
                break
        if self.role == LEADER and not self.is_member() and self.config_index() <= self.commit_index:
            self.replicate(ctx)            # tell the others the commit index, then give way
            self._step_down(ctx, self.current_term)

    def request_id(self, command):
        if isinstance(command, ConfigEntry):  # a membership change is a client request too
            return (command.client_id, command.seq)
        return super().request_id(command)

    def apply(self, command):
        if isinstance(command, ConfigEntry):   # the session table answers the operator's request
            self.state_machine = self.state_machine.record((command.client_id, command.seq), command.members)
            return command.members
        return super().apply(command)

    # -- membership requests -----------------------------------------------------------------
    def on_message(self, ctx, src, msg):
        match msg:
            case MembershipRequest():
                self.on_client_request(ctx, src, msg)
            case _:
                super().on_message(ctx, src, msg)

    def change_refused(self) -> str | None:
        """Why a leader cannot start a change now (None: it can)."""
        if self.config_index() > self.commit_index:
            return "a change is in progress"
        if self.term_at(self.commit_index) != self.current_term:
            return "no entry of this term committed yet"
        return None

    def on_client_request(self, ctx, src, m):
        rid = (m.client_id, m.seq)
        if (isinstance(m, MembershipRequest) and self.role == LEADER and not self.state_machine.answered(rid)
                and not self._in_log(rid) and self.change_refused() is not None):
            ctx.observe("refused", rid)
            if src is None:
                if rid not in self.pending:
                    self.pending[rid] = m   # retried by the client_retry timer
                    ctx.set_timer("client_retry", self.client_retry)
            else:
                ctx.send(src, ClientReply(m.client_id, m.seq, False, self.id))   # try again later
            return
        super().on_client_request(ctx, src, m)

    def _in_log(self, rid) -> bool:
        return any(isinstance(c, ConfigEntry) and (c.client_id, c.seq) == rid for _t, c in self.log)

    def _propose(self, ctx, m):
        if not isinstance(m, MembershipRequest):
            super()._propose(ctx, m)
            return
        rid = (m.client_id, m.seq)
        if self._in_log(rid) or self.change_refused() is not None:
            return   # on its way to commit, or to be asked again at the next retry
        members = _after(self.config, m.change)
        if members == self.config or not members:
            self.state_machine = self.state_machine.record(rid, self.config)   # nothing to change: answer at once
            self._answer(ctx, rid, self.config)
            return
        self.append(ctx, ConfigEntry(m.client_id, m.seq, m.change, members))
        self.replicate(ctx)
        self.advance_commit_index(ctx)


class RaftMembershipTwoAtOnce(RaftMembership):
    """BROKEN on purpose: accepts a change while the previous one is still uncommitted.

    Each entry still adds one server, but two entries in flight take {0, 1, 2} to
    {0, 1, 2, 3, 4}: a majority of the old ({0, 1}) and one of the new ({2, 3, 4}) need not
    overlap, and each can elect a leader in the same term. See :func:`two_at_once_scenario`.
    """

    def change_refused(self):
        return None


# ------------------------------------------------------------------------------ the checker

def config_safety(trace) -> Verdict:
    """At most one leader per term, and each configuration entry in every log adds or
    removes exactly one server to the configuration before it (the previous entry in that
    log, or the node's initial configuration).

    Examples
    --------
    >>> config_safety(membership_scenario(seed=0).run()).ok
    True
    """
    prop = "config safety"
    logs: dict = {}
    initial: dict = {}
    checked = 0
    for seq, r in enumerate(trace.rows):
        if r[1] != "observe":
            continue
        node, key, value = r[2], r[5], r[6]
        if key == "config":
            initial.setdefault(node, tuple(value))
        elif key == "entry":
            index, _term, command = value
            log = logs.setdefault(node, [])
            del log[index - 1:]
            log.append(command)
            if isinstance(command, ConfigEntry):
                checked += 1
                before = next((c.members for c in reversed(log[:-1]) if isinstance(c, ConfigEntry)),
                              initial.get(node, ()))
                diff = set(before) ^ set(command.members)
                if len(diff) != 1:
                    return Verdict(False, prop, f"node {node!r} holds at index {index} the configuration "
                                                f"{command.members}, {len(diff)} servers away from {before}", (seq,))
    return all_hold([election_safety(trace),
                     Verdict(True, prop, f"{checked} configuration entries, each one server from the last")])


# ------------------------------------------------------------------------------ scenarios

def membership_scenario(seed=0, changes=(("add", 3), ("add", 4), ("remove", 0)), *, nodes: int = 5,
                        members=(0, 1, 2), protocol=RaftMembership, nemesis: Nemesis | None = None,
                        link: LinkModel | None = None, spacing: float = 0.5, until: float = 4.0,
                        start: float = 0.5, **params) -> Scenario:
    """Grow and shrink a cluster one server at a time, with client ``set`` requests around.

    Nodes ``0 .. nodes - 1`` all exist; ``members`` form the first configuration. The
    ``changes`` reach node 1 (which forwards them to the leader) every ``spacing`` seconds
    from ``start``; a change that arrives while another is in progress is refused and retried.
    Six client requests arrive at random times, each at a random server of the final
    configuration (a removed server hears from no leader, so it could not forward them).

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Seeds the workload, the network, the nodes' timers and the nemesis.
    changes : tuple of ("add" | "remove", node)
    nemesis, link
        Faults and link model (for random faults pass the values of
        :func:`~dsysedu.sim.chaos.chaos_weather`). Default: no faults, links of 2-20 ms.
    **params
        Keyword arguments for every node (``prevote=True``...).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> trace = run(membership_scenario())
    >>> trace.observations("config").value.iloc[-1]
    (1, 2, 3, 4)
    """
    seed = normalize_seed(seed)
    rnd = stream(seed, "workload")
    if link is None:
        link = LinkModel(latency=Uniform(0.002, 0.02))
    inputs = [Input(start + spacing * i, 1, MembershipRequest("operator", i + 1, tuple(c)))
              for i, c in enumerate(changes)]
    final = tuple(members)
    for c in changes:
        final = _after(final, tuple(c))
    servers = final or tuple(members)   # a removed server knows no leader: clients ask the others
    for i in range(6):
        at = rnd.uniform(0.2, start + spacing * len(changes) + 0.5)
        inputs.append(Input(at, servers[rnd.randrange(len(servers))],
                            ClientRequest("c", i + 1, ("set", "xyz"[i % 3], i + 1))))
    base = {"members": tuple(members)}
    base.update(params)
    return Scenario(protocol, nodes=nodes, params=base, link=link, nemesis=nemesis,
                    inputs=sorted(inputs, key=lambda inp: inp.at), until=until, seed=seed,
                    name=f"membership ({protocol.__name__})")


def two_at_once_scenario(protocol=RaftMembershipTwoAtOnce, *, seed: int = 0, **params) -> Scenario:
    """Two changes in flight at once give two leaders in one term (5 nodes, 10 ms links).

    1. Node 2 (the only fast timer) leads term 1 of {0, 1, 2}; its no-op commits.
    2. At t=0.5 the partition {0, 1} | {2, 3, 4} begins. At 0.6 and 0.7 node 2 is asked to add
       3, then 4. :class:`RaftMembership` appends the first and refuses the second: the first
       cannot commit (2 and 3 are not a majority of {0, 1, 2, 3}). The broken variant appends
       both and commits them with {2, 3, 4}, a majority of {0, 1, 2, 3, 4}.
    3. Node 0 times out and wins term 2 with node 1's vote, a majority of {0, 1, 2}.
    4. Node 2 crashes at 1.3 and comes back at 1.35 in term 1; it times out and asks for term 2.
       Broken: 3 and 4 vote, a majority of its {0, 1, 2, 3, 4}: term 2 has two leaders.
       Correct: its configuration is {0, 1, 2, 3}, and 2 and 3 are not a majority of it.
    """
    quiet = {"election_timeout": 1000.0}
    node_params = {0: {"election_timeout": 0.3}, 1: quiet, 2: {"election_timeout": 0.05}, 3: quiet, 4: quiet}
    base = {"members": (0, 1, 2)}
    base.update(params)
    faults = [Partition(((0, 1), (2, 3, 4)), at=0.5, until=2.5), Crash(2, at=1.3, until=1.35)]
    inputs = [Input(0.6, 2, MembershipRequest("operator", 1, ("add", 3))),
              Input(0.7, 2, MembershipRequest("operator", 2, ("add", 4)))]
    return Scenario(protocol, nodes=5, params=base, node_params=node_params, link=LinkModel(latency=0.01),
                    faults=faults, inputs=inputs, until=3.0, seed=seed,
                    name=f"two changes at once ({protocol.__name__})")
