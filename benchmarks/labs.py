"""Protocol labs: how long grading each lab takes, and what the reference broadcast costs.

Each lab is graded with its reference solution, read from the lab notebook's cells (the code cells
before the first one that calls ``grade_lab``), as a learner's ``grade_lab(lab, Server)`` call would.

Keys of the last line (one JSON object):

``grade_s_<lab>``
    wall seconds of ``grade_lab(lab, reference)`` (every part, every seed, the model checker);
``runs_<lab>``
    how many simulated runs that grading judged;
``states_<lab>``
    states the model checker explored (labs with a model-checked part);
``broadcast_msgs_per_op``, ``broadcast_median_s``, ``broadcast_max_s``
    the reference broadcast in the 3e part's run at seed 0 (25 servers, 100 ms links): messages
    between servers per client operation, median and maximum stable latency;
``all_full_marks``
    whether every reference earned every point.

Run: ``.venv/bin/python benchmarks/labs.py`` (about half a minute).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
import types
from pathlib import Path

from dsysedu.exercises.labs import LABS, efficiency_measures, grade_lab, lab_run

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks" / "labs"
REFERENCES = {"echo": ("lab1_echo.ipynb", "EchoServer"), "unique-ids": ("lab2_unique_ids.ipynb", "IdServer"),
              "broadcast": ("lab3_broadcast.ipynb", "BroadcastServer"),
              "g-counter": ("lab4_grow_only_counter.ipynb", "CounterServer"),
              "kafka": ("lab5_kafka_log.ipynb", "LogServer"), "raft": ("lab6_raft.ipynb", "RaftServer")}


def reference(lab: str) -> type:
    name, cls = REFERENCES[lab]
    module = types.ModuleType(f"bench_lab_{lab.replace('-', '_')}")
    sys.modules[module.__name__] = module
    for cell in json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        if "grade_lab(" in src:
            break
        exec(compile(src, name, "exec"), module.__dict__)
    return module.__dict__[cls]


def main() -> dict:
    out, full = {}, True
    for lab in LABS:
        cls = reference(lab)
        t = time.perf_counter()
        report = grade_lab(lab, cls)
        out[f"grade_s_{lab}"] = round(time.perf_counter() - t, 2)
        out[f"runs_{lab}"] = sum(p.seeds for p in LABS[lab].parts if p.workload is not None)
        for p in LABS[lab].parts:
            if p.model is not None:
                out[f"states_{lab}"] = int(report.seeds[p.name].split()[0].replace(",", ""))
        full = full and report.total == report.out_of
        print(f"{lab:>11}: {report.total}/{report.out_of} points, {out[f'runs_{lab}']} runs, "
              f"{out[f'grade_s_{lab}']:.2f} s")
    m = efficiency_measures(lab_run("broadcast", "efficient broadcast, 3e", reference("broadcast"), seed=0))
    out.update(broadcast_msgs_per_op=round(m["msgs_per_op"], 2),
               broadcast_median_s=round(statistics.median(m["latencies"]), 3),
               broadcast_max_s=round(max(m["latencies"]), 3), all_full_marks=full)
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
