"""CAP on a replicated register: the scenario and the measures.

:func:`cap_scenario` puts replicas 0..R-1 and clients R..R+C-1 on one network, each client
next to a *home* replica (on its side of the partition), partitions the replicas at
``partition_at`` and heals at ``heal_at``. ``mode="CP"`` runs
:class:`~dsysedu.protocols.replication.register.AbdReplica` (ABD majority quorums), ``mode="AP"`` runs
:class:`~dsysedu.protocols.replication.register.LwwReplica` (answer locally, last writer wins,
anti-entropy).

:func:`cap_measures` reads the trace back as the three letters of CAP, in the precise sense of
Gilbert and Lynch [1]_: *availability* (every request to a live node gets an answer) as the
share of operations ``answered``; *consistency* (an atomic, i.e. linearizable, register) as the
linearizability verdict, with two symptoms a learner can count, ``stale_reads`` and
``lost_writes``; the partition is what the scenario does.

References
----------
.. [1] S. Gilbert, N. Lynch, "Brewer's conjecture and the feasibility of consistent, available,
   partition-tolerant web services", ACM SIGACT News 33(2), 2002.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from dsysedu.check.history import History
from dsysedu.check.linearizability import check_linearizable
from dsysedu.sim.validate import number, positive_int, probability
from dsysedu.sim.faults import Fault, Partition
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.scenario import Scenario
from .register import LwwReplica, AbdReplica, SiblingReplica
from .register_workload import Client

__all__ = ["MODES", "MERGES", "KEYS", "cap_scenario", "default_partition", "client_homes", "CapMeasures", "cap_measures",
           "check_history", "final_values", "replica_ids",
           "partition_groups", "answered_by_side", "stale_read_ops", "lost_write_ops"]

MODES = ("CP", "AP")
MERGES = ("lww", "siblings")
KEYS = ("x", "y", "z")


def default_partition(replicas: int = 5) -> list[list[int]]:
    """A minority and a majority: ``[[0, .., m-1], [m, .., R-1]]`` with ``m = (R - 1) // 2``.

    Examples
    --------
    >>> default_partition(5)
    [[0, 1], [2, 3, 4]]
    """
    positive_int("replicas", replicas)
    if replicas < 2:
        raise ValueError(f"a partition needs at least 2 replicas, got {replicas}")
    m = max(1, (replicas - 1) // 2)
    return [list(range(m)), list(range(m, replicas))]


def _check_groups(partition, replicas: int) -> list[list[int]]:
    if isinstance(partition, (str, bytes)) or not hasattr(partition, "__iter__"):
        raise TypeError(f"partition must be None or a list of replica groups such as [[0, 1], [2, 3, 4]], "
                        f"got {partition!r}")
    groups = []
    for g in partition:
        if isinstance(g, (str, bytes)) or not hasattr(g, "__iter__"):
            raise TypeError(f"partition must be a list of replica groups (lists of ids), got group {g!r}")
        groups.append(sorted(g))
    allowed = list(range(replicas))
    if len(groups) < 2 or any(not g for g in groups):
        raise ValueError(f"partition needs at least 2 non-empty groups of the replicas {allowed}, got {partition!r}")
    seen: list = [n for g in groups for n in g]
    unknown = sorted({n for n in seen if n not in allowed}, key=repr)
    if unknown:
        raise ValueError(f"partition groups hold replica ids only ({allowed}; clients follow their replica), "
                         f"got unknown {unknown}")
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise ValueError(f"partition groups must not overlap: replica(s) {twice} are in more than one group")
    missing = sorted(set(allowed) - set(seen))
    if missing:
        raise ValueError(f"partition groups must cover every replica {allowed}; missing {missing}")
    return groups


def client_homes(replicas: int, clients: int, groups=None) -> dict:
    """Client id -> home replica: clients take the groups in turn, so every side has clients.

    Examples
    --------
    >>> client_homes(5, 4, [[0, 1], [2, 3, 4]])
    {5: 0, 6: 2, 7: 1, 8: 3}
    """
    groups = [list(range(replicas))] if groups is None else groups
    homes = {}
    for j in range(clients):
        g = groups[j % len(groups)]
        homes[replicas + j] = g[(j // len(groups)) % len(g)]
    return homes


def cap_scenario(mode: str = "CP", replicas: int = 5, clients: int = 4, partition="default",
                 partition_at: float = 0.5, heal_at: float | None = 2.0, until: float = 3.0, keys: int = 1,
                 write_share: float = 0.5, think: float = 0.1, timeout: float = 0.3, link: LinkModel | None = None,
                 faults=(), quorum: int | None = None, write_back: bool = True, sync_interval: float = 0.2,
                 eager: bool = True, merge: str = "lww", clock_offset=0.0) -> Scenario:
    """A replicated register under a partition, in CP or AP mode.

    The topology is a complete graph of the replicas, plus one link from each client to its
    home replica (clients talk only to it).

    Parameters
    ----------
    mode : {"CP", "AP"}
    replicas, clients : int
        Replicas get ids ``0..replicas-1``, clients the ids after them.
    partition : "default", None or list of lists of replica ids
        The sides; each client is on the side of its home replica (:func:`client_homes`).
        ``"default"`` is :func:`default_partition` (a minority and a majority), None no partition.
    partition_at, heal_at : float
        When the partition starts and ends (``heal_at=None``: it never heals).
    until : float
        Simulated seconds; clients stop invoking ``timeout + 0.2`` s before the end.
    keys : int
        How many keys (1 to 3: ``"x"``, ``"y"``, ``"z"``).
    write_share, think, timeout
        Client workload (see :class:`~dsysedu.protocols.replication.register_workload.Client`); ``timeout`` is the
        CP coordinator's, the client waits 0.15 s longer.
    link : LinkModel, optional
        Default: latency uniform in 5..15 ms, no loss, FIFO.
    faults : list of Fault
        More faults (crashes of replicas, say).
    quorum, write_back
        CP only: broken variants (see :class:`~dsysedu.protocols.replication.register.AbdReplica`).
    sync_interval, eager
        AP only: anti-entropy period and eager push of writes.
    merge : {"lww", "siblings"}
        AP only: last writer wins (:class:`~dsysedu.protocols.replication.register.LwwReplica`), or keep
        concurrent versions as siblings (:class:`~dsysedu.protocols.replication.register.SiblingReplica`).
    clock_offset : float or dict node -> float
        Physical clock offsets (AP tags writes with them).

    Raises
    ------
    ValueError, TypeError
        Naming the parameter and what is allowed.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> m = cap_measures(run(cap_scenario("AP"), seed=7))
    >>> m.answered
    1.0
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if merge not in MERGES:
        raise ValueError(f"merge must be one of {MERGES}, got {merge!r}")
    positive_int("replicas", replicas, low=1, high=50)
    positive_int("clients", clients, low=1, high=50)
    if isinstance(keys, bool) or not isinstance(keys, int) or not 1 <= keys <= len(KEYS):
        raise ValueError(f"keys must be an int in 1..{len(KEYS)}, got {keys!r}")
    number("until", until, low=0.0, low_open=True)
    probability("write_share", write_share)
    number("timeout", timeout, low=0.0, low_open=True)
    if link is None:
        link = LinkModel(latency=Uniform(0.005, 0.015))
    if not isinstance(link, LinkModel):
        raise TypeError(f"link must be a LinkModel, got {link!r}")
    if isinstance(partition, str):
        if partition != "default":
            raise ValueError(f"partition must be 'default', None or a list of replica groups, got {partition!r}")
        partition = default_partition(replicas) if replicas >= 2 else None
    groups = None if partition is None else _check_groups(partition, replicas)
    all_faults = []
    if groups is not None:
        number("partition_at", partition_at, low=0.0, high=until)
        if heal_at is not None:
            number("heal_at", heal_at, low=0.0, high=until)
            if heal_at <= partition_at:
                raise ValueError(f"heal_at must be after partition_at, got partition_at={partition_at}, "
                                 f"heal_at={heal_at}")
    homes = client_homes(replicas, clients, groups)
    if groups is not None:
        sides = [list(g) + [c for c, h in homes.items() if h in g] for g in groups]
        all_faults.append(Partition(sides, at=partition_at, until=heal_at))
    for f in faults or ():
        if not isinstance(f, Fault):
            raise TypeError(f"faults must be Faults (Crash, ...), got {f!r}")
        all_faults.append(f)
    reps = tuple(range(replicas))
    client_timeout = timeout + 0.15
    stop_at = until - client_timeout - 0.05
    replica = AbdReplica if mode == "CP" else (LwwReplica if merge == "lww" else SiblingReplica)
    protocol = {r: replica for r in reps}
    protocol.update({c: Client for c in homes})
    if mode == "CP":
        rparams = {"replicas": reps, "quorum": quorum, "timeout": timeout, "write_back": write_back}
    else:
        rparams = {"replicas": reps, "sync_interval": sync_interval, "eager": eager}
    node_params = {r: rparams for r in reps}
    node_params.update({c: {"replica": h, "keys": KEYS[:keys], "write_share": write_share, "think": think,
                            "timeout": client_timeout, "stop_at": stop_at} for c, h in homes.items()})
    graph = nx.complete_graph(reps)  # replicas talk to each other; a client only to its home replica
    graph.add_edges_from(homes.items())
    return Scenario(protocol, nodes=graph, node_params=node_params, link=link,
                    faults=tuple(all_faults), clock_offset=clock_offset, until=until, max_events=2_000_000,
                    name=f"CAP register {mode}")


