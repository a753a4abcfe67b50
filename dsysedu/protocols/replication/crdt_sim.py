"""CRDT replicas in the event simulator: anti-entropy under partitions, and convergence.

:class:`CrdtReplica` applies local updates from its seeded stream and pushes its whole
state to a random peer every ``gossip_interval`` seconds (anti-entropy);
:func:`crdt_scenario` builds a run with a partition that heals; :func:`convergence` checks
that all live replicas hold the same state at the end, after a quiet period. The data
types themselves live in :mod:`dsysedu.protocols.replication.crdt`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dsysedu.check import Verdict
from dsysedu.sim.validate import number, positive_int
from dsysedu.sim.faults import Partition
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from .crdt import _key, _kind, empty, random_update

__all__ = ["StateMessage", "CrdtReplica", "crdt_scenario", "crdt_states", "convergence"]

@dataclass(frozen=True)
class StateMessage:
    """Anti-entropy: a replica's whole state, sent to a peer that merges it."""
    state: Any


class CrdtReplica(Node):
    """One replica of a state-based CRDT in the event simulator.

    Parameters
    ----------
    node_id, peers
        Given by the simulator.
    kind : str
        One of :data:`KINDS` (``"gcounter"``, ``"pncounter"``, ``"lww"``, ``"mvregister"``, ``"orset"``,
        or the broken ``"sumcounter"``).
    gossip_interval : float
        Seconds between anti-entropy pushes; each push sends the state to ``fanout`` random peers.
    fanout : int
    update_rate : float
        Local updates per second (a Poisson stream from the node's own random stream); 0 for none.
    updates_until : float
        No local updates from this time on.

    Notes
    -----
    Durable: the CRDT state (a recovered replica keeps what it had). Observes ``state`` (the CRDT
    value) and ``value`` (its query result) on every change, ``update`` (what was done) on each
    local update and ``merged`` (the sender) on each merge that changed the state. The LWW
    register is stamped with the node's own clock (``ctx.clock()``), so clock skew decides
    which concurrent write wins.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> trace = run(Scenario(CrdtReplica, nodes=3, params={"kind": "gcounter", "updates_until": 1.0},
    ...                      until=3.0), seed=1)
    >>> convergence(trace).ok
    True
    """

    durable = ("crdt",)
    state_fields = ("crdt",)

    def __init__(self, node_id, peers=(), kind="gcounter", gossip_interval=0.1, fanout=1, update_rate=1.0,
                 updates_until=4.0):
        super().__init__(node_id, peers)
        self.kind = kind
        self.crdt = empty(kind)
        self.gossip_interval = number("gossip_interval", gossip_interval, low=0.0, low_open=True)
        self.fanout = positive_int("fanout", fanout)
        self.update_rate = number("update_rate", update_rate, low=0.0)
        self.updates_until = number("updates_until", updates_until, low=0.0)

    def on_start(self, ctx):
        self._observe(ctx)
        ctx.set_timer("gossip", ctx.rng.random() * self.gossip_interval)
        self._next_update(ctx)

    def _next_update(self, ctx):
        if self.update_rate > 0:
            delay = ctx.rng.expovariate(self.update_rate)
            if ctx.now + delay < self.updates_until:
                ctx.set_timer("update", delay)

    def _observe(self, ctx):
        ctx.observe("state", self.crdt)
        ctx.observe("value", self.crdt.value)

    def on_timer(self, ctx, name):
        if name == "update":
            self.crdt, what = random_update(self.kind, self.crdt, self.id, ctx.rng, timestamp=ctx.clock())
            ctx.observe("update", what)
            self._observe(ctx)
            self._next_update(ctx)
        elif name == "gossip":
            if self.peers:
                k = min(self.fanout, len(self.peers))
                for p in sorted(ctx.rng.sample(self.peers, k), key=_key):
                    ctx.send(p, StateMessage(self.crdt))
            ctx.set_timer("gossip", self.gossip_interval)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, StateMessage):
            merged = self.crdt.merge(msg.state)
            if merged != self.crdt:
                self.crdt = merged
                ctx.observe("merged", src)
                self._observe(ctx)


