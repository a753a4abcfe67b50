"""Jepsen-style chaos over many seeds: does any random fault schedule break Raft's safety?

:func:`chaos_experiment` runs :func:`~dsysedu.protocols.consensus.raft.scenarios.chaos_scenario`
once per seed (random crashes, pauses, partitions and lossy links, drawn from the seed) and
keeps, per run, the verdicts of :func:`chaos_verdicts`. It goes through :func:`dsysedu.sweep`,
so the same call runs on one core, a process pool or a Dask cluster, with the same frame.
"""
from __future__ import annotations

import functools

import pandas as pd

from dsysedu.sweep import sweep
from ..properties import client_liveness, raft_safety
from ..scenarios import chaos_scenario

__all__ = ["chaos_verdicts", "chaos_experiment"]


def chaos_verdicts(trace) -> dict:
    """One chaotic run's verdicts: ``safe`` (:func:`raft_safety`), ``live`` (:func:`client_liveness`),
    and the run's size (``events``, ``elections``: the highest term any node reached)."""
    terms = trace.observations("term")
    return {"safe": bool(raft_safety(trace)), "live": bool(client_liveness(trace)),
            "elections": int(terms.value.max()) if len(terms) else 0, "events": len(trace.rows)}


def chaos_experiment(seeds=range(30), *, nodes: int = 5, protocol=None, executor=None, progress: bool = False,
                     chunksize=None, **scenario_params) -> pd.DataFrame:
    """:func:`chaos_verdicts` of one :func:`chaos_scenario` run per seed.

    Parameters
    ----------
    seeds : iterable of int
        One run per seed; the seed draws the faults, the network and the client requests.
    nodes : int
        Cluster size.
    protocol : Raft subclass, optional
        A broken variant to catch (default :class:`Raft`).
    executor : None, concurrent.futures.Executor or distributed.Client
        Where the runs happen (see :func:`dsysedu.sweep`).
    progress : bool
        Show a progress bar.
    chunksize : int, optional
        Runs per task sent to a worker.
    **scenario_params
        More keyword arguments for :func:`chaos_scenario` (``stop``, ``until``, ``prevote=True``...).

    Returns
    -------
    pandas.DataFrame
        One row per seed: ``seed, safe, live, elections, events``.

    Examples
    --------
    >>> df = chaos_experiment(seeds=range(3))
    >>> bool(df.safe.all()), list(df.seed)
    (True, [0, 1, 2])
    """
    build = functools.partial(chaos_scenario, nodes, protocol=protocol, **scenario_params)
    return sweep(build, chaos_verdicts, seeds=seeds, executor=executor, progress=progress, chunksize=chunksize,
                 description="Raft chaos seeds")