# -- measures ----------------------------------------------------------------------------

def final_values(trace) -> dict:
    """Replica -> {key: value} at the end of the run, from the ``holds`` observations."""
    out: dict = {}
    for r in trace.rows:
        if r[1] == "observe" and r[5] == "holds":
            key, value = r[6]
            out.setdefault(r[2], {})[key] = value
    return out


def replica_ids(trace) -> list:
    """The replicas of a run: the nodes that never invoke an operation but say which value they hold."""
    clients = {r[2] for r in trace.rows if r[1] == "observe" and r[5] == "outcome"}
    out = {r[2] for r in trace.rows if r[1] == "observe" and r[5] == "state" and r[2] not in clients}
    return sorted(out)


def partition_groups(trace):
    """The replica groups of the (first) partition of a run, or None: clients left out."""
    replicas = set(replica_ids(trace))
    for r in trace.rows:
        if r[1] == "partition":
            return [[n for n in g if n in replicas] for g in r[5]]
    return None


def answered_by_side(trace, start: float = 0.0, end: float = math.inf) -> list:
    """Share of operations answered ``"ok"`` on each side of the partition, for the operations
    invoked in ``[start, end)``: one number per group of :func:`partition_groups` (NaN for a side
    with no operation then). A client is on the side of its home replica.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> answered_by_side(run(cap_scenario("CP"), seed=7), 0.5, 1.6)
    [0.0, 1.0]
    """
    replicas = replica_ids(trace)
    groups = partition_groups(trace) or [replicas]
    side = {}
    for i, g in enumerate(groups):
        for r in g:
            for c in trace.graph.neighbors(r):
                if c not in replicas:  # a client: linked to its home replica only
                    side[c] = i
    counts = [[0, 0] for _ in groups]
    for op in History.from_trace(trace):
        if start <= op.invoke < end:
            counts[side[op.client]][0] += op.status == "ok"
            counts[side[op.client]][1] += 1
    return [ok / n if n else float("nan") for ok, n in counts]


