"""Operations benchmark: tracing and exports (9.1), alerting and runbooks (9.2), self-healing (9.3).

Run:  .venv/bin/python benchmarks/operations.py      (about 40 s on the 2-vCPU development VM)

Each repetition runs the traced service system of ``dsysedu.ops.services`` (client → gateway →
{inventory, orders} → store, 50 requests per second for 20 simulated seconds, 2 % link loss, a
``Slow`` inventory from 8 s to 10 s, so that retries and timeouts happen), reads its spans,
builds them with the OpenTelemetry SDK, writes the OTLP/JSON file and the Prometheus text.

The last line printed is one JSON object with the keys

``spans_per_s``
    Spans simulated, traced and exported (OTLP/JSON and Prometheus) per wall second: the
    whole pipeline from scenario to both files, best of ``REPEATS``.
``requests_per_s``
    The same, counted in client requests (traces): one request is about 11 spans, more with retries.
``spans``, ``requests``
    How many of each one repetition produced.
``simulate_s``, ``export_s``
    Wall seconds of the simulation and of the exports (reading the spans, the SDK, the
    encoders) in the best repetition.
``chaos_lab_run_s``
    One experiment of the chaos lab dashboard (chapter 9.4), warm: a control change = Chaos
    Toolkit's run of the experiment against a fresh lab (about 18 simulated seconds at 20
    requests/s), the journal read back, the measures, the redraw and the PNG; median of 5
    (:func:`dsysedu.widgets.chaos_lab.chaos_lab_run_s`). Target <= 2 s.

Chapter 9.2, on the "bad day" of :func:`dsysedu.ops.incidents.bad_day` (six incidents, 720
simulated seconds, 10 requests per second, seed 7; SLI: answered OK within 100 ms; grace 30 s):

``alert_<detector>_precision``, ``alert_<detector>_recall``, ``alert_<detector>_mean_ttd_s``, ``alert_<detector>_alerts``
    Per incident scoring of the four detectors of the chapter (``static``: bad share > 20 %;
    ``burn``: the SRE Workbook's three burn-rate rules for a 99 % SLO, one simulated second
    standing for one minute; ``ewma``: EWMA z-score > 4; ``forest``: IsolationForest fitted on
    the first 110 s). Mean time to detect in simulated seconds, over the detected incidents.
``alerting_s``
    Wall seconds to run the day, build its SLI frame and score the four detectors.
``runbook_mttr_s``, ``injected_mttr_s``, ``runbook_s``
    The runbook on the day's first three incidents (330 s): mean incident length with it and as
    injected (simulated seconds), and the wall seconds of its loop of runs.

Chapter 9.3, five workers, three replicas, seeded machine failures over 300 s (seeds 7 to 12):

``mttr_no_loop_s``, ``mttr_loop_s``
    Mean time to repair (fewer than three replicas serving until three again), mean over the
    six schedules, without and with the reconciliation loop.
``flips_fall1_rise1``, ``flips_fall3_rise2``
    Health state changes of a worker whose health checks cross a link losing 20 % of messages,
    over 300 s, without and with hysteresis.

Wall-clock times come from ``time.perf_counter``; one process, no parallelism.
"""
from __future__ import annotations

import json
import os
import sys
import time

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, REPO)

from dsysedu.ops import alerting, anomaly, healing, incidents, runbooks  # noqa: E402
from dsysedu.ops.export import otlp_json, prometheus_text  # noqa: E402
from dsysedu.ops.services import service_scenario  # noqa: E402
from dsysedu.ops.telemetry import spans  # noqa: E402
from dsysedu.sim import run  # noqa: E402
from dsysedu.sim.faults import Slow  # noqa: E402

REPEATS = 3
SEED = 7


def once() -> dict:
    sc = service_scenario(rate=50.0, duration=20.0, loss=0.02, faults=[Slow("inventory", at=8.0, delay=0.005,
                                                                              until=10.0)])
    t0 = time.perf_counter()
    trace = run(sc, seed=SEED)
    t1 = time.perf_counter()
    items = spans(trace)
    text = otlp_json(items)
    metrics = prometheus_text(items)
    t2 = time.perf_counter()
    assert text and metrics
    requests = sum(s.parent_id is None for s in items)
    return {"spans": len(items), "requests": requests, "simulate_s": t1 - t0, "export_s": t2 - t1,
            "total_s": t2 - t0}


