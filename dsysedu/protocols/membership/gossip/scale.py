"""Gossip over many seeds and many nodes: the sweeps behind the O(log N) curves and the runs at scale.

Two engines, one question (how many rounds, how much time, until everyone knows):

:func:`rounds_experiment`
    The numpy round kernel (:func:`~.rounds.simulate_rounds`) over sizes, modes and seeds:
    the points set against Pittel's log2 N + ln N. It reaches 100,000 nodes in a fraction of a
    second per run.
:func:`event_spread`
    One run of :class:`~.protocol.Gossip` in the event simulator on a random regular graph
    (continuous time, each node's own round phase, every message in the trace), summarised
    into a row: 10,000 nodes take a couple of seconds and a few hundred MiB.

Both are plain functions of a seed, so :func:`dsysedu.sweep` spreads their seeds over a
process pool or a Dask cluster (``executor=``), with the same frame as a serial loop.
"""
from __future__ import annotations

import functools

import networkx as nx
import pandas as pd

from dsysedu.sim.validate import positive_int
from dsysedu.sweep import sweep
from .protocol import check_gossip_params, gossip_scenario, run_to_full_spread, spread_stats
from .rounds import rounds_to_full_spread, simulate_rounds

__all__ = ["spread_rounds", "rounds_experiment", "event_spread", "event_spread_experiment"]


def spread_rounds(seed, *, mode: str = "push", N: int = 1000, fanout: int = 1, loss: float = 0.0) -> dict:
    """One :func:`~.rounds.simulate_rounds` run on a complete graph of ``N``: ``{"rounds": ...}`` to full spread.

    Examples
    --------
    >>> spread_rounds(0, N=1000)
    {'rounds': 17.0}
    """
    return {"rounds": rounds_to_full_spread(simulate_rounds(N, mode, fanout=fanout, seed=seed, loss=loss))}


def rounds_experiment(sizes=(10, 100, 1000, 10_000), modes=("push", "push-pull"), seeds=range(5), *,
                      fanout: int = 1, loss: float = 0.0, executor=None, progress: bool = False,
                      memory: bool = False, chunksize=None) -> pd.DataFrame:
    """Rounds to full spread of the round kernel on complete graphs, per mode, size and seed.

    Parameters
    ----------
    sizes : iterable of int
        Numbers of nodes N.
    modes : iterable of {"push", "pull", "push-pull"}
    seeds : iterable of int
    fanout, loss
        As in :func:`~.rounds.simulate_rounds`.
    executor, progress, memory, chunksize
        As in :func:`dsysedu.sweep`.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``mode, N, seed, rounds`` (inf if some node never heard), and
        ``peak_mib`` with ``memory=True``; modes vary slowest, then sizes, then seeds.

    Examples
    --------
    >>> df = rounds_experiment(sizes=[100], modes=["push"], seeds=range(3))
    >>> list(df.columns), len(df)
    (['mode', 'N', 'seed', 'rounds'], 3)
    """
    modes = list(modes)
    for mode in modes:
        check_gossip_params(mode, fanout, 1.0, None, 1, True)
    sizes = [positive_int("rounds_experiment sizes", n) for n in sizes]
    build = functools.partial(spread_rounds, fanout=fanout, loss=loss)
    return sweep(build, None, seeds=seeds, params={"mode": modes, "N": sizes}, executor=executor,
                 progress=progress, memory=memory, chunksize=chunksize, description="gossip rounds")


def event_spread(seed, *, N: int, degree: int = 4, mode: str = "push", until: float = 60.0) -> dict:
    """One event-simulator gossip run on a random ``degree``-regular graph of ``N`` nodes.

    The seed draws the graph and the run. Returns ``informed``, ``residue``, ``time_to_last``
    (simulated seconds), ``traffic`` (messages per node) and ``events`` (trace rows).

    Examples
    --------
    >>> row = event_spread(0, N=200)
    >>> row["residue"], row["informed"]
    (0.0, 200)
    """
    positive_int("event_spread N", N, low=degree + 1)
    graph = nx.random_regular_graph(degree, N, seed=seed)
    trace = run_to_full_spread(gossip_scenario(graph, mode=mode, until=until), seed=seed)
    s = spread_stats(trace)
    return {"informed": s.informed, "residue": s.residue, "time_to_last": s.time_to_last,
            "traffic": s.traffic, "events": len(trace.rows)}


def event_spread_experiment(sizes=(1000,), seeds=range(2), *, degree: int = 4, mode: str = "push",
                            until: float = 60.0, executor=None, progress: bool = False,
                            memory: bool = False, chunksize=None) -> pd.DataFrame:
    """:func:`event_spread` over sizes and seeds through :func:`dsysedu.sweep`.

    ``executor``, ``progress``, ``memory`` and ``chunksize`` are passed to :func:`dsysedu.sweep`.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``N, seed`` and the keys of :func:`event_spread` (plus ``peak_mib``
        with ``memory=True``).

    Examples
    --------
    >>> df = event_spread_experiment(sizes=[100], seeds=[0, 1])
    >>> df.residue.tolist()
    [0.0, 0.0]
    """
    check_gossip_params(mode, 1, 1.0, None, 1, True)
    build = functools.partial(event_spread, degree=degree, mode=mode, until=until)
    return sweep(build, None, seeds=seeds, params={"N": [positive_int("event_spread_experiment sizes", n)
                                                         for n in sizes]},
                 executor=executor, progress=progress, memory=memory, chunksize=chunksize,
                 description="gossip events")