def _writes_by_value(history) -> dict:
    return {op.value: op for op in history if op.kind == "write"}


def stale_read_ops(history) -> list:
    """The ok reads that returned a value already superseded before they began.

    A read ``r`` of key k is *stale* when some ok write ``w`` of k completed before ``r`` was
    invoked, and the write of the value ``r`` returned had completed before ``w`` was invoked
    (the initial value counts as written before time 0). Then ``w`` replaced that value, in
    real time, before ``r`` started: no linearizable register may return it, so a stale read
    is always a linearizability violation (the converse does not hold). A read that returned
    siblings (a tuple of values) is stale when even the newest of them is.
    """
    writes = _writes_by_value(history)
    ok_writes = [w for w in history if w.kind == "write" and w.status == "ok"]

    def written(value) -> float:
        if value is None:
            return -math.inf
        src = writes.get(value)
        return src.end if src is not None else math.inf

    out = []
    for r in history:
        if r.kind != "read" or r.status != "ok":
            continue
        values = r.result if isinstance(r.result, tuple) else (r.result,)
        done = max(written(v) for v in values)
        if any(w.key == r.key and w.complete < r.invoke and done < w.invoke for w in ok_writes):
            out.append(r)
    return out


def lost_write_ops(history, trace) -> list:
    """The ok writes whose value a replica discarded in an LWW merge (see the module docstring of
    :mod:`dsysedu.protocols.replication.register`): acknowledged, then thrown away in favour of a version that
    had not seen them."""
    discarded = {tuple(r[6]) for r in trace.rows if r[1] == "observe" and r[5] == "discarded"}
    return [w for w in history if w.kind == "write" and w.status == "ok" and (w.key, w.value) in discarded]