def alerting_day() -> dict:
    t0 = time.perf_counter()
    day = incidents.bad_day()
    frame = alerting.sli_frame(run(incidents.incident_scenario(day, duration=720.0, loss=0.0005), seed=SEED))
    detectors = {"static": alerting.Threshold("bad_ratio", 0.2), "burn": alerting.sre_workbook(slo=0.99),
                 "ewma": anomaly.EWMAZScore(floor=0.05),
                 "forest": anomaly.IsolationForestRule(train_until=110.0, seed=SEED)}
    table = alerting.compare(frame, detectors, day, grace=30.0)
    out = {"alerting_s": round(time.perf_counter() - t0, 2)}
    for name, row in table.iterrows():
        out.update({f"alert_{name}_precision": round(float(row.precision), 3),
                    f"alert_{name}_recall": round(float(row.recall), 3),
                    f"alert_{name}_mean_ttd_s": round(float(row.mean_ttd), 2), f"alert_{name}_alerts": int(row.alerts)})
    t0 = time.perf_counter()
    result = runbooks.run_runbook(runbooks.Runbook(slo=0.99), day[:3], seed=SEED, duration=330.0, loss=0.0005)
    impact = result.impact
    out.update({"runbook_mttr_s": round(float((impact.ended - impact.start).mean()), 2),
                "injected_mttr_s": round(float((impact.end - impact.start).mean()), 2),
                "runbook_s": round(time.perf_counter() - t0, 2)})
    return out


def self_healing() -> dict:
    mttr = {False: [], True: []}
    for seed in range(SEED, SEED + 6):
        failures = healing.failure_schedule(seed=seed)
        for loop in (False, True):
            trace = run(healing.healing_scenario(loop=loop, failures=failures), seed=seed)
            mttr[loop].append(healing.healing_report(trace, 3)["mttr"])
    flips = {(fall, rise): healing.healing_report(run(healing.healing_scenario(flaky="w0", fall=fall, rise=rise),
                                                      seed=SEED), 3)["flips"] for fall, rise in ((1, 1), (3, 2))}
    return {"mttr_no_loop_s": round(sum(mttr[False]) / 6, 2), "mttr_loop_s": round(sum(mttr[True]) / 6, 2),
            "flips_fall1_rise1": flips[1, 1], "flips_fall3_rise2": flips[3, 2]}


def main() -> dict:
    from dsysedu.widgets.chaos_lab import chaos_lab_run_s

    best = min((once() for _ in range(REPEATS)), key=lambda r: r["total_s"])
    out = {"spans_per_s": round(best["spans"] / best["total_s"], 1),
           "requests_per_s": round(best["requests"] / best["total_s"], 1),
           "spans": best["spans"], "requests": best["requests"],
           "simulate_s": round(best["simulate_s"], 3), "export_s": round(best["export_s"], 3),
           "chaos_lab_run_s": round(chaos_lab_run_s(), 3)}
    print(f"{best['requests']} requests, {best['spans']} spans: simulated in {best['simulate_s']:.2f} s, "
          f"exported in {best['export_s']:.2f} s", file=sys.stderr)
    print(f"chaos lab: one experiment (Chaos Toolkit + redraw) in {out['chaos_lab_run_s']:.2f} s", file=sys.stderr)
    day = alerting_day()
    print("9.2 per incident: " + ", ".join(f"{d} precision {day[f'alert_{d}_precision']}, recall "
                                           f"{day[f'alert_{d}_recall']}" for d in ("static", "burn", "ewma", "forest"))
          + f"; runbook MTTR {day['runbook_mttr_s']} s (injected {day['injected_mttr_s']} s)", file=sys.stderr)
    heal = self_healing()
    print(f"9.3 MTTR {heal['mttr_no_loop_s']} s without the loop, {heal['mttr_loop_s']} s with it; flips "
          f"{heal['flips_fall1_rise1']} without hysteresis, {heal['flips_fall3_rise2']} with", file=sys.stderr)
    out.update(day)
    out.update(heal)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
