"""Messaging and storage benchmark (chapters 4.1 and 4.2): how fast the building blocks run.

Run:  .venv/bin/python benchmarks/messaging.py      (about 15 s on 2 cores)

The last line printed is one JSON object with the keys

* ``queue_msgs_per_s``: messages published and processed per wall second through
  :func:`dsysedu.systems.messaging.queue_scenario` (producer, broker, two consumers, store; 5,000 messages,
  every event traced), best of ``REPEATS`` runs;
* ``log_records_per_s``: records appended and consumed per wall second through
  :func:`dsysedu.systems.messaging.log_scenario` (3 members, 6 partitions, 5,000 records), best of ``REPEATS``;
* ``mmc_jobs_per_s``: M/M/2 jobs per wall second (:func:`dsysedu.systems.messaging.mmc_scenario`, 50,000 jobs);
* ``queue_model_states_per_s`` and ``queue_model_states``: the model checker on
  :func:`dsysedu.systems.messaging.queue_model` (two messages, one crash and one recovery), invariant
  "each effect applied once";
* ``ring_lookups_per_s``: :meth:`dsysedu.systems.storage.HashRing.node_for` calls per second (10 nodes, 100 vnodes);
* ``lru_accesses_per_s`` and ``arc_accesses_per_s``: policy accesses per second on 200,000 Zipf requests (capacity 100).
"""
from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsysedu.check.model_checker import check  # noqa: E402
from dsysedu.sim import run  # noqa: E402
from dsysedu.systems import messaging, storage  # noqa: E402

REPEATS = 3


def best(f, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict:
    out = {}
    n = 5000
    sc = messaging.queue_scenario(count=n, rate=60.0, process_time=0.004, until=200.0)
    assert messaging.queue_summary(run(sc, seed=1))["processed"] == n
    out["queue_msgs_per_s"] = round(n / best(lambda: run(sc, seed=1)))
    print(f"queue: {out['queue_msgs_per_s']:,} messages/s")

    lg = messaging.log_scenario(count=n, rate=200.0, process_time=0.001, until=40.0)
    assert messaging.log_summary(run(lg, seed=1))["consumed"] >= n
    out["log_records_per_s"] = round(n / best(lambda: run(lg, seed=1)))
    print(f"log: {out['log_records_per_s']:,} records/s")

    jobs = 50_000
    mm = messaging.mmc_scenario(1.6, 1.0, 2, jobs)
    out["mmc_jobs_per_s"] = round(jobs / best(lambda: run(mm, seed=1), repeats=1))
    print(f"M/M/2: {out['mmc_jobs_per_s']:,} jobs/s")

    model = messaging.queue_model(count=2, crashes=1, recoveries=1)
    t0 = time.perf_counter()
    r = check(model, messaging.effects_once_invariant)
    out["queue_model_states"] = r.states
    out["queue_model_states_per_s"] = round(r.states / (time.perf_counter() - t0))
    print(f"queue model: {r.states:,} states at {out['queue_model_states_per_s']:,}/s, {r.verdict}")

    ring = storage.HashRing([f"n{i}" for i in range(10)], 100)
    keys = range(200_000)
    out["ring_lookups_per_s"] = round(len(keys) / best(lambda: [ring.node_for(k) for k in keys]))
    print(f"ring: {out['ring_lookups_per_s']:,} lookups/s")

    reqs = storage.zipf_requests(10_000, 200_000, 0.8, seed=1).tolist()
    for name in ("LRU", "ARC"):
        secs = best(lambda: storage.hit_ratio(storage.POLICIES[name](100), reqs))
        out[f"{name.lower()}_accesses_per_s"] = round(len(reqs) / secs)
        print(f"{name}: {out[f'{name.lower()}_accesses_per_s']:,} accesses/s")
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