def check_history(history, max_steps: int = 2_000_000):
    """The linearizability verdict of a register history with keys (model ``"kv"``).

    Uses :func:`dsysedu.check.linearizability.check_linearizable`.
    """
    return check_linearizable(history, model="kv", max_steps=max_steps)


def _verdict_or_none(history, max_steps):
    """The verdict, or None when the search ran out of steps before it could decide."""
    try:
        return check_history(history, max_steps=max_steps)
    except ValueError as exc:
        if type(exc).__name__ == "SearchBudgetExceeded":
            return None
        raise


@dataclass(frozen=True)
class CapMeasures:
    """What one run says about C and A (see :func:`cap_measures`)."""
    mode: str
    answered: float      # ok operations / invoked operations
    stale_reads: float   # stale ok reads / ok reads
    lost_writes: float   # lost ok writes / ok writes
    linearizable: bool | None  # None: the checker ran out of steps (``max_steps``) undecided
    operations: int
    ok: int
    failed: int
    unknown: int
    stale: int
    lost: int
    converged: bool      # all replicas end with the same value of every key
    verdict: object = None

    def as_dict(self) -> dict:
        """The four headline numbers, as the dashboards show them."""
        return {"answered": self.answered, "stale reads": self.stale_reads, "lost writes": self.lost_writes,
                "linearizable": self.linearizable}


def cap_measures(trace, *, max_steps: int = 2_000_000) -> CapMeasures:
    """Availability and consistency of one run of :func:`cap_scenario`.

    * ``answered``: share of invoked operations that completed ``"ok"`` (1.0 is available in
      Gilbert and Lynch's sense for this workload);
    * ``stale_reads``: share of ok reads that are stale (:func:`stale_read_ops`);
    * ``lost_writes``: share of ok writes that were lost (:func:`lost_write_ops`);
    * ``linearizable``: the verdict of the linearizability checker on the history (with every
      key checked on its own).

    Shares of nothing are 0.0. ``converged`` says whether every replica ends holding the same
    value of every key.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> m = cap_measures(run(cap_scenario("CP"), seed=7))
    >>> m.answered < 1, m.stale_reads, m.linearizable
    (True, 0.0, True)
    """
    history = History.from_trace(trace)
    ops = len(history)
    ok = [op for op in history if op.status == "ok"]
    reads = [op for op in ok if op.kind == "read"]
    writes = [op for op in ok if op.kind == "write"]
    stale = stale_read_ops(history)
    lost = lost_write_ops(history, trace)
    verdict = _verdict_or_none(history, max_steps)
    finals = final_values(trace)
    replicas = replica_ids(trace)
    keys = {k for v in finals.values() for k in v}
    converged = all(len({finals.get(r, {}).get(k) for r in replicas}) <= 1 for k in keys)
    return CapMeasures(mode=_mode_of(trace), answered=len(ok) / ops if ops else 0.0,
                       stale_reads=len(stale) / len(reads) if reads else 0.0,
                       lost_writes=len(lost) / len(writes) if writes else 0.0,
                       linearizable=None if verdict is None else bool(verdict), operations=ops, ok=len(ok),
                       failed=sum(op.status == "fail" for op in history),
                       unknown=sum(op.status == "info" for op in history), stale=len(stale), lost=len(lost),
                       converged=converged, verdict=verdict)


def _mode_of(trace) -> str:
    name = trace.meta.get("name", "")
    return name.rsplit(" ", 1)[-1] if name.startswith("CAP register") else ""
