"""Raft's key-value store judged as Jepsen judges etcd: client histories under a nemesis.

Clients of the store (:class:`KvClient`, ordinary simulator nodes beside the Raft servers)
read, write and compare-and-set a few keys, one operation at a time each. A client sends its
request to a server, follows "not me, try the leader" answers, and after ``attempt_timeout``
without an answer tries another server with the *same* request id (the session table applies
it once). When the operation's ``deadline`` passes it gives up: a read that was never answered
changed nothing (``"fail"``), but a write or a compare-and-set may still take effect later, so
its outcome is unknown (``"info"``), exactly as in Jepsen's histories [1]_.

The nemesis crashes, pauses and partitions the *servers* (a client stays on the side of its
home server), the links lose, duplicate and reorder messages, and afterwards the whole
history is checked by the linearizability checker with the ``kv-cas`` model
(:func:`check_kv_run`). Raft through the log must pass every seed; the broken variants of
:mod:`.variants` and the broken read path of :mod:`.reads` must be caught on some.

References
----------
.. [1] K. Kingsbury, "Jepsen: etcd 0.4.1" (2014) and "etcd 3.4.3" (2020), jepsen.io/analyses:
   register workloads with reads, writes and compare-and-set, checked by Knossos.
"""
from __future__ import annotations

from dsysedu.check.history import History
from dsysedu.check.linearizability import check_linearizable
from dsysedu.sim.chaos import chaos_weather
from dsysedu.sim.faults import Nemesis, Partition
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.sim.validate import number, positive_int, probability
from .messages import ClientReply, ClientRequest
from .node import Raft
from .reads import READ_PATHS, ReadRaft

__all__ = ["KvClient", "kv_scenario", "kv_run", "kv_history", "check_kv_run", "KV_MODEL", "with_kv_clients", "forgotten_vote_kv",
           "figure8_kv", "stale_read_scenario", "stale_read_run", "read_path_costs"]

KV_MODEL = "kv-cas"


