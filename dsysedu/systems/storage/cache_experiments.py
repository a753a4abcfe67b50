"""Cache experiments: write policies under a crash, the stale-read window, and the three troubles.

Built on the nodes of :mod:`.cache_nodes`. Each function runs seeded scenarios and returns a
table; the chapter (``04_2_storage.ipynb``) draws them.

- :func:`cache_scenario` and :func:`cache_summary`: hit ratio, database reads, acknowledged writes
  and how many of them the database never received (:func:`lost_writes`: write-back under a crash);
- :func:`stale_reads`: each read the cache answered with a version older than the database's,
  and for how long the newer one had been committed (the stale-read window; for cache-aside
  with a TTL it is bounded by the TTL);
- :func:`db_load`: database reads per second over time;
- :func:`penetration_table`, :func:`avalanche_table`, :func:`stampede_table`: database load with
  and without each remedy.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dsysedu.sim.faults import Crash
from dsysedu.sim.kernel import run
from dsysedu.sim.network import LinkModel
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number
from .cache_nodes import CACHE, CLIENT, DB, WRITER, BloomFilter, CacheClient, CacheServer, Database, DirectWriter

__all__ = ["cache_scenario", "cache_summary", "lost_writes", "stale_reads", "db_load", "penetration_table",
           "avalanche_table", "stampede_table", "staleness_table", "write_policy_table"]


def cache_scenario(write: str = "through", ttl=None, keys: int = 100, read_rate: float = 50.0,
                   write_rate: float = 0.0, hot=None, missing: float = 0.0, missing_space: int = 10,
                   writer_rate: float = 0.0, read_time: float = 0.01, stop: float = 10.0, until: float | None = None,
                   faults=(), **cache) -> Scenario:
    """Client, cache and database (and a :class:`DirectWriter` when ``writer_rate`` > 0).

    ``cache`` holds further :class:`CacheServer` parameters (``ttl_jitter``, ``negative_ttl``,
    ``bloom``, ``early_beta``, ``prefill``, ``flush_every``).

    Examples
    --------
    >>> s = cache_summary(run(cache_scenario(ttl=5.0, read_rate=100.0, stop=5.0), seed=1))
    >>> s["hit_ratio"] > 0.5
    True
    """
    protocol = {CLIENT: CacheClient, CACHE: CacheServer, DB: Database}
    params = {CLIENT: {"read_rate": read_rate, "write_rate": write_rate, "keys": keys, "hot": hot,
                       "missing": missing, "missing_space": missing_space, "stop": stop},
              CACHE: {"write": write, "ttl": ttl, **cache},
              DB: {"keys": keys, "read_time": read_time}}
    if writer_rate > 0:
        protocol[WRITER] = DirectWriter
        params[WRITER] = {"rate": writer_rate, "keys": keys, "stop": stop}
    return Scenario(protocol, nodes=sorted(protocol), node_params=params, link=LinkModel(latency=0.001),
                    faults=tuple(faults), until=stop + 2.0 if until is None else until, name="cache")


def _obs(trace, key):
    return [(r[0], r[2], r[6]) for r in trace.rows if r[1] == "observe" and r[5] == key]


def lost_writes(trace) -> int:
    """Writes the client saw acknowledged whose value never reached the database."""
    committed = {v for _t, _n, (_k, _ver, v) in _obs(trace, "committed")}
    return sum(v not in committed for _t, _n, (_k, v) in _obs(trace, "acked"))


def cache_summary(trace) -> dict:
    """``reads`` served, ``misses``, ``hit_ratio``, ``db_reads``, ``acked_writes``, ``lost_writes``."""
    served = _obs(trace, "served")
    hits = sum(h for _t, _n, (_k, _v, h) in served)
    return {"reads": len(served), "misses": len(served) - hits,
            "hit_ratio": hits / len(served) if served else float("nan"),
            "db_reads": len(_obs(trace, "load")), "acked_writes": len(_obs(trace, "acked")),
            "lost_writes": lost_writes(trace)}


def stale_reads(trace) -> pd.DataFrame:
    """Reads answered with an older version than the database held: ``time, key, version, latest, staleness``.

    ``staleness`` is how long before the read the first newer version had been committed.
    """
    commits: dict = {}                               # key -> list of (time, version)
    events = sorted([(t, 0, v) for t, _n, v in _obs(trace, "committed")] +
                    [(t, 1, v) for t, _n, v in _obs(trace, "served")], key=lambda e: (e[0], e[1]))
    rows = []
    for t, kind, v in events:
        if kind == 0:
            key, version, _value = v
            commits.setdefault(key, []).append((t, version))
        else:
            key, version, _hit = v
            if version is None:
                continue
            newer = [ct for ct, ver in commits.get(key, ()) if ver > version]
            if newer:
                rows.append({"time": t, "key": key, "version": version,
                             "latest": commits[key][-1][1], "staleness": t - min(newer)})
    return pd.DataFrame(rows, columns=["time", "key", "version", "latest", "staleness"])


def db_load(trace, bin_width: float = 0.1) -> pd.Series:
    """Database reads per second, in bins of ``bin_width`` seconds."""
    number("bin_width", bin_width, low=0.0, low_open=True)
    times = [t for t, _n, _k in _obs(trace, "load")]
    edges = np.arange(0.0, trace.end_time + bin_width, bin_width)
    return pd.Series(np.histogram(times, bins=edges)[0] / bin_width,
                     index=pd.Index(edges[:-1], name="time (s)"), name="database reads per second")


def staleness_table(ttls=(0.5, 1.0, 2.0, 4.0), seeds=range(2)) -> pd.DataFrame:
    """Stale reads of cache-aside with a TTL while another service writes the database directly.

    One row per ``(ttl, seed)``: ``ttl, seed, stale_share, max_staleness, hit_ratio``.
    """
    rows = []
    for ttl in ttls:
        for seed in seeds:
            t = run(cache_scenario(ttl=ttl, keys=20, read_rate=100.0, writer_rate=5.0, stop=20.0), seed=seed)
            st, s = stale_reads(t), cache_summary(t)
            rows.append({"ttl": ttl, "seed": seed, "stale_share": len(st) / s["reads"],
                         "max_staleness": float(st.staleness.max()) if len(st) else 0.0,
                         "hit_ratio": s["hit_ratio"]})
    return pd.DataFrame(rows)


def penetration_table(seeds=range(2), keys: int = 100, missing: float = 0.3) -> pd.DataFrame:
    """Database reads per second when ``missing`` of the reads ask for keys that do not exist.

    Rows per remedy (``none``, ``negative cache``, ``Bloom filter``) and attack (``few`` missing keys
    asked again and again, or ``fresh`` ones nearly every time), averaged over ``seeds``.
    """
    bloom = BloomFilter(range(keys), bits=8 * keys, hashes=5)
    remedies = {"none": {}, "negative cache": {"negative_ttl": 5.0}, "Bloom filter": {"bloom": bloom}}
    rows = []
    for attack, space in (("few", 10), ("fresh", 1_000_000)):
        for name, extra in remedies.items():
            loads = [cache_summary(run(cache_scenario(ttl=30.0, keys=keys, read_rate=200.0, missing=missing,
                                                      missing_space=space, stop=10.0, **extra), seed=s))["db_reads"]
                     for s in seeds]
            rows.append({"attack": attack, "remedy": name, "db_reads_per_s": float(np.mean(loads)) / 10.0})
    return pd.DataFrame(rows)


def avalanche_table(jitters=(0.0, 0.5), keys: int = 500, ttl: float = 2.0, seed=0, bin_width: float = 0.1):
    """Database load over time when ``keys`` keys, all cached at time 0 with one TTL, expire together.

    Returns ``(series, peaks)``: a wide DataFrame of :func:`db_load` per jitter, and a dict
    jitter -> peak reads per second.
    """
    series = {}
    for j in jitters:
        t = run(cache_scenario(ttl=ttl, ttl_jitter=j, keys=keys, read_rate=1000.0, prefill=keys, stop=6.0,
                               read_time=0.02), seed=seed)
        series[f"TTL jitter {j:g}"] = db_load(t, bin_width)
    df = pd.DataFrame(series)
    return df, {j: float(df[f"TTL jitter {j:g}"].max()) for j in jitters}


def stampede_table(betas=(None, 1.0), seeds=range(3), read_time: float = 0.2, ttl: float = 2.0,
                   rate: float = 500.0) -> pd.DataFrame:
    """Database reads of one hot key read ``rate`` times a second, without and with XFetch.

    The cache starts warm (the key loaded at time 0). One row per ``(early_beta, seed)``:
    ``remedy, seed, db_reads, misses`` (reads that found no fresh entry and waited for the database).
    """
    rows = []
    for beta in betas:
        for seed in seeds:
            t = run(cache_scenario(ttl=ttl, keys=1, hot=0, read_rate=rate, read_time=read_time, stop=10.0,
                                   early_beta=beta, prefill=1, prefill_cost=read_time), seed=seed)
            s = cache_summary(t)
            rows.append({"remedy": "none" if beta is None else f"XFetch, beta {beta:g}", "seed": seed,
                         "db_reads": s["db_reads"], "misses": s["misses"]})
    return pd.DataFrame(rows)


def write_policy_table(seeds=range(3), crash=(5.5, 6.0)) -> pd.DataFrame:
    """Each write policy with 50 reads and 20 writes a second over 100 keys, the cache crashing for the
    ``crash`` interval: hit ratio, database reads, writes acknowledged and acknowledged writes lost (sums over seeds)."""
    rows = []
    for write in ("through", "back", "around"):
        s = [cache_summary(run(cache_scenario(write=write, ttl=5.0, write_rate=20.0,
                                              faults=[Crash(CACHE, *crash)]), seed=seed)) for seed in seeds]
        rows.append({"write policy": write, "hit_ratio": float(np.mean([x["hit_ratio"] for x in s])),
                     "db_reads": sum(x["db_reads"] for x in s), "acked_writes": sum(x["acked_writes"] for x in s),
                     "lost_writes": sum(x["lost_writes"] for x in s)})
    return pd.DataFrame(rows).set_index("write policy")
