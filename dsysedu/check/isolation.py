"""Transactional isolation (隔离性), Elle's way: anomalies found as cycles in a dependency graph.

A *list-append* history is a set of transactions, each a list of micro-operations on keys whose
values are lists: ``("append", k, v)`` adds ``v`` to the end of ``k``'s list, ``("r", k, [..])``
reads the whole list. Appended values are unique per key. Because a read returns every value
ever appended, in order, the reads reveal each key's *version order* (the longest read; every
other read must be a prefix of it), and from the version order every dependency between
transactions follows (Adya [1]_, as Elle recovers them [2]_):

* ``ww`` T1 → T2: T2 appended the version right after T1's (T2 overwrote T1's write);
* ``wr`` T1 → T2: T2 read a list whose last value T1 appended (T2 saw T1's write);
* ``rw`` T1 → T2: T1 read a list that T2's append came right after (T1 missed T2's write: an
  anti-dependency);
* optionally ``realtime`` (T1 finished before T2 began) and ``process`` (one client's order).

A serializable history has no cycle in this graph. Cycles are named by Adya's phenomena:
``G0`` (write cycle: ww only), ``G1c`` (circular information flow: ww and wr), ``G-single`` (exactly
one rw: read skew, and the lost update), ``G2`` (two or more rw: write skew), with ``-realtime``
or ``-process`` appended when the cycle needs one of those edges. Anomalies seen without a
cycle: ``G1a`` (aborted read: a value appended by a failed transaction was read), ``G1b``
(intermediate read: a read ended at a value its writer later followed with another append to
the same key), ``internal`` (a transaction's read does not show its own earlier appends),
``incompatible-order`` (two reads of a key that are not prefixes of one another), and
``garbage-read`` (a value nobody appended). The smallest cycle of each kind is the evidence.

Examples
--------
>>> t1 = Transaction(1, "p1", [("r", "x", []), ("append", "x", 1)])
>>> t2 = Transaction(2, "p2", [("r", "x", []), ("append", "x", 2)])
>>> t3 = Transaction(3, "p3", [("r", "x", [1, 2])])
>>> v = check_isolation([t1, t2, t3])
>>> v.ok, sorted(v.anomalies)
(False, ['G-single'])

References
----------
.. [1] A. Adya, "Weak consistency: a generalized theory and optimistic implementations for
   distributed transactions", PhD thesis, MIT, 1999.
.. [2] K. Kingsbury and P. Alvaro, "Elle: inferring isolation anomalies from experimental
   observations", Proc. VLDB Endowment 14(3), 2020.
"""
from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Hashable

import networkx as nx

from . import Verdict

__all__ = ["Transaction", "IsolationVerdict", "check_isolation", "brute_force_serializable", "CYCLE_ANOMALIES",
           "ANOMALIES"]

CYCLE_ANOMALIES = ("G0", "G1c", "G-single", "G2")
ANOMALIES = ("G1a", "G1b", "internal", "incompatible-order", "garbage-read") + CYCLE_ANOMALIES
STATUSES = ("ok", "fail", "info")
ORDER_EDGES = ("realtime", "process")


@dataclass(frozen=True)
class Transaction:
    """One transaction of a list-append history.

    Attributes
    ----------
    id : int
    process : hashable
        The client that ran it (its transactions do not overlap).
    ops : tuple
        Micro-operations ``("append", key, value)`` and ``("r", key, values)``; a read's values
        are a list or tuple (``None`` when unknown, e.g. in a transaction that did not commit).
    status : {"ok", "fail", "info"}
        Committed, aborted, or unknown (it may have committed: its appends count if anyone read them).
    invoke, complete : float
        Start and end (``complete`` None when unknown).
    """
    id: int
    process: Hashable
    ops: tuple
    status: str = "ok"
    invoke: float = 0.0
    complete: float | None = None

    def __post_init__(self):
        if isinstance(self.id, bool) or not isinstance(self.id, int):
            raise TypeError(f"a transaction id is an int, got {self.id!r}")
        if self.status not in STATUSES:
            raise ValueError(f"transaction {self.id}: status must be one of {STATUSES}, got {self.status!r}")
        for name, t in (("invoke", self.invoke), ("complete", self.complete)):
            if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t)):
                raise ValueError(f"transaction {self.id}: {name} must be a finite number, got {t!r}")
        if self.complete is not None and self.complete < self.invoke:
            raise ValueError(f"transaction {self.id}: completes at {self.complete} before it starts at {self.invoke}")
        ops = []
        for op in self.ops:
            if not isinstance(op, (tuple, list)) or len(op) != 3 or op[0] not in ("append", "r"):
                raise ValueError(f"transaction {self.id}: a micro-operation is ('append', key, value) or "
                                 f"('r', key, values), got {op!r}")
            kind, key, value = op
            if kind == "r" and value is not None:
                if not isinstance(value, (list, tuple)):
                    raise TypeError(f"transaction {self.id}: a read returns a list (or None), got {value!r}")
                value = tuple(value)
            ops.append((kind, key, value))
        object.__setattr__(self, "ops", tuple(ops))

    @property
    def end(self) -> float:
        return math.inf if self.complete is None else self.complete


