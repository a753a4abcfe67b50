"""Principles and capstone benchmark: the measured claims of chapters 7 and 10, and what they cost in wall time.

Run:  .venv/bin/python benchmarks/principles.py      (about half a minute)

The last line printed is one JSON object. The keys:

* ``availability_max_abs_error``: the largest |formula - simulated mean| over the block diagrams of
  :data:`dsysedu.systems.principles.EXAMPLES` (30 replications of 10,000 hours each, seed 7);
  ``availability_covered``: how many of them have the formula inside the simulation's 95 % interval
  (of ``availability_systems``); ``availability_s``: the wall seconds of those simulations.
* ``cost_explorer_rerun_ms``: one control change of the cost explorer (a new seed: re-run of 300
  failure cycles of 3 replicas, measures, verdict, redraw, PNG), warm, median of 7.
* ``diagnosis_steps_metrics`` / ``diagnosis_steps_traces``: steps from the alert to the slow
  database with 12 services behind the gateway (:mod:`dsysedu.ops.diagnosis`), dashboards only and
  with traces; ``diagnosis_s``: wall seconds of that run and both diagnoses.
* ``fuzz_trusting_killed`` / ``fuzz_defensive_violations``: of 20 chaos runs with 5 malformed messages
  each, how many trusting Raft clusters died of an exception, and how many defensive ones broke
  safety or liveness (target 0); ``fuzz_s``: their wall seconds.
* ``capstone_run_s``, ``capstone_events``: one run of the capstone shop (12 simulated seconds of
  checkouts, its faults scheduled, seed 7) and its trace rows; ``capstone_hypotheses_held`` (of 7);
  ``capstone_experiment_s``: the same shop under its Chaos Toolkit experiment (the lab, the journal,
  the drain to the end), and ``capstone_experiment_deviated``.
"""
from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsysedu.ops import capstone, diagnosis  # noqa: E402
from dsysedu.sim import run  # noqa: E402
from dsysedu.systems import principles as pr  # noqa: E402


def cost_explorer_rerun_ms(repeats: int = 7) -> float:
    from dsysedu.widgets import COST_EXPLORER, Playground
    from dsysedu.widgets.playground import median_ms
    pg = Playground(COST_EXPLORER)
    return median_ms(lambda i: setattr(pg.controls["seed"].box, "value", 100 + i), repeats)


def main() -> dict:
    out = {}
    t = time.perf_counter()
    checked = pr.formula_vs_simulation(seed=7)
    out["availability_s"] = round(time.perf_counter() - t, 2)
    out["availability_max_abs_error"] = float((checked.formula - checked.simulated).abs().max())
    out["availability_covered"], out["availability_systems"] = int(checked.covered.sum()), len(checked)
    print(checked.round(5).to_string())
    out["cost_explorer_rerun_ms"] = round(cost_explorer_rerun_ms(), 1)
    t = time.perf_counter()
    trace = run(diagnosis.fanout_scenario(12, culprit="db0"), seed=7)
    m, tr = diagnosis.diagnose_by_metrics(trace, diagnosis.fanout_topology(12)), diagnosis.diagnose_by_traces(trace)
    out["diagnosis_s"] = round(time.perf_counter() - t, 2)
    assert m.culprit == tr.culprit == "db0", (m, tr)
    out["diagnosis_steps_metrics"], out["diagnosis_steps_traces"] = m.steps, tr.steps
    t = time.perf_counter()
    fuzz = pr.fuzz_table(seeds=range(7, 27))
    out["fuzz_s"] = round(time.perf_counter() - t, 2)
    trusting, defensive = fuzz[fuzz.nodes == "trusting"], fuzz[fuzz.nodes == "defensive"]
    out["fuzz_trusting_killed"] = int((trusting.outcome != "ran").sum())
    out["fuzz_defensive_violations"] = int((~(defensive.safe.astype(bool) & defensive.live.astype(bool))).sum())
    t = time.perf_counter()
    shop = run(capstone.capstone_scenario(), seed=7)
    out["capstone_run_s"] = round(time.perf_counter() - t, 2)
    out["capstone_events"] = len(shop.rows)
    out["capstone_hypotheses_held"] = sum(v.ok for v in capstone.hypotheses(shop).values())
    t = time.perf_counter()
    _lab, journal = capstone.run_capstone_experiment(seed=7)
    out["capstone_experiment_s"] = round(time.perf_counter() - t, 2)
    out["capstone_experiment_deviated"] = bool(journal["deviated"])
    print(f"load {os.getloadavg()[0]:.1f}")
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