class KvClient(Node):
    """A client of the Raft key-value store that records its history.

    Parameters
    ----------
    servers : tuple
        The Raft servers.
    home : node id
        The server it asks first (and whose side of a partition it is on).
    keys : tuple
        The keys it picks from, uniformly.
    read_share, cas_share : float
        Probabilities of a read and of a compare-and-set; the rest are writes. Written and
        compared values are small integers (0-4), so compare-and-sets often succeed.
    think : float
        Mean pause (exponential) before each operation, in seconds.
    attempt_timeout : float
        Seconds before it asks another server.
    deadline : float
        Seconds after which it gives up on the operation (``"fail"`` for a read, ``"info"``
        otherwise).
    stop_at : float
        Invoke nothing at or after this time.
    script : tuple of (at, kind, key, value) or None
        Scripted operations instead of random ones: each is invoked at ``at`` (or as soon as the
        one before it completes). ``kind`` is ``"read"``, ``"write"`` or ``"cas"`` (``value``
        ``(expected, new)``).

    Notes
    -----
    Observes ``invoke`` ``(seq, kind, key, value)`` and ``complete`` ``(seq, status, result)``:
    :meth:`~dsysedu.check.history.History.from_trace` reads them.
    """

    def __init__(self, node_id, peers=(), servers=(0, 1, 2), home=0, keys=("x", "y"), read_share=0.5,
                 cas_share=0.2, think=0.05, attempt_timeout=0.15, deadline=0.6, stop_at=float("inf"), script=None):
        super().__init__(node_id, peers)
        if isinstance(servers, (str, bytes)) or not hasattr(servers, "__iter__") or not tuple(servers):
            raise TypeError(f"KvClient servers must be a non-empty list of node ids, got {servers!r}")
        self.servers = tuple(servers)
        if home not in self.servers:
            raise ValueError(f"KvClient home {home!r} must be one of the servers {list(self.servers)!r}")
        if not keys or isinstance(keys, (str, bytes)):
            raise ValueError(f"KvClient keys must be a non-empty list of keys, got {keys!r}")
        self.home, self.keys = home, tuple(keys)
        self.read_share = probability("KvClient read_share", read_share)
        self.cas_share = probability("KvClient cas_share", cas_share)
        if read_share + cas_share > 1:
            raise ValueError(f"KvClient read_share + cas_share must be at most 1, got {read_share + cas_share:g}")
        self.think = number("KvClient think", think, low=0.0, low_open=True)
        self.attempt_timeout = number("KvClient attempt_timeout", attempt_timeout, low=0.0, low_open=True)
        self.deadline = number("KvClient deadline", deadline, low=0.0, low_open=True)
        self.stop_at = number("KvClient stop_at", stop_at, low=0.0, allow_inf=True)
        self.script = None if script is None else tuple(_script_op(op) for op in script)
        if self.script is not None and any(b[0] < a[0] for a, b in zip(self.script, self.script[1:])):
            raise ValueError("KvClient script: operations must be in time order")
        self.client_id = f"k{node_id}"
        self.seq = 0
        self.open = None        # (seq, kind, command) of the operation in flight
        self.target = home

    def on_start(self, ctx):
        self._schedule_next(ctx)

    def _schedule_next(self, ctx) -> None:
        if self.script is None:
            ctx.set_timer("next", ctx.rng.expovariate(1.0 / self.think))
        elif self.seq < len(self.script):
            ctx.set_timer("next", max(0.0, self.script[self.seq][0] - ctx.now))

    def on_timer(self, ctx, name):
        if name == "next":
            self._invoke(ctx)
        elif name == "attempt" and self.open is not None:
            self._retry(ctx, None)
        elif name == "deadline" and self.open is not None:
            seq, kind, _ = self.open
            self._complete(ctx, seq, "fail" if kind == "read" else "info", None)

    def _invoke(self, ctx) -> None:
        if ctx.now >= self.stop_at or self.open is not None:
            return
        self.seq += 1
        if self.script is not None:
            if self.seq > len(self.script):
                return
            _, kind, key, value = self.script[self.seq - 1]
            command = {"read": ("get", key), "write": ("set", key, value)}.get(kind) or ("cas", key) + tuple(value)
            self.open = (self.seq, kind, command)
            ctx.observe("invoke", (self.seq, kind, key, value))
            ctx.set_timer("deadline", self.deadline)
            self._send(ctx)
            return
        key = self.keys[ctx.rng.randrange(len(self.keys))]
        u = ctx.rng.random()
        if u < self.read_share:
            kind, value, command = "read", None, ("get", key)
        elif u < self.read_share + self.cas_share:
            expected, new = ctx.rng.randrange(5), ctx.rng.randrange(5)
            kind, value, command = "cas", (expected, new), ("cas", key, expected, new)
        else:
            value = ctx.rng.randrange(5)
            kind, command = "write", ("set", key, value)
        self.open = (self.seq, kind, command)
        ctx.observe("invoke", (self.seq, kind, key, value))
        ctx.set_timer("deadline", self.deadline)
        self._send(ctx)

    def _send(self, ctx) -> None:
        seq, _, command = self.open
        ctx.send(self.target, ClientRequest(self.client_id, seq, command))
        ctx.set_timer("attempt", self.attempt_timeout)

    def _retry(self, ctx, hint) -> None:
        if hint is not None and hint in self.servers and hint != self.target:
            self.target = hint
        else:
            others = [s for s in self.servers if s != self.target]
            self.target = others[ctx.rng.randrange(len(others))] if others else self.target
        self._send(ctx)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, ClientReply) or self.open is None or msg.seq != self.open[0]:
            return
        if msg.client_id != self.client_id:
            return
        if msg.ok:
            seq, kind, _ = self.open
            self._complete(ctx, seq, "ok", None if kind == "write" else msg.result)
        else:
            self._retry(ctx, msg.leader_hint)

    def _complete(self, ctx, seq, status, result) -> None:
        self.open = None
        ctx.cancel_timer("attempt")
        ctx.cancel_timer("deadline")
        ctx.observe("complete", (seq, status, result))
        self._schedule_next(ctx)