@dataclass(frozen=True, repr=False)
class IsolationVerdict(Verdict):
    """A :class:`~dsysedu.check.Verdict` with the evidence of an isolation check.

    Attributes
    ----------
    anomalies : dict
        Anomaly name -> list of evidence. For a cycle: the smallest one found, as a list of
        ``(from id, edge kind, to id, why)``. For the others: a description per case.
    graph : networkx.DiGraph
        Transactions (by id) with the dependency edges; each edge's ``kinds`` is a set of
        ``"ww"``, ``"wr"``, ``"rw"``, ``"realtime"``, ``"process"``, ``why`` their reasons.
    version_order : dict
        Key -> the values in the order the reads revealed.
    """
    anomalies: Any = field(default=None, compare=False)
    graph: Any = field(default=None, compare=False)
    version_order: Any = field(default=None, compare=False)

    def cycle(self, name: str | None = None) -> list:
        """The evidence cycle of ``name`` (or of the first cycle anomaly found)."""
        names = [n for n in self.anomalies if n.split("-realtime")[0].split("-process")[0] in CYCLE_ANOMALIES]
        if name is None:
            if not names:
                raise ValueError("no cycle was found")
            name = names[0]
        if name not in self.anomalies:
            raise ValueError(f"no {name!r} in this history; found {sorted(self.anomalies)}")
        return self.anomalies[name]


def _as_transactions(history) -> list:
    if isinstance(history, Transaction):
        raise TypeError("pass a list of Transaction, not one")
    try:
        txns = list(history)
    except TypeError:
        raise TypeError(f"expected a list of Transaction, got {type(history).__name__}") from None
    for t in txns:
        if not isinstance(t, Transaction):
            raise TypeError(f"expected Transaction objects, got {t!r}")
    ids = [t.id for t in txns]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"transaction ids must be unique; repeated: {dup}")
    return txns


def _writers(txns) -> dict:
    """(key, value) -> (transaction, index of this append among the transaction's appends to key)."""
    out = {}
    for t in txns:
        count = {}
        for kind, key, value in t.ops:
            if kind == "append":
                if (key, value) in out:
                    raise ValueError(f"value {value!r} is appended to key {key!r} twice (transactions "
                                     f"{out[(key, value)][0].id} and {t.id}); list-append needs unique values")
                out[(key, value)] = (t, count.get(key, 0))
                count[key] = count.get(key, 0) + 1
    return out


def _reads(txns):
    """Every read of a committed transaction: (transaction, key, values)."""
    return [(t, k, v) for t in txns if t.status == "ok" for kind, k, v in t.ops if kind == "r" and v is not None]


def _version_orders(txns, writers, found) -> dict:
    longest = {}
    for t, k, v in _reads(txns):
        if len(set(v)) != len(v):
            found.setdefault("incompatible-order", []).append(f"T{t.id} read {k!r} = {list(v)}, with a value twice")
        best = longest.get(k)
        if best is None or len(v) > len(best[1]):
            longest[k] = (t, v)
    for t, k, v in _reads(txns):
        best_t, best = longest[k]
        if tuple(best[:len(v)]) != v:
            found.setdefault("incompatible-order", []).append(
                f"T{t.id} read {k!r} = {list(v)} and T{best_t.id} read {list(best)}: neither is a prefix of the other")
    return {k: v for k, (_, v) in longest.items()}


def _point_anomalies(txns, writers, found) -> None:
    final_count = {}
    for t in txns:
        for kind, key, _ in t.ops:
            if kind == "append":
                final_count[(t.id, key)] = final_count.get((t.id, key), 0) + 1
    for t, k, v in _reads(txns):
        for x in v:
            if (k, x) not in writers:
                found.setdefault("garbage-read", []).append(f"T{t.id} read {x!r} in {k!r}, which nobody appended")
            elif writers[(k, x)][0].status == "fail":
                found.setdefault("G1a", []).append(
                    f"T{t.id} read {x!r} in {k!r}, appended by T{writers[(k, x)][0].id}, which aborted")
        if v and (k, v[-1]) in writers:
            w, i = writers[(k, v[-1])]
            if w.id != t.id and i + 1 < final_count[(w.id, k)]:
                found.setdefault("G1b", []).append(
                    f"T{t.id} read {k!r} = {list(v)}, ending at {v[-1]!r}, an intermediate append of T{w.id}")
    for t in txns:                                   # a transaction sees its own appends
        if t.status != "ok":
            continue
        mine, last = {}, {}
        for kind, key, value in t.ops:
            if kind == "append":
                mine.setdefault(key, []).append(value)
            elif value is not None:
                own = tuple(mine.get(key, ()))
                before = last.get(key)
                ok = value[len(value) - len(own):] == own if own else True
                if before is not None and ok:
                    ok = value[:len(before)] == before
                if not ok:
                    found.setdefault("internal", []).append(
                        f"T{t.id} read {key!r} = {list(value)} after appending {list(own)} to it itself")
                last[key], mine[key] = value, []
                if own:
                    last[key] = value


