"""Saga benchmark: simulated order sagas per wall second (for ``benchmarks/transactions.py``).

Run:  .venv/bin/python benchmarks/saga_bench.py      (about 1 s on the 2-vCPU development VM)

The last line printed is one JSON object with the keys

``saga_runs_per_s``
    Orchestrated order sagas (a coordinator, 3 services, 10 ms links) per wall second, the
    failing step cycling through none, 1, 2 and 3, each run to its end and checked to have
    settled (all-done or all-compensated): :func:`dsysedu.protocols.transactions.saga_runs.saga_runs_per_s`,
    median of ``REPEATS`` batches of ``RUNS`` runs.
``saga_choreography_runs_per_s``
    The same for the choreographed saga (3 services, events with acknowledgements).

Wall-clock times come from ``time.perf_counter``; one process, no parallelism.
"""
from __future__ import annotations

import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dsysedu.protocols.transactions.saga_runs import saga_runs_per_s  # noqa: E402

RUNS, REPEATS = 400, 5


def main() -> dict:
    saga_runs_per_s(50)                                   # warm up imports and caches
    out = {"saga_runs_per_s": statistics.median(saga_runs_per_s(RUNS, seed=r * RUNS) for r in range(REPEATS)),
           "saga_choreography_runs_per_s": statistics.median(
               saga_runs_per_s(RUNS, seed=r * RUNS, style="choreography") for r in range(REPEATS))}
    return {k: round(v) for k, v in out.items()}


if __name__ == "__main__":
    print(json.dumps(main()))
