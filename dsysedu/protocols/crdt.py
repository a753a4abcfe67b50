"""CRDTs: replicated data types whose replicas converge without coordination.

A *state-based* CRDT (Shapiro, Preguiça, Baquero and Zawirski, 2011) is a value in a
join semilattice: replicas update their own copy, send whole states to each other
(anti-entropy), and combine two states with ``merge``, the least upper bound. Because
``merge`` is

* commutative: ``a.merge(b) == b.merge(a)``,
* associative: ``a.merge(b.merge(c)) == a.merge(b).merge(c)``,
* idempotent: ``a.merge(a) == a``,

and every update only moves a state up the order (``x.merge(update(x)) == update(x)``),
replicas that have seen the same updates are equal, whatever the order and however often
states were delivered: *strong eventual consistency*.

The values here are immutable (frozen dataclasses); updates return a new value:

* :class:`GCounter`: grow-only counter, one count per replica, merged by maximum;
* :class:`PNCounter`: two G-Counters, increments minus decrements;
* :class:`LWWRegister`: last writer wins by ``(timestamp, replica)``;
* :class:`MVRegister`: multi-value register; version vectors keep concurrent writes as siblings;
* :class:`ORSet`: observed-remove set, add wins over a concurrent remove (unique tags).

:class:`SumCounter` is BROKEN on purpose: its merge adds the counts. It is not idempotent,
so a state delivered twice is counted twice; :func:`law_counterexample` and the convergence
check catch it.

The simulation: :class:`CrdtReplica` is a node of the event simulator that applies local
updates from its seeded stream and pushes its whole state to a random peer every
``gossip_interval`` seconds (anti-entropy); :func:`crdt_scenario` builds a run with a
partition that heals; :func:`convergence` checks that all live replicas hold the same state
at the end, after a quiet period.

Invariants: a replica's state only moves up (each new state merges the old one); replicas
that have received the same updates hold equal states; after the last update and the last
fault, with gossip running, all live replicas become equal.

References
----------
.. [1] M. Shapiro, N. Preguiça, C. Baquero and M. Zawirski, "Conflict-free replicated data
   types", SSS 2011 (and INRIA research report 7687, "A comprehensive study of convergent and
   commutative replicated data types", 2011, for the G-Counter, PN-Counter, LWW-Register,
   MV-Register and OR-Set specifications).
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any, Hashable

from ..check import Verdict
from ..sim._check import number, positive_int
from ..sim.faults import Partition
from ..sim.network import LinkModel, Uniform
from ..sim.node import Node
from ..sim.scenario import Scenario
from ..sim.streams import normalize_seed, stream

__all__ = ["GCounter", "PNCounter", "LWWRegister", "MVRegister", "ORSet", "SumCounter", "KINDS", "ELEMENTS",
           "empty", "random_update", "sample_states", "law_counterexample", "dominates", "StateMessage", "CrdtReplica",
           "crdt_scenario", "crdt_states", "convergence"]


def _key(x):
    """A sort key for replica ids and values of mixed kinds (ints before strs, None first)."""
    if x is None:
        return (0, 0, "")
    if isinstance(x, bool):
        return (1, int(x), "")
    if isinstance(x, (int, float)):
        return (1, x, "")
    return (2, 0, repr(x))


def _pairs(mapping) -> tuple:
    """A canonical tuple of ``(replica, n)`` pairs: sorted, zeros dropped."""
    return tuple(sorted(((k, v) for k, v in mapping.items() if v), key=lambda kv: _key(kv[0])))


def _vv_leq(a: tuple, b: tuple) -> bool:
    """Version vector ``a <= b`` (every entry of ``a`` at most the one in ``b``)."""
    bd = dict(b)
    return all(n <= bd.get(r, 0) for r, n in a)


def dominates(a: tuple, b: tuple) -> bool:
    """True if version vector ``a`` is strictly after ``b`` (``b <= a`` and ``a != b``).

    Examples
    --------
    >>> dominates((("a", 2),), (("a", 1),)), dominates((("a", 1),), (("b", 1),))
    (True, False)
    """
    return a != b and _vv_leq(b, a)


# ---------------------------------------------------------------------------- counters

@dataclass(frozen=True)
class GCounter:
    """Grow-only counter: each replica counts its own increments; merge takes the maximum per replica.

    Examples
    --------
    >>> a = GCounter().increment("a").increment("a")
    >>> b = GCounter().increment("b")
    >>> a.merge(b).value, a.merge(b) == b.merge(a), a.merge(a) == a
    (3, True, True)
    """
    counts: tuple = ()   # sorted ((replica, count), ...), no zeros

    def increment(self, replica: Hashable, amount: int = 1) -> "GCounter":
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError(f"GCounter.increment amount must be an int >= 0 (it only grows), got {amount!r}")
        d = dict(self.counts)
        d[replica] = d.get(replica, 0) + amount
        return GCounter(_pairs(d))

    @property
    def value(self) -> int:
        return sum(n for _r, n in self.counts)

    def merge(self, other: "GCounter") -> "GCounter":
        d = dict(self.counts)
        for r, n in other.counts:
            d[r] = max(d.get(r, 0), n)
        return GCounter(_pairs(d))

    def __le__(self, other: "GCounter") -> bool:
        return _vv_leq(self.counts, other.counts)


@dataclass(frozen=True)
class PNCounter:
    """Counter with increments and decrements: a G-Counter of each, value = P - N.

    Examples
    --------
    >>> c = PNCounter().increment("a").increment("a").decrement("b")
    >>> c.value
    1
    """
    p: GCounter = GCounter()
    n: GCounter = GCounter()

    def increment(self, replica, amount: int = 1) -> "PNCounter":
        return PNCounter(self.p.increment(replica, amount), self.n)

    def decrement(self, replica, amount: int = 1) -> "PNCounter":
        return PNCounter(self.p, self.n.increment(replica, amount))

    @property
    def value(self) -> int:
        return self.p.value - self.n.value

    def merge(self, other: "PNCounter") -> "PNCounter":
        return PNCounter(self.p.merge(other.p), self.n.merge(other.n))


@dataclass(frozen=True)
class SumCounter:
    """BROKEN on purpose: a G-Counter whose merge *adds* the two states instead of taking the maximum.

    Merge is commutative and associative but not idempotent: ``a.merge(a)`` doubles every
    count, so every repeated anti-entropy message counts the same increments again and the
    replicas never settle. Kept as lesson material; :func:`law_counterexample` finds the
    broken law and :func:`convergence` reports the divergence.

    Examples
    --------
    >>> a = SumCounter().increment("a")
    >>> a.merge(a).value
    2
    """
    counts: tuple = ()

    def increment(self, replica, amount: int = 1) -> "SumCounter":
        d = dict(self.counts)
        d[replica] = d.get(replica, 0) + amount
        return SumCounter(_pairs(d))

    @property
    def value(self) -> int:
        return sum(n for _r, n in self.counts)

    def merge(self, other: "SumCounter") -> "SumCounter":
        d = dict(self.counts)
        for r, n in other.counts:
            d[r] = d.get(r, 0) + n
        return SumCounter(_pairs(d))


# ---------------------------------------------------------------------------- registers

@dataclass(frozen=True)
class LWWRegister:
    """Last-writer-wins register: the write with the larger ``(timestamp, replica)`` stamp wins.

    The replica id breaks ties between equal timestamps, so every replica picks the same
    winner. An assignment is a merge with a one-write register: a write stamped earlier
    than the current value is lost at once, as it would be at every other replica.

    Examples
    --------
    >>> r = LWWRegister().assign("x", timestamp=1.0, replica="a")
    >>> r.assign("y", timestamp=0.5, replica="b").value    # an older write loses
    'x'
    >>> r.merge(LWWRegister("z", 1.0, "b")).value           # same time: replica "b" > "a"
    'z'
    """
    value: Any = None
    timestamp: float = 0.0
    replica: Hashable = None

    def stamp(self) -> tuple:
        # the value's repr last: two registers with one stamp and different values (never made by
        # correct use) still merge the same way on every replica
        return (self.timestamp, _key(self.replica), repr(self.value))

    def assign(self, value, timestamp: float, replica: Hashable) -> "LWWRegister":
        return self.merge(LWWRegister(value, float(timestamp), replica))

    def merge(self, other: "LWWRegister") -> "LWWRegister":
        return other if other.stamp() > self.stamp() else self


@dataclass(frozen=True)
class MVRegister:
    """Multi-value register: concurrent writes are all kept (siblings) until a later write covers them.

    ``entries`` is a frozenset of ``(value, version_vector)``; a version vector is a sorted
    tuple of ``(replica, count)``. A write at a replica stamps its value with the join of the
    vectors it has seen, plus one at its own entry, so it dominates everything it saw. Merge
    keeps the entries that no other entry dominates.

    Examples
    --------
    >>> base = MVRegister().assign("x", "a")
    >>> left, right = base.assign("y", "a"), base.assign("z", "b")   # concurrent writes
    >>> left.merge(right).values
    ('y', 'z')
    >>> left.merge(right).assign("w", "b").values                    # a later write resolves them
    ('w',)
    """
    entries: frozenset = frozenset()

    @property
    def values(self) -> tuple:
        return tuple(sorted({v for v, _vv in self.entries}, key=_key))

    @property
    def value(self) -> tuple:
        return self.values

    def version(self) -> tuple:
        """The join of the version vectors of all entries."""
        d: dict = {}
        for _v, vv in self.entries:
            for r, n in vv:
                d[r] = max(d.get(r, 0), n)
        return _pairs(d)

    def assign(self, value, replica: Hashable) -> "MVRegister":
        d = dict(self.version())
        d[replica] = d.get(replica, 0) + 1
        return MVRegister(frozenset({(value, _pairs(d))}))

    def merge(self, other: "MVRegister") -> "MVRegister":
        union = self.entries | other.entries
        keep = frozenset(e for e in union if not any(dominates(f[1], e[1]) for f in union))
        return MVRegister(keep)


# ---------------------------------------------------------------------------- set

@dataclass(frozen=True)
class ORSet:
    """Observed-remove set: each add makes a unique tag; a remove deletes the tags it has seen.

    ``adds`` holds ``(element, tag)`` pairs still present, ``removed`` the tags removed (tombstones).
    A tag is ``(replica, n)``, unique because each replica numbers its own adds. An add that a
    remove did not see has a tag the remove did not delete, so after a merge the element is in
    the set: *add wins* over a concurrent remove.

    Examples
    --------
    >>> s = ORSet().add("milk", "a")
    >>> gone, again = s.remove("milk"), s.add("milk", "b")          # concurrent remove and add
    >>> gone.merge(again).elements
    ('milk',)
    """
    adds: frozenset = frozenset()
    removed: frozenset = frozenset()

    @property
    def elements(self) -> tuple:
        return tuple(sorted({e for e, _t in self.adds}, key=_key))

    @property
    def value(self) -> tuple:
        return self.elements

    def __contains__(self, element) -> bool:
        return any(e == element for e, _t in self.adds)

    def add(self, element, replica: Hashable) -> "ORSet":
        n = 1 + max((t[1] for t in itertools.chain((t for _e, t in self.adds), self.removed) if t[0] == replica),
                    default=0)
        return ORSet(self.adds | {(element, (replica, n))}, self.removed)

    def remove(self, element) -> "ORSet":
        seen = frozenset(t for e, t in self.adds if e == element)
        return ORSet(frozenset(p for p in self.adds if p[1] not in seen), self.removed | seen)

    def merge(self, other: "ORSet") -> "ORSet":
        removed = self.removed | other.removed
        return ORSet(frozenset(p for p in self.adds | other.adds if p[1] not in removed), removed)


# ---------------------------------------------------------------------------- kinds and workloads

KINDS = {"gcounter": GCounter, "pncounter": PNCounter, "lww": LWWRegister, "mvregister": MVRegister,
         "orset": ORSet, "sumcounter": SumCounter}
"""The CRDT kinds by name (``"sumcounter"`` is the broken one)."""

ELEMENTS = ("apple", "bread", "cheese", "dates")


def _kind(kind: str):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return KINDS[kind]


def empty(kind: str):
    """The initial (bottom) value of a CRDT kind.

    Examples
    --------
    >>> empty("gcounter")
    GCounter(counts=())
    """
    return _kind(kind)()


def random_update(kind: str, state, replica, rnd, timestamp: float = 0.0):
    """One random local update of ``state`` at ``replica``, drawn from ``rnd`` (a ``random.Random``).

    Counters increment (the PN-Counter decrements one time in three), registers assign a
    small integer (the LWW stamp is ``timestamp``), the OR-Set adds or removes an element of
    :data:`ELEMENTS`. Returns ``(new_state, description)``.

    Examples
    --------
    >>> import random
    >>> state, what = random_update("gcounter", GCounter(), "a", random.Random(1))
    >>> state.value, what
    (1, 'inc')
    """
    _kind(kind)
    if kind in ("gcounter", "sumcounter"):
        return state.increment(replica), "inc"
    if kind == "pncounter":
        if rnd.random() < 1 / 3:
            return state.decrement(replica), "dec"
        return state.increment(replica), "inc"
    if kind == "lww":
        v = rnd.randrange(100)
        return state.assign(v, timestamp, replica), f"set {v}"
    if kind == "mvregister":
        v = rnd.randrange(100)
        return state.assign(v, replica), f"set {v}"
    present = state.elements
    if present and rnd.random() < 0.4:
        e = present[rnd.randrange(len(present))]
        return state.remove(e), f"remove {e}"
    e = ELEMENTS[rnd.randrange(len(ELEMENTS))]
    return state.add(e, replica), f"add {e}"


def sample_states(kind: str, count: int = 20, seed=None, replicas=("a", "b", "c")) -> list:
    """``count`` reachable states of a CRDT kind, from a seeded random history of updates and merges.

    Three replicas take turns: each step either updates one replica (:func:`random_update`,
    with small timestamps so that LWW ties happen) or merges one replica's state into another's.
    States that no run could reach (an OR-Set tag used twice) would make the laws fail for
    the wrong reason; these are all reachable.

    Examples
    --------
    >>> states = sample_states("orset", 10, seed=1)
    >>> len(states), law_counterexample(states) is None
    (10, True)
    """
    _kind(kind)
    positive_int("count", count)
    rnd = stream(normalize_seed(seed), f"crdt-states:{kind}")
    states = {r: empty(kind) for r in replicas}
    out = []
    while len(out) < count:
        r = replicas[rnd.randrange(len(replicas))]
        if rnd.random() < 0.6:
            states[r], _ = random_update(kind, states[r], r, random.Random(rnd.random()),
                                         timestamp=float(rnd.randrange(5)))
        else:
            states[r] = states[r].merge(states[replicas[rnd.randrange(len(replicas))]])
        out.append(states[r])
    return out


def law_counterexample(values, merge=None):
    """The first semilattice law that ``merge`` breaks on ``values``, or None if all hold.

    Checks commutativity on every pair, idempotence on every value and associativity on every
    triple of ``values``.

    Parameters
    ----------
    values : sequence of CRDT values
    merge : callable (a, b) -> value, optional
        Default: the values' own ``merge`` method.

    Returns
    -------
    None, or a tuple ``(law, args)``: ``law`` is ``"commutative"``, ``"associative"`` or
    ``"idempotent"`` and ``args`` the values that break it.

    Examples
    --------
    >>> one = SumCounter().increment("a")
    >>> law_counterexample([one])
    ('idempotent', (SumCounter(counts=(('a', 1),)),))
    >>> law_counterexample([GCounter().increment("a"), GCounter().increment("b")]) is None
    True
    """
    if merge is None:
        def merge(a, b):
            return a.merge(b)
    values = list(values)
    for a in values:
        if merge(a, a) != a:
            return ("idempotent", (a,))
    for a, b in itertools.combinations(values, 2):
        if merge(a, b) != merge(b, a):
            return ("commutative", (a, b))
    for a, b, c in itertools.product(values, repeat=3):
        if merge(a, merge(b, c)) != merge(merge(a, b), c):
            return ("associative", (a, b, c))
    return None


# ---------------------------------------------------------------------------- simulation

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