def _script_op(op) -> tuple:
    if not isinstance(op, (tuple, list)) or len(op) != 4:
        raise TypeError(f"KvClient script: each operation is (at, kind, key, value), got {op!r}")
    at, kind, key, value = op
    number("KvClient script time", at, low=0.0)
    if kind not in ("read", "write", "cas"):
        raise ValueError(f"KvClient script: kind must be 'read', 'write' or 'cas', got {kind!r}")
    if kind == "cas" and (not isinstance(value, tuple) or len(value) != 2):
        raise ValueError(f"KvClient script: a cas takes value=(expected, new), got {value!r}")
    return (float(at), kind, key, value)


def _with_clients(faults, homes: dict) -> list:
    """Put each client on the side of its home server in every partition."""
    out = []
    for f in faults:
        if isinstance(f, Partition):
            groups = [tuple(g) + tuple(c for c, h in sorted(homes.items()) if h in g) for g in f.groups]
            f = Partition(tuple(groups), at=f.at, until=f.until)
        out.append(f)
    return out


def kv_scenario(servers: int = 5, *, clients: int = 3, seed: int = 0, read_path: str = "log", protocol=None,
                stop: float = 3.0, until: float = 5.0, keys=("x", "y"), nemesis: Nemesis | None = None,
                link: LinkModel | None = None, faults=(), clock_drift=0.0, timer_clock: str = "true",
                client_params=None, **raft_params) -> Scenario:
    """Raft servers ``0..servers-1`` and clients after them, under a nemesis until ``stop``.

    Parameters
    ----------
    seed : int
        Draws the nemesis' fault schedule (and is the scenario's default run seed). Runs over many
        seeds should vary it too: :func:`kv_run` does.
    read_path : str
        How the servers answer reads (:data:`~dsysedu.protocols.consensus.raft.reads.READ_PATHS`).
    protocol : Raft subclass or None
        The servers' protocol: :class:`~dsysedu.protocols.consensus.raft.reads.ReadRaft` by
        default; a broken variant of Raft runs with ``read_path="log"`` only.
    nemesis : Nemesis or None
        Default: the chaos weather of the other randomized runs; pass ``Nemesis()`` for none.
    faults : list of Fault
        Extra scheduled faults (clients join their home server's side of a partition).
    clock_drift : float or dict
        The servers' clock drift (see :class:`~dsysedu.sim.Scenario`).
    timer_clock : str
        ``"true"`` or ``"local"``: what every node's timers count (see :class:`~dsysedu.sim.Scenario`);
        with a nemesis that has a ``clock_rate``, ``"local"`` lets drift move the servers' timeouts too.
    client_params : dict or None
        Overrides for every :class:`KvClient`.
    **raft_params
        For every server (``check_quorum=True``, ``lease=0.1``...).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> check_kv_run(kv_run(3, servers=3, clients=2, stop=1.0, until=2.0)).ok
    True
    """
    servers = positive_int("kv_scenario servers", servers, high=9)
    clients = positive_int("kv_scenario clients", clients, high=20)
    if read_path not in READ_PATHS:
        raise ValueError(f"kv_scenario read_path must be one of {READ_PATHS}, got {read_path!r}")
    protocol = ReadRaft if protocol is None else protocol
    if not (isinstance(protocol, type) and issubclass(protocol, Raft)):
        raise TypeError(f"kv_scenario protocol must be a Raft subclass, got {protocol!r}")
    if read_path != "log" and not issubclass(protocol, ReadRaft):
        raise ValueError(f"{protocol.__name__} reads through the log only; read_path={read_path!r} needs ReadRaft")
    seed = normalize_seed(seed)
    server_ids = tuple(range(servers))
    client_ids = tuple(range(servers, servers + clients))
    homes = {c: server_ids[i % servers] for i, c in enumerate(client_ids)}
    nemesis, link = chaos_weather(stop, nemesis, link, loss=0.02)
    drawn = nemesis.schedule(server_ids, stream(seed, "kv-nemesis"))
    schedule = _with_clients(sorted(list(drawn) + list(faults), key=lambda f: f.at), homes)
    server_params = dict(raft_params, servers=server_ids)
    if issubclass(protocol, ReadRaft):
        server_params["read_path"] = read_path
    node_params = {s: dict(server_params) for s in server_ids}
    for c in client_ids:
        node_params[c] = dict({"servers": server_ids, "home": homes[c], "keys": tuple(keys), "stop_at": stop + 0.5},
                              **(client_params or {}))
    proto = {s: protocol for s in server_ids}
    proto.update({c: KvClient for c in client_ids})
    drift = clock_drift if isinstance(clock_drift, dict) else {s: clock_drift for s in server_ids}
    return Scenario(proto, nodes=list(server_ids + client_ids), node_params=node_params, link=link,
                    faults=schedule, clock_drift=drift, timer_clock=timer_clock, until=until, seed=seed,
                    name=f"Raft KV ({protocol.__name__}, {read_path} reads, {servers} servers, {clients} clients)")


