"""Quorum replication with N, R and W, and how stale its reads are (Dynamo style).

A key lives on ``N`` replicas. A write goes to all of them and is *acknowledged* once
``W`` have stored it; a read asks all of them and returns the newest version among the
first ``R`` answers. If ``R + W > N`` every read quorum meets every write quorum, so a read
that starts after a write was acknowledged always sees it (a *strict* quorum). With
``R + W <= N`` (a *partial* quorum, chosen for latency and availability) the read may reach
only replicas the write has not reached yet: the read is *stale*, until the write has
propagated.

Bailis, Venkataraman, Franklin, Hellerstein and Stoica (VLDB 2012) call the chance that a
read started ``t`` seconds after a write's acknowledgement returns it (or something newer)
*t-visibility*, and estimate it by Monte-Carlo over four message delays, their WARS model:
**W** (coordinator to replica, the write), **A** (replica to coordinator, the ack),
**R** (the read request) and **S** (the read response). :func:`consistency_probability`
implements that model in numpy with delays drawn from the simulator's latency
distributions (:mod:`dsysedu.sim.network`), and adds two repair mechanisms that the plain
WARS model does not include: *read repair* (other clients' reads push the newest version to the
stale replicas they heard from) and *anti-entropy* (each replica catches up by background
sync after an exponential time). The numbers here are our own, from our own delay
distributions, not the paper's measurements; what carries over is the shape of the curves.

:func:`quorum_scenario` plays the same protocol in the event simulator, with a coordinating
client and replicas that apply writes after a random lag.

References
----------
.. [1] P. Bailis, S. Venkataraman, M. J. Franklin, J. M. Hellerstein and I. Stoica,
   "Probabilistically Bounded Staleness for Practical Partial Quorums", PVLDB 5(8), 2012.
.. [2] G. DeCandia et al., "Dynamo: Amazon's highly available key-value store", SOSP 2007
   (N, R, W; read repair; anti-entropy with Merkle trees).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd

from dsysedu.sim import run
from dsysedu.sim.validate import number, positive_int
from dsysedu.sim.network import Constant, Exponential, Latency, LinkModel, LogNormal, Uniform, as_latency
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed, numpy_stream

__all__ = ["check_quorum", "strict_quorum", "sample_delays", "WARS", "consistency_probability",
           "staleness_sweep", "Write", "WriteAck", "Read", "ReadReply", "Repair", "QuorumReplica",
           "QuorumClient", "quorum_scenario", "read_results", "fresh_share"]


def check_quorum(n, r, w) -> tuple[int, int, int]:
    """Validate ``N, R, W``: ``N >= 1`` and ``1 <= R, W <= N``; return them.

    Raises
    ------
    TypeError
        If one is not an int.
    ValueError
        If ``N < 1`` or ``R`` or ``W`` is outside ``1..N``.
    """
    positive_int("N", n)
    positive_int("R", r, low=1, high=n)
    positive_int("W", w, low=1, high=n)
    return n, r, w


def strict_quorum(n: int, r: int, w: int) -> bool:
    """True if every read quorum of ``R`` replicas meets every write quorum of ``W`` (``R + W > N``).

    Examples
    --------
    >>> strict_quorum(3, 2, 2), strict_quorum(3, 1, 2), strict_quorum(3, 1, 3)
    (True, False, True)
    """
    check_quorum(n, r, w)
    return r + w > n


# ---------------------------------------------------------------------------- Monte-Carlo (WARS)

def sample_delays(latency, rng: np.random.Generator, size) -> np.ndarray:
    """Draw an array of delays from a simulator latency distribution (vectorized).

    Parameters
    ----------
    latency : float or Latency
        ``Constant``, ``Uniform``, ``Exponential``, ``LogNormal`` (or seconds, a constant).
    rng : numpy.random.Generator
    size : int or tuple

    Examples
    --------
    >>> d = sample_delays(Exponential(0.01, minimum=0.002), np.random.default_rng(1), 10_000)
    >>> round(float(d.mean()), 3), bool(d.min() >= 0.002)
    (0.012, True)
    """
    lat = as_latency(latency)
    if isinstance(lat, Constant):
        return np.full(size, lat.delay)
    if isinstance(lat, Uniform):
        return rng.uniform(lat.low, lat.high, size)
    if isinstance(lat, Exponential):
        return lat.minimum + rng.exponential(lat.mean_extra, size)
    if isinstance(lat, LogNormal):
        return lat.median * np.exp(lat.sigma * rng.standard_normal(size))
    # any other Latency: draw one by one from a stream seeded by rng
    rnd = random.Random(int(rng.integers(2**63)))
    out = np.empty(size)
    flat = out.reshape(-1)
    for i in range(flat.size):
        flat[i] = lat.sample(rnd)
    return out


@dataclass(frozen=True)
class WARS:
    """The four delays of a quorum operation (Bailis et al. 2012): Write, Ack, Read request, reSponse.

    ``write`` is the replica *lag*: from the coordinator sending a write to the replica having
    applied it. The defaults (our own choice, not the paper's fits) make writes slow and
    heavy-tailed next to the read path: log-normal write lag with a median of 10 ms, and
    exponential ack/read/response delays of about 1-2 ms.
    """
    write: Latency = field(default_factory=lambda: LogNormal(0.01, 1.0))
    ack: Latency = field(default_factory=lambda: Exponential(0.001, minimum=0.0005))
    read: Latency = field(default_factory=lambda: Exponential(0.001, minimum=0.0005))
    response: Latency = field(default_factory=lambda: Exponential(0.001, minimum=0.0005))

    def __post_init__(self):
        for name in ("write", "ack", "read", "response"):
            object.__setattr__(self, name, as_latency(getattr(self, name), f"WARS.{name}"))


def _times(times) -> np.ndarray:
    if isinstance(times, Real) and not isinstance(times, bool):
        times = [times]
    arr = np.asarray(list(times), dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"times must be a non-empty list of seconds >= 0, got {times!r}")
    return arr


def consistency_probability(n: int, r: int, w: int, times, *, delays: WARS | None = None,
                            read_repair_rate: float = 0.0, anti_entropy: float | None = None,
                            trials: int = 20_000, seed=None) -> np.ndarray:
    """P(a read started ``t`` s after a write's acknowledgement returns that write), for each ``t``.

    The WARS Monte-Carlo of Bailis et al. (2012): per trial, a write goes to all ``N``
    replicas (lags ``W_i``), acks come back (``A_i``) and the write is acknowledged at the
    ``W``-th earliest ``W_i + A_i``. A read starts ``t`` later and asks every replica; replica
    ``i`` answers with the new version if it has applied it when the request arrives
    (``R_i`` later), and the client keeps the ``R`` answers that come back first (by
    ``R_i + S_i``). The read is consistent if one of them has the new version.

    Parameters
    ----------
    n, r, w : int
        Replicas, read quorum, write quorum (``1 <= r, w <= n``).
    times : float or sequence of float
        Seconds between the acknowledgement and the start of the read.
    delays : WARS, optional
        The delay distributions (default :class:`WARS`).
    read_repair_rate : float
        Reads per second by other clients, from the acknowledgement on (Poisson). Each asks all
        ``N`` replicas, and once all have answered it sends the newest version to those that were
        stale (applied on arrival, one read-request delay later). 0: no read repair.
    anti_entropy : float, optional
        Mean seconds (exponential) after the acknowledgement at which background anti-entropy
        gives each replica the write. None: no anti-entropy.
    trials : int
    seed : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        One probability per time.

    Raises
    ------
    ValueError, TypeError
        For ``R`` or ``W`` outside ``1..N``, negative times, a bad rate or trial count.

    Examples
    --------
    >>> float(consistency_probability(3, 2, 2, 0.0, seed=1)[0])       # R + W > N
    1.0
    >>> p = consistency_probability(3, 1, 1, [0.0, 0.1], seed=1)        # R + W <= N
    >>> bool(p[0] < 0.9 and p[1] > 0.99)
    True
    """
    check_quorum(n, r, w)
    ts = _times(times)
    delays = WARS() if delays is None else delays
    if not isinstance(delays, WARS):
        raise TypeError(f"delays must be a WARS(write, ack, read, response), got {delays!r}")
    rate = number("read_repair_rate", read_repair_rate, low=0.0)
    if anti_entropy is not None:
        number("anti_entropy", anti_entropy, low=0.0, low_open=True)
    positive_int("trials", trials)
    rng = numpy_stream(normalize_seed(seed), "quorum")
    shape = (trials, n)
    lag = sample_delays(delays.write, rng, shape)
    ack = lag + sample_delays(delays.ack, rng, shape)
    acked = np.sort(ack, axis=1)[:, w - 1]                     # the W-th ack: the write is acknowledged
    arrive = lag - acked[:, None]                              # when each replica has it, from the ack
    if anti_entropy is not None:
        arrive = np.minimum(arrive, rng.exponential(anti_entropy, shape))
    if rate > 0:
        horizon = float(ts.max())
        k = max(1, int(math.ceil(rate * horizon + 4 * math.sqrt(rate * horizon + 1) + 2)))
        starts = np.cumsum(rng.exponential(1.0 / rate, (trials, k)), axis=1)    # other clients' reads
        rtt = (sample_delays(delays.read, rng, (trials, k, n))
               + sample_delays(delays.response, rng, (trials, k, n))).max(axis=2)
        # the repair is applied on arrival, one message hop (a read-request delay) later
        repaired = starts[:, :, None] + rtt[:, :, None] + sample_delays(delays.read, rng, (trials, k, n))
        # every such read hears the new version (W >= 1 replicas have it since the ack)
        arrive = np.minimum(arrive, repaired.min(axis=1))
    req = sample_delays(delays.read, rng, shape)
    order = np.argsort(req + sample_delays(delays.response, rng, shape), axis=1)[:, :r]   # first R answers
    req_first = np.take_along_axis(req, order, axis=1)
    arrive_first = np.take_along_axis(arrive, order, axis=1)
    out = np.empty(ts.size)
    for j, t in enumerate(ts):
        out[j] = np.mean((arrive_first <= t + req_first).any(axis=1))
    return out


def staleness_sweep(n: int, quorums, times, **kwargs) -> pd.DataFrame:
    """:func:`consistency_probability` for several ``(R, W)`` at a fixed ``N``, as a long table.

    Returns
    -------
    pandas.DataFrame
        Columns ``n, r, w, strict, time, p_consistent`` (one row per quorum and time).

    Examples
    --------
    >>> df = staleness_sweep(3, [(1, 1), (2, 2)], [0.0, 0.05], trials=2000, seed=1)
    >>> df.groupby("strict").p_consistent.min().round(2).tolist()[1]
    1.0
    """
    ts = _times(times)
    rows = []
    for r, w in quorums:
        p = consistency_probability(n, r, w, ts, **kwargs)
        rows.extend((n, r, w, r + w > n, float(t), float(x)) for t, x in zip(ts, p))
    return pd.DataFrame(rows, columns=["n", "r", "w", "strict", "time", "p_consistent"])


# ---------------------------------------------------------------------------- in the simulator

@dataclass(frozen=True)
class Write:
    version: int


@dataclass(frozen=True)
class WriteAck:
    version: int


@dataclass(frozen=True)
class Read:
    read_id: int


@dataclass(frozen=True)
class ReadReply:
    read_id: int
    version: int


@dataclass(frozen=True)
class Repair:
    """Read repair: the coordinator pushes the newest version it saw to a stale replica."""
    version: int


class QuorumReplica(Node):
    """A replica that applies each write after a random lag, then acks; answers reads at once.

    Parameters
    ----------
    lag : float or Latency
        Time from receiving a write to having applied it (drawn per write from the node's stream).

    Notes
    -----
    Observes ``version`` whenever its stored version changes. The value is the version number
    itself (a register that only moves forward).
    """

    state_fields = ("version",)

    def __init__(self, node_id, peers=(), lag=0.0):
        super().__init__(node_id, peers)
        self.lag = as_latency(lag, "lag")
        self.version = 0

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Write):
            ctx.set_timer(("apply", msg.version, src), self.lag.sample(ctx.rng))
        elif isinstance(msg, Read):
            ctx.send(src, ReadReply(msg.read_id, self.version))
        elif isinstance(msg, Repair):
            self._store(ctx, msg.version)

    def on_timer(self, ctx, name):
        _apply, version, coordinator = name
        self._store(ctx, version)
        ctx.send(coordinator, WriteAck(version))

    def _store(self, ctx, version):
        if version > self.version:
            self.version = version
            ctx.observe("version", version)


class QuorumClient(Node):
    """The coordinating client: writes every ``write_interval`` s, reads at fixed delays after each ack.

    Parameters
    ----------
    replicas : tuple
        The replica ids.
    r, w : int
        Read and write quorum sizes.
    writes : int
        How many writes (versions 1, 2, ...).
    write_interval : float
    read_delays : tuple of float
        Each acknowledged write is followed by one read at each of these delays after its ack.
    read_repair : bool
        When a read hears a replica answer with an older version than the newest it has seen,
        send that replica a :class:`Repair`.

    Notes
    -----
    Observes ``write_ack`` (version) when a write reaches ``W`` acks, and ``read``
    ``(read_id, since_ack, latest_acked, returned)`` when a read has ``R`` answers:
    ``latest_acked`` is the newest acknowledged version when the read started, ``since_ack``
    the seconds since that acknowledgement.
    """

    state_fields = ("acked", "latest_acked")

    def __init__(self, node_id, peers=(), replicas=(), r=1, w=1, writes=10, write_interval=0.2,
                 read_delays=(0.0,), read_repair=False):
        super().__init__(node_id, peers)
        self.replicas = tuple(replicas)
        check_quorum(len(self.replicas), r, w)
        self.r, self.w = r, w
        self.writes = positive_int("writes", writes)
        self.write_interval = number("write_interval", write_interval, low=0.0, low_open=True)
        self.read_delays = tuple(number("read_delays", d, low=0.0) for d in read_delays)
        self.read_repair = bool(read_repair)
        self.acked: dict = {}          # version -> acks so far
        self.latest_acked, self.ack_time = 0, 0.0
        self.reads: dict = {}          # read_id -> [start, latest_acked, ack_time, answers, newest]
        self.next_read = 0

    def on_start(self, ctx):
        ctx.set_timer(("write", 1), self.write_interval)

    def on_timer(self, ctx, name):
        if name[0] == "write":
            version = name[1]
            self.acked[version] = 0
            for p in self.replicas:
                ctx.send(p, Write(version))
            if version < self.writes:
                ctx.set_timer(("write", version + 1), self.write_interval)
        else:
            self.next_read += 1
            self.reads[self.next_read] = [ctx.now, self.latest_acked, self.ack_time, 0, 0]
            for p in self.replicas:
                ctx.send(p, Read(self.next_read))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, WriteAck) and msg.version in self.acked:
            self.acked[msg.version] += 1
            if self.acked[msg.version] == self.w and msg.version > self.latest_acked:
                self.latest_acked, self.ack_time = msg.version, ctx.now
                ctx.observe("write_ack", msg.version)
                for k, d in enumerate(self.read_delays):
                    ctx.set_timer(("read", msg.version, k), d)
        elif isinstance(msg, ReadReply) and msg.read_id in self.reads:
            rec = self.reads[msg.read_id]
            rec[3] += 1
            if rec[3] <= self.r:
                rec[4] = max(rec[4], msg.version)
                if rec[3] == self.r:
                    ctx.observe("read", (msg.read_id, rec[0] - rec[2], rec[1], rec[4]))
            if self.read_repair and msg.version < rec[4]:
                ctx.send(src, Repair(rec[4]))


def quorum_scenario(n: int = 3, r: int = 1, w: int = 1, *, lag=None, latency=None, writes: int = 20,
                    write_interval: float = 0.2, read_delays=(0.0, 0.005, 0.01, 0.02, 0.05),
                    read_repair: bool = False, seed: int = 0) -> Scenario:
    """N replicas (nodes 0..N-1) and one coordinating client (node N) in the event simulator.

    Parameters
    ----------
    n, r, w : int
    lag : float or Latency
        Replica apply lag (default log-normal, median 10 ms, shape 1, as :class:`WARS`).
    latency : float or Latency
        Link latency (default uniform 0.5-1.5 ms).
    writes, write_interval, read_delays, read_repair
        See :class:`QuorumClient`.
    seed : int

    Examples
    --------
    >>> df = read_results(quorum_scenario(3, 2, 2, writes=5).run(seed=1))
    >>> bool(df.consistent.all())
    True
    """
    check_quorum(n, r, w)
    replicas = tuple(range(n))
    lag = LogNormal(0.01, 1.0) if lag is None else as_latency(lag, "lag")
    client = {"replicas": replicas, "r": r, "w": w, "writes": writes, "write_interval": write_interval,
              "read_delays": tuple(read_delays), "read_repair": read_repair}
    QuorumClient(n, (), **client)   # validate before building the scenario
    protocol = {i: QuorumReplica for i in replicas}
    protocol[n] = QuorumClient
    node_params = {i: {"lag": lag} for i in replicas}
    node_params[n] = client
    link = LinkModel(latency=Uniform(0.0005, 0.0015) if latency is None else latency)
    until = write_interval * (writes + 1) + max(tuple(read_delays) + (0.0,)) + 5.0
    return Scenario(protocol, nodes=n + 1, node_params=node_params, link=link, until=until, seed=seed,
                    name=f"quorum N={n} R={r} W={w}{' + read repair' if read_repair else ''}")


def read_results(trace) -> pd.DataFrame:
    """The reads of a :func:`quorum_scenario` run: ``read_id, time, since_ack, latest_acked, returned,
    consistent`` (``returned >= latest_acked``)."""
    rows = [(v[0], t, v[1], v[2], v[3], v[3] >= v[2]) for t, v in
            ((r[0], r[6]) for r in trace.rows if r[1] == "observe" and r[5] == "read")]
    return pd.DataFrame(rows, columns=["read_id", "time", "since_ack", "latest_acked", "returned", "consistent"])


def fresh_share(n: int, r: int, w: int, seeds, **scenario_args) -> pd.Series:
    """The share of fresh reads at each read delay, over runs of :func:`quorum_scenario` on ``seeds``.

    Parameters
    ----------
    n, r, w : int
    seeds : iterable of int
        One run each; their reads are pooled.
    **scenario_args
        Passed to :func:`quorum_scenario` (``writes``, ``read_repair``...).

    Returns
    -------
    pandas.Series
        Indexed by ``since_ack`` (seconds after the write was acknowledged, rounded to the
        millisecond): the mean of ``consistent``.

    Examples
    --------
    >>> fresh_share(3, 2, 2, seeds=range(2), writes=5).eq(1.0).all()
    np.True_
    """
    scenario = quorum_scenario(n, r, w, **scenario_args)
    runs = [read_results(run(scenario, seed=seed)) for seed in seeds]
    if not runs:
        raise ValueError("fresh_share needs at least one seed")
    reads = pd.concat(runs)
    return reads.groupby(reads.since_ack.round(3)).consistent.mean()
