"""The measurements of chapter 4.1, as tables: delivery guarantees, a burst through a queue, M/M/c sweeps.

Each function runs seeded scenarios of :mod:`.queue` and :mod:`.queueing` and returns a
DataFrame (or Series) for the chapter to show or draw.
"""
from __future__ import annotations

import pandas as pd

from dsysedu.sim.faults import Crash
from dsysedu.sim.kernel import run
from .queue import queue_summary, queue_scenario, throughput
from .queueing import mmc_mean_wait, mmc_scenario, queue_waits

__all__ = ["DELIVERY_SETTINGS", "delivery_table", "burst_run", "mmc_sweep"]

_CRASHES = (Crash("c0", 3.0, 6.0), Crash("c1", 5.0, 7.0))

#: setting name -> queue_scenario keyword arguments (200 messages, two consumers)
DELIVERY_SETTINGS = {
    "ack after the effect": {},
    "... with consumer crashes": {"faults": _CRASHES},
    "... over lossy links (10 %)": {"loss": 0.1},
    "... lossy, idempotent store": {"loss": 0.1, "idempotent": True},
    "auto-commit, consumer crashes": {"ack": "before", "faults": _CRASHES},
    "2 poison messages, 3 attempts": {"poison": (10, 20), "max_attempts": 3},
}


def delivery_table(seeds=range(3), count: int = 200) -> pd.DataFrame:
    """Published, processed, duplicate effects, lost and dead-lettered messages per setting of
    :data:`DELIVERY_SETTINGS`, summed over ``seeds``."""
    rows = []
    for name, kwargs in DELIVERY_SETTINGS.items():
        total = dict.fromkeys(("published", "processed", "duplicates", "lost", "dead_lettered"), 0)
        for seed in seeds:
            s = queue_summary(run(queue_scenario(count=count, until=80.0, **kwargs), seed=seed))
            for k in total:
                total[k] += s[k]
        rows.append({"setting": name, **total})
    return pd.DataFrame(rows).set_index("setting")


def burst_run(seed=0, bin_width: float = 0.5, **kwargs):
    """One burst through the queue: 20 messages/s, 100/s from 2 s to 5 s, two consumers at 20/s each.

    Returns ``(trace, rates, summary)``: the trace, :func:`~.queue.throughput` per ``bin_width``,
    and :func:`~.queue.queue_summary`.
    """
    params = dict(count=500, rate=20.0, burst=(2.0, 5.0, 100.0), process_time=0.05, until=22.0)
    params.update(kwargs)
    trace = run(queue_scenario(**params), seed=seed)
    return trace, throughput(trace, bin_width), queue_summary(trace)


def mmc_sweep(servers=(1, 2), rhos=(0.3, 0.5, 0.7, 0.8, 0.9), jobs: int = 20_000, seeds=range(2)):
    """Simulated mean wait in the queue against utilisation ρ, for each number of servers.

    Returns ``(simulated, formulas)``: a long DataFrame ``servers, rho, seed, wait`` and a dict
    label -> Series of the M/M/c formula on a fine grid of ρ (for ``curves(reference=...)``).
    """
    rows = []
    for c in servers:
        for rho in rhos:
            for seed in seeds:
                w = queue_waits(run(mmc_scenario(rho * c, 1.0, c, jobs), seed=seed))
                rows.append({"servers": f"c = {c}", "rho": rho, "seed": seed, "wait": sum(w) / len(w)})
    grid = [min(rhos) + i * (max(rhos) - min(rhos)) / 100 for i in range(101)]
    formulas = {("M/M/1" if c == 1 else f"Erlang C, c = {c}"):
                pd.Series([mmc_mean_wait(r * c, 1.0, c) for r in grid], index=grid) for c in servers}
    return pd.DataFrame(rows), formulas
