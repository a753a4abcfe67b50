"""Sharding (分片): which node holds a key, and what moves when a node joins or leaves.

Five ways to place keys (integers ``0 .. K-1`` here; any key is hashed through its ``str``):

=======================  ============================================================  ==================
strategy                 rule                                                          on a join, moves
=======================  ============================================================  ==================
:class:`RangeSharding`   contiguous key ranges, one per node; a new node splits         half of one shard
                         the largest range                                             (~K/2N)
:class:`ModNSharding`    ``hash(key) mod N``                                           nearly all (1 - 1/(N+1))
:class:`HashRing`        consistent hashing [1]_: each node at ``vnodes`` points of     ~K/(N+1)
                         a ring; a key goes to the next point clockwise
:class:`Rendezvous`      highest random weight [2]_: the node with the largest          ~K/(N+1)
                         ``hash(node, key)``
:class:`JumpSharding`    jump consistent hash [3]_: buckets ``0 .. N-1``, no state      ~K/(N+1); only the
                                                                                       last bucket can leave
=======================  ============================================================  ==================

Every strategy answers ``node_for(key)`` and ``with_nodes(nodes)`` (the placement after a change
of membership). :func:`moved_fraction`, :func:`load_imbalance` (max/mean keys per node),
:func:`hotspot` (the same under Zipf-skewed popularity) and :func:`shards_touched` (a range
query's fan-out) measure them.

References
----------
.. [1] D. Karger et al., "Consistent hashing and random trees", STOC 1997.
.. [2] D. G. Thaler and C. V. Ravishankar, "Using name-based mappings to increase hit rates",
   IEEE/ACM ToN 6(1), 1998.
.. [3] J. Lamping and E. Veach, "A fast, minimal memory, consistent hash algorithm", arXiv:1406.2294, 2014.
"""
from __future__ import annotations

import bisect
import hashlib

import numpy as np
import pandas as pd

from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import number, positive_int

__all__ = ["stable_hash", "jump_hash", "RangeSharding", "ModNSharding", "HashRing", "Rendezvous", "JumpSharding",
           "STRATEGIES", "moved_fraction", "load_imbalance", "zipf_popularity", "hotspot", "shards_touched",
           "uhashring_ring", "rebalance_table", "vnode_table", "hotspot_table"]