def _graph(txns, writers, versions, realtime, process) -> nx.DiGraph:
    g = nx.DiGraph()
    seen_writers = {writers[(k, x)][0].id for k, vs in versions.items() for x in vs if (k, x) in writers}
    live = {t.id: t for t in txns if t.status == "ok" or (t.status == "info" and t.id in seen_writers)}
    g.add_nodes_from(live)

    def edge(a, b, kind, why):
        if a == b or a not in live or b not in live:
            return
        if not g.has_edge(a, b):
            g.add_edge(a, b, kinds=set(), why={})
        g.edges[a, b]["kinds"].add(kind)
        g.edges[a, b]["why"].setdefault(kind, why)

    for k, vs in versions.items():
        owners = [writers[(k, x)][0].id if (k, x) in writers else None for x in vs]
        for (a, x), (b, y) in zip(zip(owners, vs), zip(owners[1:], vs[1:])):
            if a is not None and b is not None:
                edge(a, b, "ww", f"T{b} appended {y!r} to {k!r} right after T{a}'s {x!r}")
    # committed appends no read saw come after every version a read saw: after the last writer
    # (a ww path) and after every read of the whole observed list (an rw path)
    unseen = {}
    for (k, x), (w, _) in writers.items():
        if w.status == "ok" and x not in set(versions.get(k, ())):
            unseen.setdefault(k, []).append((x, w.id))
    for k, items in unseen.items():
        vs = versions.get(k, ())
        last = writers.get((k, vs[-1]), (None,))[0] if vs else None
        for x, w in sorted(items, key=repr):
            if last is not None:
                edge(last.id, w, "ww", f"T{w}'s {x!r} (read by nobody) came after T{last.id}'s {vs[-1]!r} in {k!r}")
            for t, rk, v in _reads(txns):
                if rk == k and v == tuple(vs):
                    edge(t.id, w, "rw", f"T{t.id} read {k!r} = {list(v)} and missed T{w}'s {x!r}")
    for t, k, v in _reads(txns):
        vs = versions.get(k, ())
        if tuple(vs[:len(v)]) != v:
            continue                                 # an incompatible read gives no dependencies
        if v and (k, v[-1]) in writers:
            edge(writers[(k, v[-1])][0].id, t.id, "wr", f"T{t.id} read {k!r} = {list(v)}, ending at "
                 f"T{writers[(k, v[-1])][0].id}'s {v[-1]!r}")
        if len(vs) > len(v) and (k, vs[len(v)]) in writers:
            nxt = writers[(k, vs[len(v)])][0].id
            edge(t.id, nxt, "rw", f"T{t.id} read {k!r} = {list(v)} and missed T{nxt}'s {vs[len(v)]!r}")
    if realtime:
        order = sorted(live.values(), key=lambda t: t.end)
        for b in live.values():
            before = [a for a in order if a.end < b.invoke]
            # only the latest finishers: an earlier one reaches b through them
            cutoff = max((a.invoke for a in before), default=-math.inf)
            for a in before:
                if a.end >= cutoff:
                    edge(a.id, b.id, "realtime", f"T{a.id} finished before T{b.id} began")
    if process:
        by_process = {}
        for t in sorted(live.values(), key=lambda t: (t.invoke, t.id)):
            by_process.setdefault(t.process, []).append(t)
        for ts in by_process.values():
            for a, b in zip(ts, ts[1:]):
                edge(a.id, b.id, "process", f"T{a.id} came before T{b.id} on {a.process!r}")
    return g


def _path(g, src, dst, kinds):
    """Shortest path ``src`` -> ``dst`` along edges with a kind in ``kinds`` (BFS, ids in sorted order)."""
    prev, queue = {src: None}, deque([src])
    while queue:
        u = queue.popleft()
        if u == dst:
            out = [u]
            while prev[out[-1]] is not None:
                out.append(prev[out[-1]])
            return out[::-1]
        for w in sorted(g.successors(u)):
            if w not in prev and g.edges[u, w]["kinds"] & kinds:
                prev[w] = u
                queue.append(w)
    return None