def kv_run(seed: int = 0, servers: int = 5, **kw):
    """One run of :func:`kv_scenario` with ``seed`` for both the nemesis' schedule and the run.

    ``run(kv_scenario(...), seed=s)`` alone would keep the schedule drawn from ``kv_scenario``'s own
    ``seed`` (0 by default) for every ``s``: many seeds, one fault schedule.
    """
    from dsysedu.sim.kernel import run
    return run(kv_scenario(servers, seed=seed, **kw), seed=seed)


def kv_history(trace) -> History:
    """The clients' history of one run."""
    return History.from_trace(trace)


def check_kv_run(trace, max_steps: int = 2_000_000):
    """The linearizability verdict of one run's history, with the ``kv-cas`` model."""
    return check_linearizable(kv_history(trace), KV_MODEL, max_steps=max_steps)


def with_kv_clients(scenario: Scenario, scripts: dict, *, name: str | None = None, **client_params) -> Scenario:
    """A lesson scenario of Raft servers, with scripted :class:`KvClient` nodes in place of its inputs.

    Parameters
    ----------
    scenario : Scenario
        Raft servers only (its client ``inputs`` are dropped: the scripts replace them).
    scripts : dict home server -> list of (at, kind, key, value)
        One client per entry, on the side of its home server in every partition, asking its home
        server only (no retries elsewhere unless ``attempt_timeout`` says so).
    **client_params
        For every client; default ``attempt_timeout`` and ``deadline`` of 3 s, longer than the
        lesson scenarios' outages.
    """
    if scenario.nemesis is not None:
        raise ValueError("with_kv_clients: give the servers' faults as a list (Nemesis.schedule makes one); "
                         "a nemesis here would strike the clients too")
    servers = tuple(scenario.node_ids)
    unknown = [h for h in scripts if h not in servers]
    if unknown:
        raise ValueError(f"with_kv_clients: homes {unknown!r} are not servers of the scenario {list(servers)!r}")
    first = max(s for s in servers if isinstance(s, int)) + 1 if any(isinstance(s, int) for s in servers) else 0
    clients = {first + i: home for i, home in enumerate(sorted(scripts, key=repr))}
    node_params = {s: dict(dict(scenario.params), **dict(scenario.node_params.get(s, {})), servers=servers)
                   for s in servers}
    params = dict({"attempt_timeout": 3.0, "deadline": 3.0}, **client_params)
    for c, home in clients.items():
        node_params[c] = dict(params, servers=servers, home=home, script=tuple(scripts[home]))
    base = scenario.protocol
    proto = {s: (base[s] if isinstance(base, dict) else base) for s in servers}
    proto.update({c: KvClient for c in clients})
    # every other field (links, clocks, timers, bounds, seed) carries over as it is
    return scenario.replace(protocol=proto, nodes=list(servers) + list(clients), params={}, node_params=node_params,
                            faults=_with_clients(scenario.faults, clients), inputs=(),
                            name=name or f"{scenario.name} with KV clients")