def stable_hash(*parts) -> int:
    """A 64-bit hash of the ``str`` of ``parts`` that is the same in every run (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def jump_hash(key: int, buckets: int) -> int:
    """Lamping and Veach's jump consistent hash: the bucket in ``[0, buckets)`` of a 64-bit ``key``.

    When ``buckets`` grows by one, a key either stays or jumps to the new bucket.

    >>> [jump_hash(k, 1) for k in range(3)]
    [0, 0, 0]
    >>> all(jump_hash(k, 10) in (jump_hash(k, 9), 9) for k in range(1000))
    True
    """
    positive_int("buckets", buckets)
    key &= 0xFFFFFFFFFFFFFFFF
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def _check_nodes(nodes) -> tuple:
    nodes = tuple(nodes)
    if not nodes:
        raise ValueError("a sharding needs at least one node")
    if len(set(nodes)) != len(nodes):
        raise ValueError(f"node names must be distinct, got {list(nodes)}")
    return nodes


class ModNSharding:
    """``nodes[hash(key) mod N]``."""
    name = "mod N"

    def __init__(self, nodes):
        self.nodes = _check_nodes(nodes)

    def node_for(self, key):
        return self.nodes[stable_hash(key) % len(self.nodes)]

    def with_nodes(self, nodes):
        return type(self)(nodes)


class HashRing:
    """Consistent hashing: ``vnodes`` points per node on a 64-bit ring; a key goes to the next point.

    >>> ring = HashRing(["a", "b", "c"], vnodes=50)
    >>> ring.node_for(42) in ("a", "b", "c")
    True
    """
    name = "consistent hashing"

    def __init__(self, nodes, vnodes: int = 100):
        self.nodes = _check_nodes(nodes)
        self.vnodes = positive_int("vnodes", vnodes)
        points = sorted((stable_hash(n, i), n) for n in sorted(self.nodes, key=str) for i in range(self.vnodes))
        self._hashes = [h for h, _ in points]
        self._owners = [n for _, n in points]

    def points(self) -> list:
        """The ring as ``(position, node)`` pairs, in order of position."""
        return list(zip(self._hashes, self._owners))

    def node_for(self, key):
        i = bisect.bisect_left(self._hashes, stable_hash(key))      # the first point at or after the key
        return self._owners[i % len(self._owners)]

    def with_nodes(self, nodes):
        return type(self)(nodes, self.vnodes)


class Rendezvous:
    """Highest random weight: the node with the largest ``hash(node, key)``."""
    name = "rendezvous"

    def __init__(self, nodes):
        self.nodes = _check_nodes(nodes)

    def node_for(self, key):
        return max(self.nodes, key=lambda n: (stable_hash(n, key), str(n)))

    def with_nodes(self, nodes):
        return type(self)(nodes)


class JumpSharding:
    """Jump consistent hash over ``nodes`` in order: bucket ``i`` is ``nodes[i]``.

    Nodes can only be added or removed at the end (the algorithm numbers buckets); ``with_nodes``
    refuses any other change.
    """
    name = "jump hash"

    def __init__(self, nodes):
        self.nodes = _check_nodes(nodes)

    def node_for(self, key):
        return self.nodes[jump_hash(stable_hash(key), len(self.nodes))]

    def with_nodes(self, nodes):
        nodes = tuple(nodes)
        k = min(len(nodes), len(self.nodes))
        if nodes[:k] != self.nodes[:k]:
            raise ValueError("jump hash numbers its buckets: nodes can only be added or removed at the end "
                             f"(had {list(self.nodes)}, asked for {list(nodes)})")
        return type(self)(nodes)


class RangeSharding:
    """Contiguous ranges of the key space ``[0, key_space)``, one per node, in order.

    ``with_nodes`` with one node more splits the range holding the most keys in two (the new node
    takes its upper half); with one node fewer, the leaving node's range joins its lower neighbour
    (the upper one, for the first node). Other changes are refused.
    """
    name = "range"

    def __init__(self, nodes, key_space: int = 10_000, bounds=None):
        self.nodes = _check_nodes(nodes)
        self.key_space = positive_int("key_space", key_space)
        n = len(self.nodes)
        # bounds[i] is the first key of nodes[i]'s range
        self.bounds = tuple(bounds) if bounds is not None else tuple(i * self.key_space // n for i in range(n))
        if len(self.bounds) != n or list(self.bounds) != sorted(self.bounds):
            raise ValueError(f"bounds must be {n} sorted first keys, got {self.bounds}")

    def node_for(self, key):
        return self.nodes[bisect.bisect_right(self.bounds, key) - 1]

    def ranges(self) -> dict:
        ends = self.bounds[1:] + (self.key_space,)
        return {n: (lo, hi) for n, lo, hi in zip(self.nodes, self.bounds, ends)}

    def with_nodes(self, nodes):
        nodes = tuple(nodes)
        added = [n for n in nodes if n not in self.nodes]
        removed = [n for n in self.nodes if n not in nodes]
        ranges = self.ranges()
        if len(added) == 1 and not removed:
            big = max(self.nodes, key=lambda n: (ranges[n][1] - ranges[n][0], -self.nodes.index(n)))
            lo, hi = ranges[big]
            i = self.nodes.index(big) + 1
            return type(self)(self.nodes[:i] + tuple(added) + self.nodes[i:], self.key_space,
                              self.bounds[:i] + ((lo + hi) // 2,) + self.bounds[i:])
        if len(removed) == 1 and not added and len(nodes) >= 1:
            i = self.nodes.index(removed[0])
            bounds = list(self.bounds)
            if i == 0:
                bounds.pop(1)
            else:
                bounds.pop(i)
            return type(self)(nodes, self.key_space, bounds)
        raise ValueError("range sharding here changes one node at a time (add one or remove one)")


#: strategy name -> a function nodes -> strategy, for sweeps
STRATEGIES = {"range": RangeSharding, "mod N": ModNSharding, "consistent hashing": HashRing,
              "rendezvous": Rendezvous, "jump hash": JumpSharding}


def moved_fraction(strategy, keys, nodes) -> float:
    """The share of ``keys`` whose node changes when ``strategy`` moves to ``nodes``.

    >>> keys = range(2000)
    >>> moved_fraction(ModNSharding(["a", "b", "c"]), keys, ["a", "b", "c", "d"]) > 0.6
    True
    >>> moved_fraction(HashRing(["a", "b", "c"]), keys, ["a", "b", "c", "d"]) < 0.4
    True
    """
    after = strategy.with_nodes(nodes)
    keys = list(keys)
    if not keys:
        raise ValueError("moved_fraction needs at least one key")
    return sum(strategy.node_for(k) != after.node_for(k) for k in keys) / len(keys)


def load_imbalance(strategy, keys, weights=None) -> float:
    """Max over mean of the load per node: keys per node, or the sum of ``weights`` (per key) per node."""
    keys = list(keys)
    w = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != len(keys):
        raise ValueError(f"weights must have one value per key ({len(keys)}), got {len(w)}")
    load = dict.fromkeys(strategy.nodes, 0.0)
    for k, x in zip(keys, w):
        load[strategy.node_for(k)] += x
    values = np.array(list(load.values()))
    return float(values.max() / values.mean())


def zipf_popularity(n_keys: int, exponent: float = 1.0, seed=None) -> np.ndarray:
    """Request probabilities of ``n_keys`` keys, Zipf with ``exponent``, in a random key order.

    The ranks are shuffled with ``seed`` so that the hot keys are not simply the first ones (which
    would all sit in the first range of a range sharding).
    """
    n = positive_int("n_keys", n_keys)
    s = number("exponent", exponent, low=0.0)
    p = 1.0 / np.arange(1, n + 1) ** s
    p /= p.sum()
    return np.random.default_rng(normalize_seed(seed)).permutation(p)


def hotspot(strategy, keys, exponent: float = 1.0, seed=None) -> float:
    """Load imbalance (max/mean requests per node) when the keys' popularity is Zipf-skewed."""
    keys = list(keys)
    return load_imbalance(strategy, keys, zipf_popularity(len(keys), exponent, seed))