def _smallest_cycle(g, first, rest):
    """The shortest cycle that starts with an edge of a kind in ``first`` and goes back along ``rest``."""
    best = None
    for a, b in sorted(g.edges):
        if g.edges[a, b]["kinds"] & first:
            back = _path(g, b, a, rest)
            if back is not None and (best is None or len(back) < len(best) - 1):
                best = [a] + back[:-1]
    return best


def _describe(g, nodes, first, prefer) -> list:
    """``nodes`` as steps ``(from, kind, to, why)``; the first edge is of a kind in ``first``."""
    steps = []
    for j, (a, b) in enumerate(zip(nodes, nodes[1:] + nodes[:1])):
        kinds = g.edges[a, b]["kinds"]
        kind = next(k for k in (tuple(sorted(first)) if j == 0 else ()) + prefer if k in kinds)
        steps.append((a, kind, b, g.edges[a, b]["why"][kind]))
    return steps


def _cycles(g, found, order_kinds) -> None:
    """Name the smallest cycle of each of Adya's kinds; a ``-realtime``/``-process`` kind only when
    the cycle needs that order's edges."""
    for extra in [()] + [(k,) for k in order_kinds]:
        suffix, order = (f"-{extra[0]}" if extra else ""), set(extra)
        prefer = ("ww", "wr", "rw") + tuple(extra)
        searches = (("G0", {"ww"}, {"ww"} | order),                     # write cycles
                    ("G1c", {"wr"}, {"ww", "wr"} | order),              # information flows in a circle
                    ("G-single", {"rw"}, {"ww", "wr"} | order),         # exactly one anti-dependency
                    ("G2", {"rw"}, {"ww", "wr", "rw"} | order))         # at least one
        for name, first, rest in searches:
            if name in found or (name == "G2" and "G-single" + suffix in found):
                continue
            if extra and name == "G0":
                first = {"ww"} | order
            cyc = _smallest_cycle(g, first, rest)
            if cyc is not None:
                found[name + suffix] = _describe(g, cyc, first, prefer)


def check_isolation(history, *, realtime: bool = False, process: bool = False) -> IsolationVerdict:
    """Check a list-append history for Adya's anomalies (serializability, or strict serializability
    with ``realtime=True``).

    Parameters
    ----------
    history : list of Transaction
    realtime : bool
        Add real-time edges (a transaction that finished before another began comes first): the
        check is then for strict serializability.
    process : bool
        Add each process's order (for strong session serializability).

    Returns
    -------
    IsolationVerdict
        ``ok`` when no anomaly was found; ``anomalies`` with the evidence, ``graph`` and
        ``version_order`` either way.

    Raises
    ------
    TypeError, ValueError
        For a history that is not a list of Transaction, repeated ids, or a value appended twice.
    """
    txns = _as_transactions(history)
    found: dict = {}
    writers = _writers(txns)
    versions = _version_orders(txns, writers, found)
    _point_anomalies(txns, writers, found)
    g = _graph(txns, writers, versions, realtime, process)
    _cycles(g, found, tuple(k for k, on in (("realtime", realtime), ("process", process)) if on))
    what = "strict serializability" if realtime else "serializability"
    if not found:
        msg = f"{len(g)} transactions on {len(versions)} keys: no anomaly ({len(g.edges)} dependencies)"
        return IsolationVerdict(True, what, msg, anomalies={}, graph=g, version_order=versions)
    first = next(iter(found))
    evidence = found[first]
    if isinstance(evidence[0], tuple):                # a cycle: T1 -rw-> T2 -wr-> T1
        detail = "".join(f"T{a} -{k}-> " for a, k, _, _ in evidence) + f"T{evidence[0][0]}"
    else:
        detail = evidence[0]
    msg = f"{', '.join(found)} found; {first}: {detail}"
    return IsolationVerdict(False, what, msg, anomalies=found, graph=g, version_order=versions)


def brute_force_serializable(history) -> bool:
    """Serializability by trying every order of the committed transactions (at most 8; for tests).

    Transactions whose status is unknown (``"info"``) are tried both in and out. A read must return
    exactly the list its key holds at that point of the serial run; appends of aborted transactions
    never happen.
    """
    txns = _as_transactions(history)
    done = [t for t in txns if t.status == "ok"]
    maybe = [t for t in txns if t.status == "info"]
    if len(done) + len(maybe) > 8:
        raise ValueError(f"brute force handles at most 8 committed or unknown transactions, got {len(done) + len(maybe)}")
    for r in range(len(maybe) + 1):
        for chosen in itertools.combinations(maybe, r):
            for order in itertools.permutations(done + list(chosen)):
                if _serial_ok(order):
                    return True
    return False


def _serial_ok(order) -> bool:
    state = {}
    for t in order:
        for kind, key, value in t.ops:
            if kind == "append":
                state[key] = state.get(key, ()) + (value,)
            elif value is not None and t.status == "ok" and state.get(key, ()) != value:
                return False
    return True
