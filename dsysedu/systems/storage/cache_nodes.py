"""A cache in front of a database, as simulator nodes: write policies, TTLs and the remedies of cache trouble.

Nodes: a :class:`Database` (the source of truth, durable, answering a read after ``read_time``
seconds: the cost of computing a value), a :class:`CacheServer` in front of it, a
:class:`CacheClient` that reads and writes through the cache, and a :class:`DirectWriter`, another
service that writes to the database without telling the cache.

The cache's **write policy** (``write``):

``"through"``
    write to the database, update the cache when the database has answered, then acknowledge;
``"back"``
    update the cache and acknowledge at once; flush dirty keys to the database every
    ``flush_every`` seconds. Fast, and a crash of the cache loses acknowledged writes;
``"around"``
    write to the database and drop the key from the cache; the next read loads it.

Reads are *cache-aside*: a hit answers from the cache, a miss reads the database and keeps the
value for ``ttl`` seconds (times ``1 + ttl_jitter * u``, ``u`` uniform in [0, 1), when jittered).
The remedies for the three classic troubles of a cache (see :mod:`.cache_experiments`):

- penetration (缓存穿透), requests for keys that do not exist: ``negative_ttl`` caches "not found";
  ``bloom`` answers "not found" at once for a key a :class:`BloomFilter` of existing keys rules out;
- avalanche (缓存雪崩), many keys expiring at once: ``ttl_jitter``;
- stampede (缓存击穿), many requests recomputing one hot key: ``early_beta``, the probabilistic early
  recomputation of Vattani, Chierichetti and Lowenstein [1]_ (XFetch): a hit at time ``now`` on an
  entry that took ``delta`` seconds to compute also refreshes it when
  ``now - delta * early_beta * ln(u) >= expiry``, so one request refreshes the key shortly before
  it expires instead of every request missing at once after.

Observations: the database observes ``load`` (a key, per read it serves) and ``committed``
``(key, version, value)``; the cache ``served`` ``(key, version or None, hit)``; the client ``acked``
``(key, value)`` per acknowledged write.

References
----------
.. [1] A. Vattani, F. Chierichetti and K. Lowenstein, "Optimal probabilistic cache stampede
   prevention", PVLDB 8(8), 2015.
.. [2] B. H. Bloom, "Space/time trade-offs in hash coding with allowable errors", CACM 13(7), 1970.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from dsysedu.sim.node import Node
from dsysedu.sim.validate import number, positive_int
from .sharding import stable_hash

__all__ = ["Read", "Write", "ReadOk", "WriteOk", "DbRead", "DbWrite", "DbReadOk", "DbWriteOk", "BloomFilter",
           "Database", "CacheServer", "CacheClient", "DirectWriter", "WRITE_POLICIES", "DB", "CACHE", "CLIENT",
           "WRITER"]

DB, CACHE, CLIENT, WRITER = "db", "cache", "client", "writer"
WRITE_POLICIES = ("through", "back", "around")


@dataclass(frozen=True)
class Read:
    rid: int
    key: int


@dataclass(frozen=True)
class Write:
    rid: int
    key: int
    value: int


@dataclass(frozen=True)
class ReadOk:
    rid: int
    key: int
    value: object
    version: object


@dataclass(frozen=True)
class WriteOk:
    rid: int
    key: int


@dataclass(frozen=True)
class DbRead:
    rid: int
    key: int


@dataclass(frozen=True)
class DbWrite:
    rid: int
    key: int
    value: int


@dataclass(frozen=True)
class DbReadOk:
    rid: int
    key: int
    value: object
    version: object
    cost: float


@dataclass(frozen=True)
class DbWriteOk:
    rid: int
    key: int
    version: int


class BloomFilter:
    """A Bloom filter: ``m`` bits, ``k`` hashes; never a false negative, false positives at about
    ``(1 - exp(-k n / m)) ** k`` for ``n`` keys.

    >>> b = BloomFilter(range(100), bits=1000, hashes=5)
    >>> all(k in b for k in range(100))
    True
    """

    def __init__(self, keys=(), bits: int = 8192, hashes: int = 4):
        self.bits = positive_int("bits", bits)
        self.hashes = positive_int("hashes", hashes)
        self.array = bytearray(self.bits)
        for k in keys:
            self.add(k)

    def _positions(self, key):
        h = stable_hash("bloom", key)
        h1, h2 = h & 0xFFFFFFFF, h >> 32 | 1            # double hashing (Kirsch and Mitzenmacher)
        return [(h1 + i * h2) % self.bits for i in range(self.hashes)]

    def add(self, key) -> None:
        for i in self._positions(key):
            self.array[i] = 1

    def __contains__(self, key) -> bool:
        return all(self.array[i] for i in self._positions(key))


class Database(Node):
    """Keys ``0 .. keys-1`` exist (value = key, version 0 at start); others are "not found" (None).

    Parameters
    ----------
    keys : int
    read_time : float
        Seconds to answer a read (what a miss costs; the ``delta`` of XFetch).
    """
    durable = ("data",)

    def __init__(self, node_id, peers=(), keys=100, read_time=0.01):
        super().__init__(node_id, peers)
        self.keys = positive_int("keys", keys)
        self.read_time = number("read_time", read_time, low=0.0)
        self.data = {k: (k, 0) for k in range(self.keys)}

    def on_message(self, ctx, src, msg):
        if isinstance(msg, DbRead):
            ctx.observe("load", msg.key)
            ctx.set_timer(("answer", src, msg.rid, msg.key), self.read_time)
        elif isinstance(msg, DbWrite):
            _, version = self.data.get(msg.key, (None, -1))
            self.data[msg.key] = (msg.value, version + 1)
            ctx.observe("committed", (msg.key, version + 1, msg.value))
            ctx.send(src, DbWriteOk(msg.rid, msg.key, version + 1))

    def on_timer(self, ctx, name):
        _, src, rid, key = name
        value, version = self.data.get(key, (None, None))
        ctx.send(src, DbReadOk(rid, key, value, version, self.read_time))


class CacheServer(Node):
    """Cache-aside reads, a write policy, TTLs and the remedies of the module docstring.

    Parameters
    ----------
    write : {"through", "back", "around"}
    ttl : float or None
        Seconds an entry lives (None: forever).
    ttl_jitter : float
        Each entry lives ``ttl * (1 + ttl_jitter * u)``.
    negative_ttl : float or None
        Cache "not found" for this long (None: do not).
    bloom : BloomFilter or None
        Keys it rules out are answered "not found" without asking the database.
    early_beta : float or None
        XFetch's beta (1.0 in the paper's experiments); None: no early recomputation.
    prefill : int
        Start with keys ``0 .. prefill-1`` cached (loaded at time 0), as after a warm-up.
    prefill_cost : float
        The computation time recorded for the prefilled entries (XFetch's delta).
    flush_every : float
        Seconds between flushes of dirty keys (``write="back"``).
    """

    def __init__(self, node_id, peers=(), db=DB, write="through", ttl=None, ttl_jitter=0.0, negative_ttl=None,
                 bloom=None, early_beta=None, prefill=0, prefill_cost=0.0, flush_every=1.0):
        super().__init__(node_id, peers)
        if write not in WRITE_POLICIES:
            raise ValueError(f"write must be one of {WRITE_POLICIES}, got {write!r}")
        self.db, self.write = db, write
        self.ttl = None if ttl is None else number("ttl", ttl, low=0.0, low_open=True)
        self.ttl_jitter = number("ttl_jitter", ttl_jitter, low=0.0)
        self.negative_ttl = None if negative_ttl is None else number("negative_ttl", negative_ttl, low=0.0, low_open=True)
        if bloom is not None and not isinstance(bloom, BloomFilter):
            raise TypeError(f"bloom must be a BloomFilter or None, got {type(bloom).__name__}")
        self.bloom = bloom
        self.early_beta = None if early_beta is None else number("early_beta", early_beta, low=0.0, low_open=True)
        self.prefill = positive_int("prefill", prefill, low=0)
        self.prefill_cost = number("prefill_cost", prefill_cost, low=0.0)
        self.flush_every = number("flush_every", flush_every, low=0.0, low_open=True)
        self.entries: dict = {}          # key -> (value, version, expiry, delta)
        self.dirty: dict = {}            # key -> value (write-back)
        self.pending: dict = {}          # rid -> (client, client rid, key, kind, value written)
        self.next_rid = 0

    def expiry(self, ctx, ttl) -> float:
        if ttl is None:
            return math.inf
        return ctx.now + ttl * (1 + self.ttl_jitter * ctx.rng.random())

    def on_start(self, ctx):
        for k in range(self.prefill):
            self.entries[k] = (k, 0, self.expiry(ctx, self.ttl), self.prefill_cost)
        if self.write == "back":
            ctx.set_timer("flush", self.flush_every)

    def ask_db(self, ctx, msg_type, client, crid, key, kind, *args) -> None:
        rid = self.next_rid
        self.next_rid += 1
        self.pending[rid] = (client, crid, key, kind, args[0] if args else None)
        ctx.send(self.db, msg_type(rid, key, *args))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Read):
            self.read(ctx, src, msg)
        elif isinstance(msg, Write):
            if self.write == "back":
                version = self.entries.get(msg.key, (None, -1))[1]
                self.entries[msg.key] = (msg.value, version, self.expiry(ctx, self.ttl), 0.0)
                self.dirty[msg.key] = msg.value
                ctx.send(src, WriteOk(msg.rid, msg.key))
            else:
                if self.write == "around":
                    self.entries.pop(msg.key, None)
                self.ask_db(ctx, DbWrite, src, msg.rid, msg.key, "write", msg.value)
        elif isinstance(msg, DbReadOk):
            client, crid, key, kind, _ = self.pending.pop(msg.rid)
            ttl = self.ttl if msg.value is not None else self.negative_ttl
            if msg.value is not None or self.negative_ttl is not None:
                self.entries[key] = (msg.value, msg.version, self.expiry(ctx, ttl), msg.cost)
            if kind == "read":
                self.serve(ctx, client, crid, key, msg.value, msg.version, False)
        elif isinstance(msg, DbWriteOk):
            client, crid, key, kind, value = self.pending.pop(msg.rid)
            if self.write == "through":
                self.entries[key] = (value, msg.version, self.expiry(ctx, self.ttl), 0.0)
            elif kind == "flush" and self.entries.get(key, (None,))[0] == value:
                self.entries[key] = (value, msg.version) + self.entries[key][2:]
            if client is not None:
                ctx.send(client, WriteOk(crid, key))

    def read(self, ctx, src, msg) -> None:
        key = msg.key
        if self.bloom is not None and key not in self.bloom:
            self.serve(ctx, src, msg.rid, key, None, None, True)
            return
        entry = self.entries.get(key)
        if entry is not None and ctx.now < entry[2]:
            value, version, expiry, delta = entry
            if self.early_beta is not None and delta > 0 and \
                    ctx.now - delta * self.early_beta * math.log(1.0 - ctx.rng.random()) >= expiry:
                self.ask_db(ctx, DbRead, None, None, key, "refresh")   # XFetch: refresh early, serve the hit
            self.serve(ctx, src, msg.rid, key, value, version, True)
            return
        self.ask_db(ctx, DbRead, src, msg.rid, key, "read")

    def serve(self, ctx, client, rid, key, value, version, hit) -> None:
        ctx.observe("served", (key, version, hit))
        ctx.send(client, ReadOk(rid, key, value, version))

    def on_timer(self, ctx, name):
        if name == "flush":
            for key in sorted(self.dirty):
                self.ask_db(ctx, DbWrite, None, None, key, "flush", self.dirty[key])
            self.dirty = {}
            ctx.set_timer("flush", self.flush_every)



class CacheClient(Node):
    """Reads and writes through the cache at Poisson times until ``stop``.

    Parameters
    ----------
    read_rate, write_rate : float
        Operations per second (0: none of that kind).
    keys : int
        Existing keys ``0 .. keys-1`` it asks for (uniformly, or ``hot`` only).
    hot : int or None
        Ask only for this key.
    missing : float
        Share of reads for keys that do not exist.
    missing_space : int
        How many distinct missing keys (``keys .. keys+missing_space-1``): few means the same
        missing keys again and again, many means a fresh one nearly every time (an attack).
    stop : float
        No new operation after this time.
    """

    def __init__(self, node_id, peers=(), cache=CACHE, read_rate=50.0, write_rate=0.0, keys=100, hot=None,
                 missing=0.0, missing_space=10, stop=10.0):
        super().__init__(node_id, peers)
        self.cache = cache
        self.read_rate = number("read_rate", read_rate, low=0.0)
        self.write_rate = number("write_rate", write_rate, low=0.0)
        self.keys = positive_int("keys", keys)
        self.hot = hot
        self.missing = number("missing", missing, low=0.0, high=1.0)
        self.missing_space = positive_int("missing_space", missing_space)
        self.stop = number("stop", stop, low=0.0)
        self.next_rid = 0
        self.writes: dict = {}          # rid -> (key, value)

    def on_start(self, ctx):
        for kind, rate in (("read", self.read_rate), ("write", self.write_rate)):
            if rate > 0:
                ctx.set_timer(kind, ctx.rng.expovariate(rate))

    def pick(self, rng) -> int:
        if self.missing and rng.random() < self.missing:
            return self.keys + rng.randrange(self.missing_space)
        return self.hot if self.hot is not None else rng.randrange(self.keys)

    def on_timer(self, ctx, name):
        if ctx.now >= self.stop:
            return
        rid = self.next_rid
        self.next_rid += 1
        if name == "read":
            ctx.send(self.cache, Read(rid, self.pick(ctx.rng)))
        else:
            key = ctx.rng.randrange(self.keys)
            self.writes[rid] = (key, 1000 + rid)
            ctx.send(self.cache, Write(rid, key, 1000 + rid))
        ctx.set_timer(name, ctx.rng.expovariate(self.read_rate if name == "read" else self.write_rate))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, WriteOk) and msg.rid in self.writes:
            ctx.observe("acked", self.writes.pop(msg.rid))


class DirectWriter(Node):
    """Another service: writes random existing keys straight to the database, ``rate`` per second, until ``stop``."""

    def __init__(self, node_id, peers=(), db=DB, rate=5.0, keys=100, stop=10.0):
        super().__init__(node_id, peers)
        self.db = db
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.keys = positive_int("keys", keys)
        self.stop = number("stop", stop, low=0.0)
        self.count = 0

    def on_start(self, ctx):
        ctx.set_timer("write", ctx.rng.expovariate(self.rate))

    def on_timer(self, ctx, name):
        if ctx.now < self.stop:
            self.count += 1
            ctx.send(self.db, DbWrite(self.count, ctx.rng.randrange(self.keys), -self.count))
            ctx.set_timer("write", ctx.rng.expovariate(self.rate))
