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

__all__ = ["KvClient", "kv_scenario", "kv_history", "check_kv_run", "KV_MODEL"]

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

    Notes
    -----
    Observes ``invoke`` ``(seq, kind, key, value)`` and ``complete`` ``(seq, status, result)``:
    :meth:`~dsysedu.check.history.History.from_trace` reads them.
    """

    def __init__(self, node_id, peers=(), servers=(0, 1, 2), home=0, keys=("x", "y"), read_share=0.5,
                 cas_share=0.2, think=0.05, attempt_timeout=0.15, deadline=0.6, stop_at=float("inf")):
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
        self.client_id = f"k{node_id}"
        self.seq = 0
        self.open = None        # (seq, kind, command) of the operation in flight
        self.target = home

    def on_start(self, ctx):
        ctx.set_timer("next", ctx.rng.expovariate(1.0 / self.think))

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
        ctx.set_timer("next", ctx.rng.expovariate(1.0 / self.think))


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
                link: LinkModel | None = None, faults=(), clock_drift=0.0, client_params=None,
                **raft_params) -> Scenario:
    """Raft servers ``0..servers-1`` and clients after them, under a nemesis until ``stop``.

    Parameters
    ----------
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
    client_params : dict or None
        Overrides for every :class:`KvClient`.
    **raft_params
        For every server (``check_quorum=True``, ``lease=0.1``...).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> check_kv_run(run(kv_scenario(3, clients=2, stop=1.0, until=2.0), seed=3)).ok
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
                    faults=schedule, clock_drift=drift, until=until, seed=seed,
                    name=f"Raft KV ({protocol.__name__}, {read_path} reads, {servers} servers, {clients} clients)")


def kv_history(trace) -> History:
    """The clients' history of one run."""
    return History.from_trace(trace)


def check_kv_run(trace, max_steps: int = 2_000_000):
    """The linearizability verdict of one run's history, with the ``kv-cas`` model."""
    return check_linearizable(kv_history(trace), KV_MODEL, max_steps=max_steps)
