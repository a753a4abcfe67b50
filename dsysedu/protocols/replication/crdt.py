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

The simulation (in :mod:`dsysedu.protocols.replication.crdt_sim`, re-exported here): :class:`CrdtReplica` is a node of the event simulator that applies local
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

from dsysedu.sim.validate import positive_int
from dsysedu.sim.streams import normalize_seed, stream

__all__ = ["GCounter", "PNCounter", "LWWRegister", "MVRegister", "ORSet", "SumCounter", "KINDS", "ELEMENTS",
           "empty", "random_update", "sample_states", "law_counterexample", "dominates"]


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