def forgotten_vote_kv(protocol=Raft, *, seed: int = 0) -> Scenario:
    """:func:`~dsysedu.protocols.consensus.raft.scenarios.forgotten_vote_scenario` with two clients.

    A client of node 0 writes ``x=1`` at t=0.8; a client of node 2 reads ``x`` at t=1.0. With
    :class:`~dsysedu.protocols.consensus.raft.variants.RaftForgetsVote`, term 1 has two leaders,
    node 1 takes both leaders' first entries as "the same entry" (same index, same term), and the
    read is committed by node 2 on its own log: it returns nothing after the write completed.
    """
    from .scenarios import forgotten_vote_scenario
    return with_kv_clients(forgotten_vote_scenario(protocol, seed=seed),
                           {0: [(0.8, "write", "x", 1)], 2: [(1.0, "read", "x", None)]},
                           name=f"forgotten vote with KV clients ({protocol.__name__})")


def figure8_kv(protocol=Raft, *, seed: int = 0) -> Scenario:
    """:func:`~dsysedu.protocols.consensus.raft.scenarios.figure8_scenario` (panel d) with two clients.

    A client of S1 writes ``x=1`` (t=0.4) and ``x=2`` (t=1.05); a client of S5 reads ``x`` while S5
    is cut off in term 3 (t=1.85: the entry S5 appends at index 2) and again at t=4.5. With
    :class:`~dsysedu.protocols.consensus.raft.variants.RaftCommitOldTerm`, S1 commits index 2 in
    term 4 and tells its client that ``x=2`` is written; S5 then overwrites index 2 in term 5,
    and the last read returns 1: a completed write lost. Correct Raft never acknowledges ``x=2``
    (its outcome stays unknown), so reading 1 is allowed.
    """
    from .scenarios import figure8_scenario
    return with_kv_clients(figure8_scenario(protocol, seed=seed),
                           {1: [(0.4, "write", "x", 1), (1.05, "write", "x", 2)],
                            5: [(1.85, "read", "x", None), (4.5, "read", "x", None)]},
                           name=f"Figure 8 with KV clients ({protocol.__name__})")


def stale_read_scenario(read_path: str = "lease", *, drift: float = 0.0, jump: float = 0.0, seed: int = 0,
                        lease: float | None = None, others_drift: float = 0.0,
                        timer_clock: str = "true", latency: float = 0.01) -> Scenario:
    """The leader is cut off while a client keeps reading from it: does any read return stale data?

    Five servers with CheckQuorum, links of ``latency`` seconds (10 ms), election timeouts of
    150-300 ms. At t=1.0 a partition isolates the node that leads then (found by running the same
    seed up to t=1.0, which the partition does not change), together with client A, which reads
    ``x`` from it every 10 ms until t=1.9; on the majority side client B writes ``x`` = 1, 2, 3... every 20 ms through
    whichever server leads there. Until t=1.0 every clock is true. At t=1.0 the old leader's clock
    starts running at ``1 + drift`` times true speed (a :class:`~dsysedu.sim.faults.ClockDrift`)
    and jumps by ``jump`` seconds (negative: back); the other servers' clocks start running at
    ``1 + others_drift``.

    Parameters
    ----------
    read_path : str
        ``"lease"``, ``"read_index"``, ``"log"`` or ``"local"``.
    drift : float
        The old leader's clock drift from t=1.0, in ``[-0.5, 0.5]``: -0.3 means its clock runs 30 %
        slow, so its lease (and its CheckQuorum) last 1/0.7 times longer in real time than it thinks.
    jump : float
        A step of the old leader's clock at t=1.0 (an NTP correction).
    lease : float or None
        The lease (default 90 % of the 150 ms election timeout: 135 ms).
    others_drift : float
        The other servers' drift from t=1.0, in ``[-0.5, 0.5]``. It changes only what their clocks
        read, unless ``timer_clock="local"``: then a positive value makes their election timers
        fire early in true time, and they elect a new leader while the old one still trusts its lease.
    timer_clock : str
        ``"true"`` or ``"local"``: what the servers' timers count (see
        :class:`~dsysedu.sim.scenario.Scenario`).
    latency : float
        One-way delay of every link, in (0, 0.05] seconds. The shorter it is, the sooner a new
        leader can commit on the majority side, and the less slack a stretched lease has.
    """
    number("stale_read_scenario latency", latency, low=0.0, low_open=True, high=0.05)
    number("stale_read_scenario drift", drift, low=-0.5, high=0.5)
    number("stale_read_scenario others_drift", others_drift, low=-0.5, high=0.5)
    number("stale_read_scenario jump", jump)
    from dsysedu.sim.faults import ClockDrift, ClockJump
    from dsysedu.sim.kernel import run
    servers = tuple(range(5))
    params = {"read_path": read_path, "check_quorum": True, "lease": lease}
    base = Scenario(ReadRaft, nodes=list(servers), params=params, link=LinkModel(latency=latency),
                    timer_clock=timer_clock, until=1.0, seed=seed)
    leaders = run(base, seed=seed).observations("leader")
    if leaders.empty:
        raise ValueError(f"stale_read_scenario: no leader by t=1.0 with seed {seed}")
    old = leaders.node.tolist()[-1]
    rest = tuple(s for s in servers if s != old)
    clocks = ([ClockJump(old, at=1.0, delta=jump)] if jump else []) \
        + ([ClockDrift(old, at=1.0, drift=drift)] if drift else []) \
        + ([ClockDrift(s, at=1.0, drift=others_drift) for s in rest] if others_drift else [])
    writes = [(1.0 + 0.02 * i, "write", "x", i + 1) for i in range(40)]
    reads = [(1.0 + 0.01 * i, "read", "x", None) for i in range(90)]
    others = f", others {others_drift:+g}" if others_drift else ""
    timers = "" if timer_clock == "true" else f", {timer_clock} timers"
    return with_kv_clients(base.replace(faults=[Partition(((old,), rest), at=1.0, until=2.5)] + clocks, until=3.0),
                           {old: reads, rest[0]: writes}, attempt_timeout=0.05, deadline=0.3,
                           name=f"stale reads? ({read_path}, drift {drift:+g}{others}, jump {jump:+g} s{timers})")


