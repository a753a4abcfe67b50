"""Model-checking benchmark: two-phase commit with 5 participants, against Spin; Raft's election.

Run:  .venv/bin/python benchmarks/model_checking.py      (about half a minute on 2 cores)

The last line printed is one JSON object with the keys

* ``twopc_states``: unique states of ``twopc_model(5, symmetric=False)`` (checked: atomicity holds);
* ``twopc_states_per_s``: those states over the wall seconds of the search (best of ``REPEATS``,
  each on a fresh model, so no remembered handler outcomes carry over);
* ``twopc_sym_states``: unique states with the participants declared symmetric;
* ``twopc_sym_s``: wall seconds from building the model to the verdict, with symmetry (best of
  ``REPEATS``);
* ``spin_states``, ``spin_states_per_s``: Spin's stored states and its own reported rate
  ("pan: rate ... states/second") on ``benchmarks/twopc.pml``, the same protocol in Promela,
  exhaustive safety search without partial-order reduction (``-DSAFETY -DNOREDUCE``);
* ``spin_total_s``: wall seconds of ``spin -a`` + ``gcc -O2`` + ``./pan`` (one run);
* ``twopc_fifo_states``: unique states of ``twopc_model(5, symmetric=False, fifo=True)`` (FIFO links);
* ``raft3_term2_states``, ``raft3_term2_s``: Raft leader election on 3 nodes with terms up to 2
  (``raft_election_model(max_term=2, symmetric=True, compress=True)``), election safety verified:
  unique states, and wall seconds from building the model to the verdict (best of ``REPEATS``).
  Target: under a minute (a notebook's patience).

Spin keys are null when ``spin`` or ``gcc`` is not on the PATH. Targets: ``twopc_states_per_s``
>= 0.2 x ``spin_states_per_s``; ``twopc_sym_s`` < ``spin_total_s``. The state counts differ:
Spin's states also hold program counters and the start-up steps of its processes.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsysedu.check.model_checker import check  # noqa: E402
from dsysedu.protocols.transactions.twopc import atomicity, twopc_model  # noqa: E402
from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model  # noqa: E402

REPEATS = 3
N = 5
PML = os.path.join(os.path.dirname(os.path.abspath(__file__)), "twopc.pml")


def ours(symmetric: bool):
    best, result = float("inf"), None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        r = check(twopc_model(N, symmetric=symmetric), atomicity)
        dt = time.perf_counter() - t0
        assert r.verdict == "ok", r
        print(f"  dsysedu, symmetry={symmetric}: {r.states:,} states, {r.transitions:,} transitions, "
              f"{dt:.3f} s to the verdict ({r.states / r.seconds:,.0f} states/s in the search)", flush=True)
        if dt < best:
            best, result = dt, r
    return result, best


def spin():
    if shutil.which("spin") is None or shutil.which("gcc") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(PML, d)
        t0 = time.perf_counter()
        subprocess.run(["spin", "-a", "twopc.pml"], cwd=d, check=True, capture_output=True)
        subprocess.run(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], cwd=d, check=True,
                       capture_output=True)
        out = subprocess.run(["./pan", "-m100000"], cwd=d, check=True, capture_output=True, text=True).stdout
        total = time.perf_counter() - t0
    errors = int(re.search(r"errors: (\d+)", out).group(1))
    stored = int(re.search(r"(\d+) states, stored", out).group(1))
    rate = float(re.search(r"pan: rate\s+([\d.]+) states/second", out).group(1))
    elapsed = float(re.search(r"pan: elapsed time ([\d.e+-]+) seconds", out).group(1))
    assert errors == 0, out
    print(f"  spin: {stored:,} states, pan {elapsed:.2f} s ({rate:,.0f} states/s), "
          f"compile + run {total:.2f} s", flush=True)
    return stored, rate, total


def raft():
    best, result = float("inf"), None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        r = check(raft_election_model(max_term=2, symmetric=True, compress=True), election_safety_invariant)
        dt = time.perf_counter() - t0
        assert r.verdict == "ok", r
        print(f"  Raft election, 3 nodes, terms <= 2: {r.states:,} states, {dt:.2f} s to the verdict", flush=True)
        if dt < best:
            best, result = dt, r
    return result, best


def main():
    print(f"two-phase commit, {N} participants, atomicity (best of {REPEATS})", flush=True)
    plain, _plain_s = ours(False)
    sym, sym_s = ours(True)
    sp = spin()
    fifo = check(twopc_model(N, symmetric=False, fifo=True), atomicity)
    assert fifo.verdict == "ok", fifo
    print(f"  dsysedu, FIFO links: {fifo.states:,} states", flush=True)
    election, election_s = raft()
    rate = plain.states / plain.seconds
    out = {"twopc_states": plain.states, "twopc_states_per_s": round(rate),
           "twopc_sym_states": sym.states, "twopc_sym_s": round(sym_s, 3),
           "spin_states": sp[0] if sp else None, "spin_states_per_s": round(sp[1]) if sp else None,
           "spin_total_s": round(sp[2], 3) if sp else None, "twopc_fifo_states": fifo.states,
           "raft3_term2_states": election.states, "raft3_term2_s": round(election_s, 3)}
    if sp:
        print(f"ours / Spin states per second: {rate / sp[1]:.2f} (target >= 0.2); "
              f"symmetry verdict {sym_s:.2f} s vs Spin compile + run {sp[2]:.2f} s (target: sooner)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
