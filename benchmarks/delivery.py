"""Delivery benchmark: 60 seeded releases, some bad, through the gates and each release strategy (chapter 8.3).

Run:  .venv/bin/python benchmarks/delivery.py      (about a minute on the 2-vCPU development VM)

The cluster is ``data/cluster.toml`` applied to an empty ``dsysedu.ops.cluster.Cluster``; the
candidates are ``dsysedu.ops.delivery.candidates(60, seed=SEED, bad_share=0.4)``; each one passes
the pipeline's gates (unit, contract, model check) or is stopped there, and if it passed is released
with ``canary``, ``blue-green`` and ``all-at-once`` (100 user requests/s, a 3 s judged window, a 1 s
window after the decision, no retries, the canary and its fresh baseline at 20 % of the orders
traffic each, the Mann-Whitney judge at alpha 0.05 with 20 % latency and 2-point error effect sizes).

The last line printed is one JSON object with, per strategy ``s`` (``canary``, ``blue_green``,
``all_at_once``):

``s_caught``
    Bad releases stopped before they reached every user (by a gate or the judge), of ``bad``.
``s_missed``
    Bad releases promoted to every user.
``s_false_rollbacks``
    Good releases rolled back by the judge, of ``good``.
``s_user_errors``
    User requests that failed during the rollouts (both windows, every release), of ``s_user_requests``.

and ``bad``, ``good``, ``caught_by_gates`` (the same for every strategy) and ``seconds`` (wall time).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dsysedu.ops.cluster import Cluster
from dsysedu.ops.delivery import candidates, release_experiment, release_summary
from dsysedu.ops.infra import apply, load_desired

SEED = 7
RELEASES = 60
DATA = Path(__file__).resolve().parents[1] / "data" / "cluster.toml"


def main() -> dict:
    cluster = Cluster()
    apply(load_desired(DATA), cluster)
    t0 = time.perf_counter()
    table = release_experiment(cluster, candidates(RELEASES, seed=SEED, bad_share=0.4), seed=SEED)
    seconds = time.perf_counter() - t0
    summary = release_summary(table)
    print(summary.to_string(), file=sys.stderr)
    first = summary.iloc[0]
    out = {"bad": int(first["bad"]), "good": int(first["good"]), "caught_by_gates": int(first["caught_by_gates"])}
    for strategy, row in summary.iterrows():
        key = strategy.replace("-", "_")
        out[f"{key}_caught"] = int(row["caught_by_gates"] + row["caught_by_judge"])
        out[f"{key}_missed"] = int(row["missed"])
        out[f"{key}_false_rollbacks"] = int(row["false_rollbacks"])
        out[f"{key}_user_errors"] = int(row["user_errors"])
        out[f"{key}_user_requests"] = int(row["user_requests"])
    out["seconds"] = round(seconds, 1)
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