def stale_read_run(read_path: str = "lease", seed: int = 0, **clock):
    """One run of :func:`stale_read_scenario` with ``seed`` both for finding the old leader and for the run."""
    from dsysedu.sim.kernel import run
    return run(stale_read_scenario(read_path, seed=seed, **clock), seed=seed)


def read_path_costs(servers: int = 5, *, reads: int = 40, seed: int = 0) -> "pd.DataFrame":
    """Latency and messages per read on each correct read path, on a calm cluster.

    One client asks the leader (found by a run of the same seed) for ``reads`` reads, 50 ms
    apart from t=1.0, over 10 ms links. Latency is the client's (request to answer); messages per
    read are the run's messages minus those of the same run without reads, divided by ``reads``;
    log entries per read, the growth of the leader's log the same way (a read through the log is an
    entry every server stores and applies).
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    servers = positive_int("read_path_costs servers", servers, high=9)
    reads = positive_int("read_path_costs reads", reads, high=1000)
    rows = []
    for path in ("log", "read_index", "lease"):
        params = {"read_path": path, "check_quorum": path == "lease"}
        base = Scenario(ReadRaft, nodes=list(range(servers)), params=params, link=LinkModel(latency=0.01),
                        until=1.0 + 0.05 * reads + 0.5, seed=seed)
        probe = run(base, seed=seed)
        leader = probe.observations("leader").node.tolist()[-1]
        quiet = run(with_kv_clients(base, {leader: []}), seed=seed)
        script = [(1.0 + 0.05 * i, "read", "x", None) for i in range(reads)]
        busy = run(with_kv_clients(base, {leader: script}), seed=seed)
        history = kv_history(busy)
        done = [op for op in history if op.status == "ok"]
        if len(done) != reads:
            raise ValueError(f"read_path_costs: {len(done)} of {reads} reads answered on the {path} path")
        latency = sum(op.complete - op.invoke for op in done) / reads
        extra = (busy.count("send") - quiet.count("send")) / reads

        def log_len(trace):
            obs = trace.observations("log_len")
            return obs[obs.node == leader].value.tolist()[-1]
        rows.append((path, latency * 1000, extra, (log_len(busy) - log_len(quiet)) / reads))
    return pd.DataFrame(rows, columns=["path", "latency_ms", "messages_per_read", "log_entries_per_read"])
