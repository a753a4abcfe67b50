"""Consistency benchmark: the linearizability checker on 10,000 operations, and the CAP playground.

Run:  .venv/bin/python benchmarks/consistency.py      (a few seconds on 2 cores)

The last line printed is one JSON object with the keys

* ``lin_ops_per_s``: operations per wall second that
  :func:`dsysedu.check.linearizability.check_linearizable` (model ``"kv"``, split per key)
  checks on a linearizable history of ``N`` = 10,000 operations by 8 clients on 5 keys
  (:func:`dsysedu.check.consistency.linearizable_kv_history`, seed 1, every operation overlapping
  others at random); best of ``REPEATS`` runs. ``lin_10k_s`` is that best time, ``lin_steps`` the
  search steps it took.
* ``lin_1key_s``: the same for 10,000 operations of 8 clients on ONE key (about five operations
  open at a time on that key, so the search branches more), best of ``REPEATS``; ``lin_1key_steps``.
* ``lin_stale_s``: wall seconds to reject the same history with one stale read and find its
  violating window (best of ``REPEATS``); ``lin_stale_window`` the window's size.
* ``lin_50c_append_bad_s``: wall seconds for :func:`~dsysedu.check.linearizability.check_linearizable`
  (model ``"kv-append"``) to reject the history of
  :func:`dsysedu.check.workloads.many_client_history` (seed 1): 50 clients doing get, put and append on
  10 keys, 40 operations each (2,000 operations), a stale read planted on ``k2``, a lost append on
  ``k5``, and on ``k0`` and ``k8`` a burst of 14 appends that all overlap (linearizable, but the search
  can only order them by trying: the search of ``k0`` alone does not decide in 5 million
  steps). The time includes the violating window's minimization. Best of ``REPEATS``;
  ``lin_50c_append_steps`` the search steps, ``lin_50c_append_key`` the key found failing,
  ``lin_50c_append_window`` the window's size and ``lin_50c_append_window_minimal`` whether its
  minimization finished within its budget.
* ``cap_rerun_ms``: median milliseconds of one re-run + redraw of the CAP playground, warm
  (:func:`dsysedu.widgets.cap_playground.cap_rerun_ms`), or null with a ``cap_note`` when that
  module is not available.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsysedu.check.consistency import linearizable_kv_history, with_stale_read  # noqa: E402
from dsysedu.check.linearizability import check_linearizable  # noqa: E402
from dsysedu.check.workloads import many_client_history  # noqa: E402

REPEATS = 3
N = 10_000
CLIENTS, KEYS, SEED = 8, 5, 1


def best_of(fn):
    """(best wall seconds, last result) of ``REPEATS`` calls."""
    best, out = math.inf, None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def cap_rerun():
    """(median ms, note) of the CAP playground's re-run + redraw, or (None, why not)."""
    try:
        from dsysedu.widgets.cap_playground import cap_rerun_ms
    except ImportError as exc:
        note = f"dsysedu.widgets.cap_playground not importable: {exc}"
        print(f"note: {note}", file=sys.stderr)
        return None, note
    return cap_rerun_ms(), "CapPlayground defaults, median of 7 seed changes, warm"


def main() -> dict:
    h = linearizable_kv_history(N, clients=CLIENTS, keys=KEYS, seed=SEED)
    concurrency = sum(o.complete - o.invoke for o in h) / (max(o.complete for o in h) - min(o.invoke for o in h))
    print(f"history: {len(h):,} operations, {CLIENTS} clients, {KEYS} keys, "
          f"{concurrency:.1f} operations open at a time on average", flush=True)
    res = {}
    dt, v = best_of(lambda: check_linearizable(h, "kv"))
    assert v.ok, v
    res["lin_10k_s"] = round(dt, 3)
    res["lin_ops_per_s"] = round(N / dt)
    res["lin_steps"] = v.steps
    print(f"linearizable history: {dt:.3f} s, {v.steps:,} search steps, {N / dt:,.0f} operations/s", flush=True)
    one = linearizable_kv_history(N, clients=CLIENTS, keys=1, seed=SEED)
    dt, v = best_of(lambda: check_linearizable(one, "kv"))
    assert v.ok, v
    res["lin_1key_s"] = round(dt, 3)
    res["lin_1key_steps"] = v.steps
    print(f"one key, same load: {dt:.3f} s, {v.steps:,} search steps", flush=True)
    bad = with_stale_read(h, seed=SEED)
    dt, v = best_of(lambda: check_linearizable(bad, "kv"))
    assert not v.ok
    res["lin_stale_s"] = round(dt, 3)
    res["lin_stale_window"] = len(v.window)
    print(f"one stale read: caught in {dt:.3f} s, window of {len(v.window)} operations ({v.message})", flush=True)
    many = many_client_history(seed=SEED)
    dt, v = best_of(lambda: check_linearizable(many, "kv-append"))
    assert not v.ok
    res["lin_50c_append_bad_s"] = round(dt, 3)
    res["lin_50c_append_steps"] = v.steps
    res["lin_50c_append_key"] = v.key
    res["lin_50c_append_window"] = len(v.window)
    res["lin_50c_append_window_minimal"] = v.window_minimal
    print(f"50 clients, get/put/append on 10 keys ({len(many):,} operations): rejected in {dt:.3f} s at key "
          f"{v.key!r}, {v.steps:,} search steps, window of {len(v.window)} "
          f"({'minimal' if v.window_minimal else 'minimization stopped at its budget'}); "
          f"keys decided linearizable first: {list(v.decided)}", flush=True)
    ms, note = cap_rerun()
    res["cap_rerun_ms"] = None if ms is None else round(ms, 1)
    res["cap_note"] = note
    print(f"CAP playground re-run + redraw: {res['cap_rerun_ms']} ms ({note})", flush=True)
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
