"""Systems benchmark: simulated requests through a balancer per wall second, and the traffic lab's re-run.

Run:  .venv/bin/python benchmarks/systems.py      (about 10 s)

The last line printed is one JSON object. The keys:

* ``requests_per_s``: client requests per wall second through
  :func:`dsysedu.systems.discovery.balancing_scenario`: 4 clients balancing 1,000 requests per
  simulated second (power of two choices) over 10 backends (one 10 times slower) for 20 simulated
  seconds, each request timed out, answered and observed; best of ``REPEATS``. ``requests`` is the
  number of requests in that run, ``events`` its trace rows.
* ``requests_per_s_proxy``: the same through one server-side proxy (two more messages per request).
* ``traffic_lab_rerun_ms``: :func:`dsysedu.widgets.traffic_lab.traffic_lab_rerun_ms`: one control
  change of the traffic lab (the breaker toggled: re-run, measures, redraw, PNG) in a warm
  playground, median of 9 (target <= 100).
"""
from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsysedu.sim import run  # noqa: E402
from dsysedu.systems.discovery import balancing_scenario  # noqa: E402
from dsysedu.systems.resilience import traffic_summary  # noqa: E402

REPEATS = 3


def throughput(layout: str) -> tuple[float, int, int]:
    sc = balancing_scenario("p2c", layout, backends=10, clients=4, rate=1000.0, service=0.005, until=20.0)
    best, trace = float("inf"), None
    for _ in range(REPEATS):
        t = time.perf_counter()
        trace = run(sc, seed=1)
        best = min(best, time.perf_counter() - t)
    s = traffic_summary(trace)
    assert s["ok"] > 0.95 * s["requests"], s
    return s["requests"] / best, s["requests"], len(trace.rows)


def main() -> dict:
    from dsysedu.widgets.traffic_lab import traffic_lab_rerun_ms
    per_s, requests, events = throughput("client")
    proxy_per_s, _r, _e = throughput("proxy")
    return {"requests_per_s": round(per_s), "requests": requests, "events": events,
            "requests_per_s_proxy": round(proxy_per_s), "traffic_lab_rerun_ms": round(traffic_lab_rerun_ms(), 1)}


if __name__ == "__main__":
    print(json.dumps(main()))