def shards_touched(strategy, lo: int, hi: int) -> int:
    """How many nodes a range query over keys ``lo .. hi-1`` must ask (the scatter of scatter-gather)."""
    if hi <= lo:
        raise ValueError(f"a range query needs lo < hi, got {lo}, {hi}")
    return len({strategy.node_for(k) for k in range(lo, hi)})


def uhashring_ring(nodes, vnodes: int = 100):
    """A ``uhashring.HashRing`` over ``nodes`` with the same ``node_for``/``with_nodes`` interface, to set
    beside :class:`HashRing` (uhashring places its points with md5, as ketama does)."""
    from uhashring import HashRing as _Ring

    class _Adapter:
        name = "uhashring"

        def __init__(self, ns):
            self.nodes = _check_nodes(ns)
            self._ring = _Ring(nodes=list(self.nodes), vnodes=vnodes)

        def node_for(self, key):
            return self._ring.get_node(str(key))

        def with_nodes(self, ns):
            return _Adapter(ns)

    return _Adapter(nodes)


def _nodes(n: int) -> list:
    return [f"n{i:02d}" for i in range(positive_int("nodes", n))]


def rebalance_table(nodes: int = 10, keys: int = 20_000, strategies=tuple(STRATEGIES), vnodes: int = 100):
    """Share of keys moved when one node joins (``n`` -> ``n+1``) and when the last one leaves.

    Returns a DataFrame indexed by strategy with columns ``join``, ``leave``, and the minimum a
    placement must move, ``1/(n+1)`` and ``1/n``, in the index row ``"minimum"``.
    """
    ns, ks = _nodes(nodes), range(keys)
    rows = {}
    for name in strategies:
        make = STRATEGIES[name]
        s = make(ns, keys) if name == "range" else HashRing(ns, vnodes) if name == "consistent hashing" else make(ns)
        rows[name] = {"join": moved_fraction(s, ks, ns + [f"n{nodes:02d}"]), "leave": moved_fraction(s, ks, ns[:-1])}
    u = uhashring_ring(ns, vnodes)
    rows["uhashring"] = {"join": moved_fraction(u, ks, ns + [f"n{nodes:02d}"]), "leave": moved_fraction(u, ks, ns[:-1])}
    rows["minimum"] = {"join": 1 / (nodes + 1), "leave": 1 / nodes}
    return pd.DataFrame(rows).T


def vnode_table(vnodes=(1, 3, 10, 30, 100, 300), nodes: int = 10, keys: int = 20_000, seeds=range(4)):
    """Load imbalance (max/mean keys per node) of the ring against virtual nodes per server, ours and uhashring's.

    Each seed names the servers differently (``s{seed}-n{i}``), which places them elsewhere on the ring.
    Long form: ``ring, vnodes, seed, imbalance``.
    """
    ks = range(keys)
    rows = []
    for seed in seeds:
        ns = [f"s{seed}-n{i}" for i in range(positive_int("nodes", nodes))]
        for v in vnodes:
            rows.append({"ring": "ours", "vnodes": v, "seed": seed, "imbalance": load_imbalance(HashRing(ns, v), ks)})
            rows.append({"ring": "uhashring", "vnodes": v, "seed": seed,
                         "imbalance": load_imbalance(uhashring_ring(ns, v), ks)})
    return pd.DataFrame(rows)


def hotspot_table(exponents=(0.0, 0.4, 0.8, 1.0, 1.2), nodes: int = 10, keys: int = 10_000,
                  strategies=("range", "mod N", "consistent hashing"), seeds=range(3)):
    """Load imbalance of requests under Zipf popularity with each ``exponent``: long form
    ``strategy, exponent, seed, imbalance``. The hottest key alone is a share ``1/H(keys, s)`` of all requests."""
    ns, ks = _nodes(nodes), range(keys)
    rows = []
    for name in strategies:
        s = STRATEGIES[name](ns, keys) if name == "range" else STRATEGIES[name](ns)
        for e in exponents:
            for seed in seeds:
                rows.append({"strategy": name, "exponent": e, "seed": seed, "imbalance": hotspot(s, ks, e, seed)})
    return pd.DataFrame(rows)
