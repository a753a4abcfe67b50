"""Weaker consistency models: sequential and causal consistency, and histories that tell them apart.

Linearizability (:mod:`dsysedu.check.linearizability`) asks for one order of all operations
that respects *real time*. Dropping the real-time requirement gives **sequential consistency**
(顺序一致性, Lamport 1979 [1]_): some single order that respects each client's own program
order and the sequential model. Dropping the single order gives **causal consistency**
(因果一致性, Ahamad et al. 1995 [2]_): each client may see concurrent writes in its own order,
as long as nobody sees an effect without its causes. Every linearizable history is sequentially
consistent, and every sequentially consistent register history is causally consistent; the
example histories show that neither arrow reverses.

Both checks here are exact searches meant for small histories (tens of operations): deciding
sequential consistency is NP-complete in general (Gibbons and Korach 1997 [3]_).

Examples
--------
>>> h, why = example_histories()["stale read"]
>>> bool(check_sequential(h, "kv")), bool(check_causal(h))
(True, True)

References
----------
.. [1] L. Lamport, "How to make a multiprocessor computer that correctly executes multiprocess
   programs", IEEE Transactions on Computers C-28(9), 1979.
.. [2] M. Ahamad, G. Neiger, J. E. Burns, P. Kohli and P. W. Hutto, "Causal memory: definitions,
   implementation, and programming", Distributed Computing 9(1), 1995.
.. [3] P. B. Gibbons and E. Korach, "Testing shared memories", SIAM Journal on Computing 26(4), 1997.
.. [4] A. Bouajjani, C. Enea, R. Guerraoui and J. Hamza, "On verifying causal consistency",
   POPL 2017.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from dsysedu.check import Verdict
from .history import History, Operation
from .linearizability import SearchBudgetExceeded, _prepare
from .models import KeyValue, op_label, resolve_model

__all__ = ["check_sequential", "check_causal", "ConsistencyVerdict", "example_histories", "EXAMPLE_CLAIMS",
           "linearizable_kv_history", "with_stale_read"]


@dataclass(frozen=True, repr=False)
class ConsistencyVerdict(Verdict):
    """A :class:`~dsysedu.check.Verdict` with ``order`` (a witness order of op ids, when ok),
    ``window`` (op ids that form the evidence, when not ok) and ``steps`` (search steps)."""
    order: tuple = ()
    window: tuple = ()
    steps: int = 0


def _by_client(ops) -> list:
    lanes: dict = {}
    for op in sorted(ops, key=lambda o: (o.invoke, o.id)):
        lanes.setdefault(op.client, []).append(op)
    return list(lanes.values())


def check_sequential(history, model="register", *, max_steps: int = 1_000_000) -> ConsistencyVerdict:
    """Check sequential consistency: one order of all operations that respects each client's
    program order (its operations by invocation time) and the model, ignoring real time.

    Sequential consistency is not local (Herlihy and Wing 1990 show two sequentially consistent
    registers whose joint history is not), so a model that partitions per key is checked as one
    map. Failed operations are ignored; pending ones may be placed or left out.

    Parameters
    ----------
    history : History
    model : str or model instance (see :mod:`dsysedu.check.models`)
    max_steps : int
        Bound on the configurations explored.

    Raises
    ------
    SearchBudgetExceeded
        When ``max_steps`` run out.

    Examples
    --------
    >>> h, _ = example_histories()["opposite orders"]
    >>> check_sequential(h, "kv").ok
    False
    """
    model = resolve_model(model)
    if isinstance(model, KeyValue) and model.partitioned:
        model = KeyValue(model.initial, partitioned=False)
    h = _prepare(history, model)
    lanes = _by_client(h.ops)
    ends = tuple(len(lane) for lane in lanes)
    start = (tuple(0 for _ in lanes), model.init())
    stack, seen, steps = [(start, None)], {start}, 0
    while stack:
        (pos, state), path = stack.pop()
        steps += 1
        if steps > max_steps:
            raise SearchBudgetExceeded(f"sequential consistency search used its budget of {max_steps:,} steps; "
                                       f"raise max_steps")
        if pos == ends:
            order = []
            while path is not None:
                order.append(path[0])
                path = path[1]
            return ConsistencyVerdict(True, "sequential consistency",
                                      f"{len(h)} operations of {len(lanes)} clients fit one order",
                                      order=tuple(order[::-1]),
                                      steps=steps)
        for c in reversed(range(len(lanes))):
            if pos[c] == ends[c]:
                continue
            op = lanes[c][pos[c]]
            nxt_pos = pos[:c] + (pos[c] + 1,) + pos[c + 1:]
            moves = [(True, state, False)] if op.pending else []       # a pending op may never have happened
            ok, new = model.step(state, op)
            if ok:
                moves.append((True, new, True))
            for _, s, placed in moves:
                cfg = (nxt_pos, s)
                if cfg not in seen:
                    seen.add(cfg)
                    stack.append((cfg, (op.id, path) if placed else path))
    return ConsistencyVerdict(False, "sequential consistency",
                              f"no single order of the {len(h)} operations respects every client's program order "
                              f"and explains every result", steps=steps)


def check_causal(history) -> ConsistencyVerdict:
    """Check causal consistency of a read/write history (registers or keys) with unique written values.

    Definition (the CC of Bouajjani et al. [4]_, after Ahamad et al. [2]_). *Program order* orders
    each client's operations by invocation; *writes-into* goes from a write to every read that
    returned its value (unique values make the writer unique). The *causal order* is the
    transitive closure of both. The history is causally consistent when none of four bad
    patterns occurs: a cycle in the causal order (CyclicCO); a read of a value nobody wrote
    (ThinAirRead); a read that returned the initial value ``None`` although a write to its key
    precedes it causally (WriteCOInitRead); a read of ``w``'s value although another write to the
    key lies causally between ``w`` and the read (WriteCORead). For such *differentiated*
    histories the bad patterns characterise causal consistency exactly ([4]_, Lemma 3).

    Real time is ignored. Failed operations are ignored; a pending write counts only if some
    read returned its value; pending reads are ignored.

    Returns
    -------
    ConsistencyVerdict
        When violated, ``window`` holds the evidence: the causal chain, in order.

    Raises
    ------
    ValueError
        For operations other than read/write, two writes of one value to one key, or a write of None.

    Examples
    --------
    >>> h, _ = example_histories()["effect before cause"]
    >>> v = check_causal(h)
    >>> v.ok, v.window
    (False, (0, 1, 2, 3))
    """
    h = _prepare(history, KeyValue())
    writer = {}
    for op in h.ops:
        if op.kind == "write":
            if op.value is None:
                raise ValueError(f"operation {op.id}: the causal check reserves None for the initial value")
            if (op.key, op.value) in writer:
                raise ValueError(f"operation {op.id}: value {op.value!r} written twice to key {op.key!r}; "
                                 "the causal check needs unique written values per key")
            writer[(op.key, op.value)] = op
    read_values = {(op.key, op.result) for op in h.ops if op.kind == "read"}
    ops = [op for op in h.ops if not (op.kind == "write" and op.pending and (op.key, op.value) not in read_values)]
    g = nx.DiGraph()
    g.add_nodes_from(op.id for op in ops)
    for lane in _by_client(ops):
        nx.add_path(g, [op.id for op in lane])
    for op in ops:
        if op.kind == "read" and op.result is not None:
            w = writer.get((op.key, op.result))
            if w is None:
                return ConsistencyVerdict(False, "causal consistency",
                                          f"ThinAirRead: {op_label(op)} (op {op.id}) returned a value nobody wrote",
                                          window=(op.id,))
            g.add_edge(w.id, op.id)
    try:
        cycle = nx.find_cycle(g)
        ids = tuple(u for u, _ in cycle)
        return ConsistencyVerdict(False, "causal consistency",
                                  f"CyclicCO: operations {list(ids)} precede each other causally", window=ids)
    except nx.NetworkXNoCycle:
        pass
    byid = {op.id: op for op in ops}
    for r in ops:
        if r.kind != "read":
            continue
        past = nx.ancestors(g, r.id)
        w = writer.get((r.key, r.result)) if r.result is not None else None
        for wid in sorted(past):
            other = byid[wid]
            if other.kind != "write" or other.key != r.key or other is w:
                continue
            if w is None:
                chain = tuple(nx.shortest_path(g, wid, r.id))
                return ConsistencyVerdict(False, "causal consistency",
                                          f"WriteCOInitRead: {op_label(r)} (op {r.id}) returned the initial value, "
                                          f"but {op_label(other)} (op {wid}) precedes it causally", window=chain)
            if wid in nx.descendants(g, w.id):
                chain = tuple(nx.shortest_path(g, w.id, wid)) + tuple(nx.shortest_path(g, wid, r.id))[1:]
                return ConsistencyVerdict(False, "causal consistency",
                                          f"WriteCORead: {op_label(r)} (op {r.id}) returned op {w.id}'s value, but "
                                          f"{op_label(other)} (op {wid}) overwrote it in the read's causal past",
                                          window=chain)
    return ConsistencyVerdict(True, "causal consistency",
                              f"{len(ops)} operations: causal order acyclic, no read misses a write in its causal past")


def _o(i, client, kind, key, value, t0, t1, result=None):
    return Operation(i, client, kind, key, value, invoke=float(t0), complete=float(t1), result=result)


EXAMPLE_CLAIMS = {
    "linearizable": {"linearizable": True, "sequential": True, "causal": True},
    "stale read": {"linearizable": False, "sequential": True, "causal": True},
    "opposite orders": {"linearizable": False, "sequential": False, "causal": True},
    "effect before cause": {"linearizable": False, "sequential": False, "causal": False},
}


def example_histories() -> dict:
    """Hand-made histories that separate linearizable, sequential and causal consistency.

    Returns
    -------
    dict
        name -> ``(History, description)``; :data:`EXAMPLE_CLAIMS` holds, per name, which of the
        three models the history satisfies (the checkers are tested against it).

    Examples
    --------
    >>> sorted(example_histories())
    ['effect before cause', 'linearizable', 'opposite orders', 'stale read']
    """
    return {
        "linearizable": (History([
            _o(0, "A", "write", "x", 1, 0, 2), _o(1, "B", "read", "x", None, 1, 3, result=1),
            _o(2, "C", "read", "x", None, 0.5, 1.5, result=None), _o(3, "A", "write", "x", 2, 3, 5),
            _o(4, "B", "read", "x", None, 4, 6, result=2)]),
            "Reads overlap the writes they see: C's read may take effect before A's write, B's after."),
        "stale read": (History([
            _o(0, "A", "write", "x", 1, 0, 1), _o(1, "B", "read", "x", None, 2, 3, result=None)]),
            "B reads the initial value after A's write has completed: fine if B's read is ordered first "
            "(sequential), wrong in real time (not linearizable)."),
        "opposite orders": (History([
            _o(0, "A", "write", "x", 1, 0, 1), _o(1, "B", "write", "x", 2, 0, 1),
            _o(2, "C", "read", "x", None, 2, 3, result=1), _o(3, "C", "read", "x", None, 4, 5, result=2),
            _o(4, "D", "read", "x", None, 2, 3, result=2), _o(5, "D", "read", "x", None, 4, 5, result=1)]),
            "Two concurrent writes, seen in opposite orders by C and D: causal (the writes are concurrent), "
            "but no single order explains both clients (not sequential)."),
        "effect before cause": (History([
            _o(0, "A", "write", "x", 1, 0, 1), _o(1, "A", "write", "y", 2, 2, 3),
            _o(2, "B", "read", "y", None, 4, 5, result=2), _o(3, "B", "read", "x", None, 6, 7, result=None)]),
            "B sees A's second write (y=2) and then misses A's first (x=1), which causally precedes it."),
    }


def linearizable_kv_history(n_ops: int, *, clients: int = 8, keys: int = 5, seed=None, read_share: float = 0.5,
                            pending: float = 0.0, mean_latency: float = 1.0, mean_gap: float = 0.5) -> History:
    """A history from a simulated linearizable key-value store (each operation takes effect at a
    random instant inside its interval); writes carry unique values 1, 2, 3...

    Each client issues operations one after another, with exponential latencies and think times,
    on keys ``"k0"``, ``"k1"``...; operations of different clients overlap at random. With
    ``pending > 0`` that share of operations end with an unknown outcome (``"info"``): a pending
    write takes effect or not (a coin flip), and the client continues under a new name, as a
    Jepsen process does after a timeout.

    Examples
    --------
    >>> h = linearizable_kv_history(50, clients=3, keys=2, seed=1)
    >>> len(h), len(h.clients())
    (50, 3)
    """
    for name, v in (("n_ops", n_ops), ("clients", clients), ("keys", keys)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    rng = np.random.default_rng(seed)
    raw = []
    for c in range(clients):
        t, name, gen = float(rng.uniform(0, mean_gap)), f"c{c}", 0
        for _ in range(n_ops // clients + (c < n_ops % clients)):
            dur = float(rng.exponential(mean_latency)) + 0.05 * mean_latency
            lp = t + float(rng.uniform(0.0, 1.0)) * dur
            lost = bool(rng.random() < pending)
            raw.append([lp, name, round(t, 4), round(t + dur, 4), f"k{int(rng.integers(keys))}",
                        bool(rng.random() >= read_share), lost, lost and bool(rng.random() < 0.5)])
            if lost:
                gen += 1
                name = f"c{c}.{gen}"
            t += dur + float(rng.exponential(mean_gap))
    raw.sort(key=lambda r: r[0])
    store, ops, written = {}, [], 0
    for i, (_, name, t0, t1, key, is_write, lost, took_effect) in enumerate(raw):
        t1 = max(t1, t0)
        if is_write:
            written += 1
            if not lost or took_effect:
                store[key] = written
            ops.append(Operation(i, name, "write", key, written, invoke=t0, complete=None if lost else t1,
                                 status="info" if lost else "ok"))
        else:
            ops.append(Operation(i, name, "read", key, None, invoke=t0, complete=None if lost else t1,
                                 result=None if lost else store.get(key), status="info" if lost else "ok"))
    return History(ops)


def with_stale_read(history: History, seed=None) -> History:
    """``history`` with one read changed to return a value its key held earlier: a stale read.

    Picks, at random, a completed read and two writes to its key, the older completing before the
    newer is invoked and the newer completing before the read is invoked, and makes the read
    return the older value: in every linearization the newer write lies between them.

    Raises
    ------
    ValueError
        If no read qualifies.

    Examples
    --------
    >>> h = linearizable_kv_history(200, clients=4, keys=2, seed=3)
    >>> from dsysedu.check.linearizability import check_linearizable
    >>> check_linearizable(with_stale_read(h, seed=3), "kv").ok
    False
    """
    rng = np.random.default_rng(seed)
    ops = list(history.ops)
    writes = sorted((op for op in ops if op.kind == "write" and op.status == "ok"), key=lambda o: o.complete)
    candidates = []
    for i, r in enumerate(ops):
        if r.kind != "read" or r.status != "ok":
            continue
        before = [w for w in writes if w.key == r.key and w.complete < r.invoke]
        if not before:
            continue
        older = [w for w in before if w.complete < before[-1].invoke and w.value != r.result]
        if older:  # older -> before[-1] -> r in real time: older's value was surely overwritten
            candidates.append((i, older[-1].value))
    if not candidates:
        raise ValueError("no completed read follows two writes to its key that are ordered in real time; "
                         "use a longer history")
    i, old = candidates[int(rng.integers(len(candidates)))]
    ops[i] = replace(ops[i], result=old)
    return History(ops)
