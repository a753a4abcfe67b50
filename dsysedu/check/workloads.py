"""Generated key-value histories with appends, in the shape of a Jepsen or Porcupine test.

:func:`append_history` simulates a linearizable store: every operation takes effect at a random
instant inside its interval, reads return the key's whole string. Appends carry unique values
(``"a0,"``, ``"a1,"``...), so a read shows which appends took effect and in which order.
Faults are then planted: :func:`with_stale_append_read` (a read returns an older string though a
later append finished before it began) and :func:`with_lost_append` (an acknowledged append
vanishes from every later read). :func:`many_client_history` assembles the benchmark history of
:mod:`benchmarks/consistency.py`: many clients, some keys broken, some keys *explosive* (a burst of
appends that all overlap, which the search can only order by trying).

For the isolation checker (:mod:`dsysedu.check.isolation`), :func:`snapshot_history` runs
list-append transactions that read a snapshot and install their appends when they commit, at
random times (so they may lose updates and skew, as snapshot isolation without its first-committer
rule does), and :func:`isolation_examples` gives the classic anomalies, one small history each.

Examples
--------
>>> from dsysedu.check.linearizability import check_linearizable
>>> h = append_history(200, clients=5, keys=3, seed=2)
>>> check_linearizable(h, "kv-append").ok, check_linearizable(with_lost_append(h, seed=2), "kv-append").ok
(True, False)
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from dsysedu.sim.validate import positive_int, probability

from .history import History, Operation

__all__ = ["append_history", "with_stale_append_read", "with_lost_append", "many_client_history", "snapshot_history",
           "isolation_examples"]


def _run(raw) -> list:
    """Operations from ``raw`` rows ``(effect time, client, invoke, complete, key, kind, value)``,
    each taking effect at its effect time on a store of strings; ids in effect order."""
    raw = sorted(raw, key=lambda r: r[0])
    store, ops = {}, []
    for i, (_, client, t0, t1, key, kind, value) in enumerate(raw):
        if kind == "append":
            store[key] = store.get(key, "") + value
            ops.append(Operation(i, client, "append", key, value, invoke=t0, complete=t1))
        elif kind == "write":
            store[key] = value
            ops.append(Operation(i, client, "write", key, value, invoke=t0, complete=t1))
        else:
            ops.append(Operation(i, client, "read", key, None, invoke=t0, complete=t1, result=store.get(key, "")))
    return ops


def _client_rows(rng, clients, n_ops, keys, read_share, write_share, mean_latency, mean_gap, first=0):
    rows, made = [], first
    for c in range(clients):
        t = float(rng.uniform(0, mean_gap))
        for _ in range(n_ops // clients + (c < n_ops % clients)):
            dur = float(rng.exponential(mean_latency)) + 0.05 * mean_latency
            r = float(rng.random())
            kind = "read" if r < read_share else ("write" if r < read_share + write_share else "append")
            value = f"w{made}," if kind == "write" else (f"a{made}," if kind == "append" else None)
            made += 1
            key = keys[int(rng.integers(len(keys)))]
            rows.append((t + float(rng.uniform(0.0, 1.0)) * dur, f"c{c}", round(t, 4), round(t + dur, 4), key,
                         kind, value))
            t += dur + float(rng.exponential(mean_gap))
    return rows


def append_history(n_ops: int, *, clients: int = 8, keys: int = 5, seed=None, read_share: float = 0.5,
                   write_share: float = 0.1, mean_latency: float = 1.0, mean_gap: float = 0.5) -> History:
    """A linearizable history of get (``read``), put (``write``) and ``append`` on keys ``"k0"``, ``"k1"``...

    Each client issues operations one after another with exponential latencies and think times;
    ``read_share`` of them are reads, ``write_share`` puts, the rest appends.

    Examples
    --------
    >>> h = append_history(40, clients=4, keys=2, seed=1)
    >>> len(h), sorted({op.kind for op in h})
    (40, ['append', 'read', 'write'])
    """
    for name, v in (("n_ops", n_ops), ("clients", clients), ("keys", keys)):
        positive_int(name, v)
    probability("read_share", read_share)
    probability("write_share", write_share)
    if read_share + write_share > 1.0:
        raise ValueError(f"read_share + write_share must be at most 1, got {read_share + write_share}")
    rng = np.random.default_rng(seed)
    names = [f"k{k}" for k in range(keys)]
    return History(_run(_client_rows(rng, clients, n_ops, names, read_share, write_share, mean_latency,
                                     mean_gap)))


def _reads_after(ops, key, t):
    return [i for i, o in enumerate(ops) if o.kind == "read" and o.key == key and o.status == "ok" and o.invoke > t]


def with_stale_append_read(history: History, key=None, seed=None) -> History:
    """``history`` with one read made stale: it returns the string its key held before an append
    that completed before the read was invoked (and that no put could have overwritten).

    Raises
    ------
    ValueError
        If no read qualifies (on ``key``, when given).
    """
    rng = np.random.default_rng(seed)
    ops = list(history.ops)
    candidates = []
    for i, r in enumerate(ops):
        if r.kind != "read" or r.status != "ok" or (key is not None and r.key != key) or not r.result:
            continue
        # the append the read saw last, done before the read began, and no put that could have
        # come after it (a put may erase an append legitimately)
        done = [o for o in ops if o.key == r.key and o.kind == "append" and o.status == "ok" and o.complete < r.invoke
                and r.result.endswith(o.value)
                and not any(w.kind == "write" and w.key == r.key and w.status != "fail" and w.end > o.invoke
                            and w.invoke < r.complete for w in ops)]
        if done:
            candidates.append((i, r.result[:-len(done[-1].value)]))
    if not candidates:
        raise ValueError(f"no read qualifies for a stale read{'' if key is None else f' on key {key!r}'}; "
                         f"use a longer history")
    i, old = candidates[int(rng.integers(len(candidates)))]
    ops[i] = replace(ops[i], result=old)
    return History(ops)


def with_lost_append(history: History, key=None, seed=None) -> History:
    """``history`` where one acknowledged append is missing from every read of its key (a lost write).

    Raises
    ------
    ValueError
        If no append qualifies: it must be followed by a read that began after it completed, and
        no put on its key may end after it began (a put could have erased it legitimately).
    """
    rng = np.random.default_rng(seed)
    ops = list(history.ops)

    def qualifies(a):
        # read after it completed, and no put that could come after it (a put may erase an append)
        return (a.kind == "append" and a.status == "ok" and (key is None or a.key == key)
                and _reads_after(ops, a.key, a.complete)
                and not any(w.kind == "write" and w.key == a.key and w.status != "fail" and w.end > a.invoke
                            for w in ops))
    candidates = [i for i, o in enumerate(ops) if qualifies(o)]
    if not candidates:
        raise ValueError(f"no acknowledged append is read after it completed with no put after it"
                         f"{'' if key is None else f' on key {key!r}'}")
    lost = ops[candidates[int(rng.integers(len(candidates)))]]
    for i, o in enumerate(ops):
        if o.kind == "read" and o.key == lost.key and o.status == "ok" and o.result and lost.value in o.result:
            ops[i] = replace(o, result=o.result.replace(lost.value, ""))
    return History(ops)


def many_client_history(*, clients: int = 50, keys: int = 10, ops_per_client: int = 40, stale_keys=("k2",),
                        lost_keys=("k5",), explosive_keys=("k0", "k8"), burst: int = 14, seed=None) -> History:
    """The benchmark history: ``clients`` clients doing get/put/append on ``keys`` keys, with a stale
    read planted on each of ``stale_keys``, a lost append on each of ``lost_keys``, and on each of
    ``explosive_keys`` a burst of ``burst`` appends by distinct clients that all overlap, read back
    only after the burst (linearizable, but the search must find the one order the reads saw).

    Examples
    --------
    >>> h = many_client_history(clients=10, ops_per_client=10, burst=4, seed=1)
    >>> len(h.clients()) >= 10
    True
    """
    for name, v in (("clients", clients), ("keys", keys), ("ops_per_client", ops_per_client), ("burst", burst)):
        positive_int(name, v)
    if burst > 99:
        raise ValueError(f"burst must be at most 99 (the reads after it start 6 s in), got {burst}")
    names = [f"k{k}" for k in range(keys)]
    for k in (*stale_keys, *lost_keys, *explosive_keys):
        if k not in names:
            raise ValueError(f"key {k!r} is not one of the history's keys {names}")
    rng = np.random.default_rng(seed)
    calm = [k for k in names if k not in explosive_keys]
    rows = _client_rows(rng, clients, clients * ops_per_client, calm, 0.5, 0.1, 1.0, 0.5)
    end = max(r[3] for r in rows)
    made = len(rows)
    for j, key in enumerate(explosive_keys):
        t0 = end * (j + 1) / (len(explosive_keys) + 1)
        for b in range(burst):                       # every append overlaps every other
            start, stop = t0 + 0.01 * b, t0 + 5.0 + 0.01 * b
            effect = float(rng.uniform(t0 + 0.01 * burst, t0 + 5.0))   # inside every burst interval
            rows.append((effect, f"burst{j}.{b}", round(start, 4), round(stop, 4), key, "append", f"b{made},"))
            made += 1
        for r in range(3):                           # reads after the burst pin its order down
            start = t0 + 6.0 + r
            rows.append((start + 0.5, f"reader{j}.{r}", round(start, 4), round(start + 1.0, 4), key, "read", None))
    h = History(_run(rows))
    for k in stale_keys:
        h = with_stale_append_read(h, key=k, seed=rng)
    for k in lost_keys:
        h = with_lost_append(h, key=k, seed=rng)
    return h


def snapshot_history(n: int, *, keys=("x", "y"), seed=None, abort: float = 0.15, leak: float = 0.5,
                     serial: bool = False) -> list:
    """``n`` list-append transactions that read a snapshot taken when they start and install their
    appends when they commit, then one transaction that reads every key.

    Starts and commits are random, so transactions overlap: two that read the same snapshot and
    both append lose no value (appends never overwrite) but create a G-single, and a pair that
    each read what the other writes creates a G2. ``abort`` of them abort; ``leak`` of those
    still install their appends (a dirty write others can read: G1a). With ``serial=True`` each
    transaction runs alone, start to commit, and nothing leaks: the history is serializable.

    Examples
    --------
    >>> from dsysedu.check.isolation import check_isolation
    >>> check_isolation(snapshot_history(8, seed=1, serial=True)).ok
    True
    """
    from .isolation import Transaction
    positive_int("n", n)
    probability("abort", abort)
    probability("leak", leak)
    keys = tuple(keys)
    if not keys:
        raise ValueError("keys must name at least one key")
    rng = np.random.default_rng(seed)
    plans, t = [], 0.0
    for i in range(n):
        start = t if serial else float(rng.uniform(0, 10))
        commit = start + float(rng.uniform(0.1, 4))
        t = commit + 0.1
        ops = [(("r", "append")[int(rng.integers(2))], keys[int(rng.integers(len(keys)))])
               for _ in range(int(rng.integers(1, 4)))]
        status = "fail" if rng.random() < abort else "ok"
        leaks = status == "fail" and not serial and bool(rng.random() < leak)
        plans.append((start, commit, i, ops, status, leaks))
    events = sorted([(p[0], 0, p[2]) for p in plans] + [(p[1], 1, p[2]) for p in plans])
    state, snap, txns = {}, {}, []
    by_id = {p[2]: p for p in plans}
    for _, kind, i in events:
        if kind == 0:
            snap[i] = dict(state)
            continue
        start, commit, _, ops, status, leaks = by_id[i]
        view, done = dict(snap[i]), []
        for j, (k_op, key) in enumerate(ops):
            if k_op == "r":
                done.append(("r", key, list(view.get(key, ()))))
            else:
                view[key] = view.get(key, ()) + (f"{i}.{j}",)
                done.append(("append", key, f"{i}.{j}"))
        if status == "ok" or leaks:
            for op in done:
                if op[0] == "append":
                    state[op[1]] = state.get(op[1], ()) + (op[2],)
        txns.append(Transaction(i, f"p{i}", done, status, round(start, 4), round(commit, 4)))
    end = max(p[1] for p in plans) + 1.0
    txns.append(Transaction(n, "reader", [("r", k, list(state.get(k, ()))) for k in keys], "ok", end, end + 1.0))
    return txns


def isolation_examples() -> dict:
    """The classic anomalies, one small list-append history each: name -> (transactions, story).

    Examples
    --------
    >>> from dsysedu.check.isolation import check_isolation
    >>> {name: sorted(check_isolation(h).anomalies) for name, (h, _) in isolation_examples().items()}["write skew"]
    ['G2']
    """
    from .isolation import Transaction as T
    return {
        "lost update": ([T(1, "a", [("r", "x", []), ("append", "x", 1)]), T(2, "b", [("r", "x", []), ("append", "x", 2)]),
                         T(3, "c", [("r", "x", [1, 2])])],
                        "A and B both read x = [] and both append: each acted on a state the other changed."),
        "write skew": ([T(1, "a", [("r", "x", []), ("append", "y", 1)]), T(2, "b", [("r", "y", []), ("append", "x", 2)]),
                        T(3, "c", [("r", "x", [2]), ("r", "y", [1])])],
                       "A reads x and writes y, B reads y and writes x; each missed the other's write."),
        "dirty read": ([T(1, "a", [("append", "x", 1)], status="fail"), T(2, "b", [("r", "x", [1])])],
                       "B read a value that A appended and then aborted."),
        "intermediate read": ([T(1, "a", [("append", "x", 1), ("append", "x", 2)]), T(2, "b", [("r", "x", [1])])],
                              "B read x in the middle of A: after A's first append, before its second."),
        "circular flow": ([T(1, "a", [("append", "x", 1), ("r", "y", [2])]),
                           T(2, "b", [("append", "y", 2), ("r", "x", [1])])],
                          "Each read the other's write: information flowed in a circle."),
    }
