"""Which key to evict (缓存淘汰): LRU, LFU and ARC, and Che's approximation of LRU's hit ratio.

Each policy is a small cache of ``capacity`` keys with one method, ``access(key) -> bool``
(True on a hit; on a miss the key is brought in, evicting another if full):

- :class:`LRU` evicts the key used least recently;
- :class:`LFU` evicts the key used least often (ties: least recently), counting only while a key
  is cached;
- :class:`ARC` (Megiddo and Modha's Adaptive Replacement Cache [1]_) keeps a recency list and a
  frequency list, remembers the keys it recently evicted from each ("ghosts"), and moves the
  split between the two lists towards whichever list's ghosts are being asked for again.

:func:`hit_ratio` replays a request stream through a policy. :func:`zipf_requests` draws an
independent-reference stream (each request independent, key ``i`` with probability ∝ 1/i^s).
Under that stream, Che's approximation [2]_ predicts LRU's hit ratio: there is a *characteristic
time* T such that a key stays cached iff it is asked for again within T; T solves
``sum_i (1 - exp(-p_i T)) = capacity`` and the hit ratio is ``sum_i p_i (1 - exp(-p_i T))``
(:func:`che_hit_ratio`). It is an approximation, known to be very close for Zipf popularity [3]_.

References
----------
.. [1] N. Megiddo and D. S. Modha, "ARC: a self-tuning, low overhead replacement cache", FAST 2003.
.. [2] H. Che, Y. Tung and Z. Wang, "Hierarchical web caching systems: modeling, design and
   experimental results", IEEE JSAC 20(7), 2002.
.. [3] C. Fricker, P. Robert and J. Roberts, "A versatile and accurate approximation for LRU cache
   performance", ITC 2012.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pandas as pd

from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import number, positive_int

__all__ = ["LRU", "LFU", "ARC", "POLICIES", "hit_ratio", "zipf_requests", "che_hit_ratio", "hit_ratio_table", "shifting_requests",
           "cachetools_hit_ratio"]


class LRU:
    """Least recently used."""
    name = "LRU"

    def __init__(self, capacity: int):
        self.capacity = positive_int("capacity", capacity)
        self.keys: OrderedDict = OrderedDict()

    def access(self, key) -> bool:
        if key in self.keys:
            self.keys.move_to_end(key)
            return True
        if len(self.keys) >= self.capacity:
            self.keys.popitem(last=False)
        self.keys[key] = None
        return False


class LFU:
    """Least frequently used (while cached); ties go to the least recently used."""
    name = "LFU"

    def __init__(self, capacity: int):
        self.capacity = positive_int("capacity", capacity)
        self.count: dict = {}
        self.buckets: dict = {}          # count -> OrderedDict of keys, oldest first
        self.low = 0

    def _bump(self, key) -> None:
        c = self.count[key]
        del self.buckets[c][key]
        if not self.buckets[c]:
            del self.buckets[c]
            if self.low == c:
                self.low = c + 1
        self.count[key] = c + 1
        self.buckets.setdefault(c + 1, OrderedDict())[key] = None

    def access(self, key) -> bool:
        if key in self.count:
            self._bump(key)
            return True
        if len(self.count) >= self.capacity:
            victim, _ = self.buckets[self.low].popitem(last=False)
            if not self.buckets[self.low]:
                del self.buckets[self.low]
            del self.count[victim]
        self.count[key] = 1
        self.buckets.setdefault(1, OrderedDict())[key] = None
        self.low = 1
        return False


class ARC:
    """Adaptive Replacement Cache, as in Figure 4 of Megiddo and Modha (2003)."""
    name = "ARC"

    def __init__(self, capacity: int):
        self.capacity = positive_int("capacity", capacity)
        self.p = 0.0                                   # target size of T1
        self.t1, self.t2 = OrderedDict(), OrderedDict()  # cached: seen once recently / at least twice
        self.b1, self.b2 = OrderedDict(), OrderedDict()  # ghosts evicted from t1 / t2

    def _replace(self, in_b2: bool) -> None:
        if self.t1 and (len(self.t1) > self.p or (in_b2 and len(self.t1) == self.p)):
            k, _ = self.t1.popitem(last=False)
            self.b1[k] = None
        else:
            k, _ = self.t2.popitem(last=False)
            self.b2[k] = None

    def access(self, key) -> bool:
        c = self.capacity
        if key in self.t1 or key in self.t2:           # case I: a hit
            (self.t1 if key in self.t1 else self.t2).pop(key)
            self.t2[key] = None
            return True
        if key in self.b1:                             # case II: a recency ghost: grow T1's target
            self.p = min(c, self.p + max(len(self.b2) / len(self.b1), 1))
            self._replace(False)
            del self.b1[key]
            self.t2[key] = None
            return False
        if key in self.b2:                             # case III: a frequency ghost: shrink T1's target
            self.p = max(0.0, self.p - max(len(self.b1) / len(self.b2), 1))
            self._replace(True)
            del self.b2[key]
            self.t2[key] = None
            return False
        l1 = len(self.t1) + len(self.b1)               # case IV: a new key
        if l1 == c:
            if len(self.t1) < c:
                self.b1.popitem(last=False)
                self._replace(False)
            else:
                self.t1.popitem(last=False)
        elif l1 < c and l1 + len(self.t2) + len(self.b2) >= c:
            if l1 + len(self.t2) + len(self.b2) == 2 * c:
                self.b2.popitem(last=False)
            self._replace(False)
        self.t1[key] = None
        return False


POLICIES = {"LRU": LRU, "LFU": LFU, "ARC": ARC}


def hit_ratio(policy, requests, warmup: int = 0) -> float:
    """The share of ``requests`` (after the first ``warmup``) that ``policy`` answers from the cache."""
    hits = total = 0
    for i, k in enumerate(requests):
        h = policy.access(k)
        if i >= warmup:
            hits += h
            total += 1
    if total == 0:
        raise ValueError("hit_ratio needs more requests than warmup")
    return hits / total


def zipf_requests(n_keys: int, n_requests: int, exponent: float = 0.8, seed=None) -> np.ndarray:
    """``n_requests`` independent requests over keys ``0 .. n_keys-1``, key ``i`` with probability ∝ 1/(i+1)^s."""
    n = positive_int("n_keys", n_keys)
    positive_int("n_requests", n_requests)
    p = _zipf(n, number("exponent", exponent, low=0.0))
    return np.random.default_rng(normalize_seed(seed)).choice(n, size=n_requests, p=p)


def shifting_requests(n_keys: int, n_requests: int, exponent: float = 0.8, phases: int = 4, seed=None) -> np.ndarray:
    """Zipf requests whose hot keys change ``phases`` times: each phase renames the keys at random.

    A frequency count learnt in one phase is wrong in the next; this is where LFU suffers and an
    adaptive policy (ARC) does not.
    """
    rng = np.random.default_rng(normalize_seed(seed))
    reqs = zipf_requests(n_keys, n_requests, exponent, rng.integers(2 ** 32))
    for phase, part in enumerate(np.array_split(np.arange(n_requests), positive_int("phases", phases))):
        reqs[part] = rng.permutation(n_keys)[reqs[part]] if phase else reqs[part]
    return reqs


def _zipf(n: int, s: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def che_hit_ratio(capacity: int, n_keys: int, exponent: float = 0.8) -> float:
    """Che's approximation of LRU's hit ratio for Zipf(``exponent``) requests over ``n_keys`` keys.

    >>> round(che_hit_ratio(1, 1), 6)   # one key, one slot: every request after the first hits
    1.0
    """
    c = positive_int("capacity", capacity)
    n = positive_int("n_keys", n_keys)
    p = _zipf(n, number("exponent", exponent, low=0.0))
    if c >= n:
        return 1.0

    def occupancy(t):
        return float(np.sum(-np.expm1(-p * t)))

    lo, hi = 0.0, 1.0
    while occupancy(hi) < c:
        hi *= 2
    for _ in range(100):                              # bisection on the characteristic time
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if occupancy(mid) < c else (lo, mid)
    t = (lo + hi) / 2
    return float(np.sum(p * -np.expm1(-p * t)))


def hit_ratio_table(capacities, n_keys: int = 1000, n_requests: int = 50_000, exponent: float = 0.8,
                    seeds=range(1), policies=("LRU", "LFU", "ARC"), shifting: bool = False) -> pd.DataFrame:
    """Hit ratio per policy and cache size on Zipf requests (the first 20 % of each stream warm up).

    Long form: ``policy, capacity, seed, hit_ratio``; plus ``Che (LRU)`` rows with the approximation
    (for a stationary stream only). ``shifting`` uses :func:`shifting_requests` instead.
    """
    rows = []
    for seed in seeds:
        draw = shifting_requests if shifting else zipf_requests
        reqs = draw(n_keys, n_requests, exponent, seed=seed).tolist()
        for c in capacities:
            for name in policies:
                rows.append({"policy": name, "capacity": c, "seed": seed,
                             "hit_ratio": hit_ratio(POLICIES[name](c), reqs, warmup=n_requests // 5)})
    for c in capacities if not shifting else ():
        rows.append({"policy": "Che (LRU)", "capacity": c, "seed": -1,
                     "hit_ratio": che_hit_ratio(c, n_keys, exponent)})
    return pd.DataFrame(rows)


def cachetools_hit_ratio(kind: str, capacity: int, requests, warmup: int = 0) -> float:
    """The hit ratio of ``cachetools.LRUCache`` / ``LFUCache`` on the same requests, to set beside ours."""
    import cachetools
    classes = {"LRU": cachetools.LRUCache, "LFU": cachetools.LFUCache}
    if kind not in classes:
        raise ValueError(f"kind must be one of {sorted(classes)}, got {kind!r}")
    cache = classes[kind](maxsize=positive_int("capacity", capacity))
    hits = total = 0
    for i, k in enumerate(requests):
        hit = k in cache
        if hit:
            cache[k]              # a read counts as a use
        else:
            cache[k] = True
        if i >= warmup:
            hits += hit
            total += 1
    return hits / total