def crdt_scenario(kind: str = "gcounter", replicas: int = 5, *, partition=None, partition_at: float = 1.0,
                  heal_at: float = 3.0, update_rate: float = 1.0, updates_until: float | None = None,
                  gossip_interval: float = 0.1, fanout: int = 1, latency=None, loss: float = 0.0,
                  faults=(), until: float = 8.0, seed: int = 0) -> Scenario:
    """Replicas of one CRDT kind updating and gossiping, split by a partition that heals.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    replicas : int
        Number of replicas (nodes 0 .. replicas-1, all linked).
    partition : list of node lists, optional
        The two (or more) sides of a partition in force from ``partition_at`` to ``heal_at``.
    update_rate, updates_until
        Local updates per second per replica, until ``updates_until`` (default: ``heal_at``
        when there is a partition, else half of ``until``).
    gossip_interval, fanout
        Anti-entropy: each replica pushes its state to ``fanout`` random peers per interval.
    latency : float or Latency, optional
        Link latency (default uniform 5-20 ms).
    loss : float
        Message loss probability.
    faults : list of Fault
        More faults (crashes...).
    until : float
        Seconds to run.
    seed : int

    Raises
    ------
    ValueError, TypeError
        For an unknown kind, a bad count, times out of order, or a partition that does not
        cover the replicas.

    Examples
    --------
    >>> sc = crdt_scenario("orset", 4, partition=[[0, 1], [2, 3]], until=6.0)
    >>> convergence(sc.run(seed=2)).ok
    True
    """
    _kind(kind)
    positive_int("replicas", replicas)
    number("until", until, low=0.0, low_open=True)
    fs = list(faults)
    if partition is not None:
        number("partition_at", partition_at, low=0.0)
        number("heal_at", heal_at, low=0.0)
        if heal_at < partition_at:
            raise ValueError(f"heal_at must be >= partition_at, got partition_at={partition_at}, heal_at={heal_at}")
        fs.append(Partition(partition, at=partition_at, until=heal_at))
    if updates_until is None:
        updates_until = heal_at if partition is not None else until / 2
    params = {"kind": kind, "gossip_interval": gossip_interval, "fanout": fanout, "update_rate": update_rate,
              "updates_until": updates_until}
    CrdtReplica(0, (), **params)  # validate the parameters once, before the run
    link = LinkModel(latency=Uniform(0.005, 0.02) if latency is None else latency, loss=loss)
    return Scenario(CrdtReplica, nodes=replicas, params=params, link=link, faults=tuple(fs), until=until,
                    seed=seed, name=f"CRDT {kind} ({replicas} replicas)")


def crdt_states(trace):
    """Every observed state change: a DataFrame ``time, node, value, state`` in time order.

    Examples
    --------
    >>> trace = crdt_scenario("gcounter", 3, until=2.0).run(seed=1)
    >>> list(crdt_states(trace).columns)
    ['time', 'node', 'value', 'state']
    """
    import pandas as pd
    # the value observation follows its state observation in the same handler
    out, last = [], {}
    for time, kind, node, _p, _m, key, v in trace.rows:
        if kind == "observe" and key == "state":
            last[node] = (time, v)
        elif kind == "observe" and key == "value" and node in last:
            t, st = last.pop(node)
            out.append((t, node, v, st))
    return pd.DataFrame(out, columns=["time", "node", "value", "state"])


def convergence(trace, quiet: float | None = None) -> Verdict:
    """Strong eventual consistency at the end of a run: all live replicas hold the same state.

    Parameters
    ----------
    trace : Trace
        A run of :class:`CrdtReplica`.
    quiet : float, optional
        Required seconds between the last local update or fault and the end of the run; a run
        with less quiet time raises ``ValueError`` (it cannot be judged yet).

    Returns
    -------
    Verdict
        ``ok`` if every replica that is up at the end holds the same state; the message says
        when they last became equal (or which states differ); ``events`` are the last state
        observations of the replicas that differ.

    Examples
    --------
    >>> v = convergence(crdt_scenario("sumcounter", 3, until=4.0).run(seed=1))
    >>> v.ok
    False
    """
    prop = "convergence"
    last_state, last_seq, history = {}, {}, []
    last_change = 0.0
    for seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == "state":
            last_state[r[2]], last_seq[r[2]] = r[6], seq
            history.append((r[0], dict(last_state)))
        elif r[1] == "observe" and r[5] == "update":
            last_change = max(last_change, r[0])
        elif r[1] in ("crash", "recover", "partition", "heal", "cut", "restore", "pause", "resume"):
            last_change = max(last_change, r[0])
    end = trace.end_time
    if quiet is not None:
        number("quiet", quiet, low=0.0)
        if end - last_change < quiet:
            raise ValueError(f"the run ends {end - last_change:.3g} s after its last update or fault "
                             f"(t={last_change:.3g}); convergence needs {quiet:g} s of quiet: run longer")
    status = trace.status_at(end)
    live = [n for n in trace.nodes if n not in status["crashed"]]
    if not live:
        return Verdict(True, prop, "no replica is up at the end")
    states = {n: last_state.get(n) for n in live}
    distinct = []
    for s in states.values():
        if s not in distinct:
            distinct.append(s)
    if len(distinct) == 1:
        since = 0.0
        for t, snap in reversed(history):
            if any(snap.get(n) != distinct[0] for n in live):
                since = t
                break
        value = getattr(distinct[0], "value", distinct[0])
        return Verdict(True, prop, f"all {len(live)} live replicas hold the same state (value {value!r}) "
                                   f"since t={since:.3f} s")
    groups = {}
    for n, s in states.items():
        groups.setdefault(distinct.index(s), []).append(n)
    shown = "; ".join(f"nodes {ns} value {getattr(distinct[i], 'value', distinct[i])!r}"
                      for i, ns in sorted(groups.items()))
    events = [last_seq[n] for n in live if n in last_seq and states[n] != distinct[0]]
    return Verdict(False, prop, f"{len(distinct)} different states among {len(live)} live replicas at "
                                f"t={end:g}: {shown}", tuple(events))
