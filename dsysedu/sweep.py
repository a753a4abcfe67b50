"""Sweeps: a grid of seeded runs, summarised, on any executor, into one DataFrame.

A *sweep* runs one experiment many times: once per seed and per point of a parameter grid.
Each run is reduced at once, where it ran, by a *summary* function the caller gives (a
verdict, a measure, a few numbers), so only small rows travel back. The rows come back as a
:class:`pandas.DataFrame`, in grid order whatever order the runs finished in.

Where the runs happen is the caller's choice, through the standard
:class:`concurrent.futures.Executor` interface:

- ``executor=None``: serially, in this process (the default; nothing to set up);
- :class:`concurrent.futures.ProcessPoolExecutor`: all cores of one machine;
- a Dask ``distributed.Client`` (``Client("tcp://scheduler:8786")``, or one on a
  ``LocalCluster``): a cluster. Dask's own docs call this "futures"; the client hands out a
  ``concurrent.futures`` view of itself (``client.get_executor()``), which is what we use.

Because every run is seeded and simulations are deterministic, the frame is the same on every
executor: the tests run one grid serially, on a process pool and on a Dask LocalCluster and
compare the frames.

Runs are sent in *chunks* of consecutive grid cells (by default about four chunks per
worker), so a sweep of a thousand 5-ms runs does not pay a thousand round trips to a worker.

Examples
--------
>>> from dsysedu.sim import Scenario
>>> from dsysedu.protocols.basics.toys import Flood
>>> df = sweep(Scenario(Flood, nodes=4), lambda trace: {"sends": trace.summary()["send"]},
...            seeds=range(3), params={"nodes": [4, 8]}, progress=False)
>>> list(df.columns), len(df)
(['nodes', 'seed', 'sends'], 6)

Notes
-----
What we do not do: retry failed runs, cache results, or spread one run over machines. A run
that raises stops the sweep, and the error names its seed and grid point. Dask's dashboard
(``client.dashboard_link``) shows the cluster's side of a sweep.
"""
from __future__ import annotations

import concurrent.futures as cf
import inspect
import itertools
import math
import numbers
import pickle
import sys
import tracemalloc
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from .sim.kernel import run as _run_scenario
from .sim.scenario import Scenario
from .sim.trace import Trace

__all__ = ["sweep", "grid_points"]


def _check_seeds(seeds) -> list[int]:
    if isinstance(seeds, numbers.Integral) or isinstance(seeds, (str, bytes, Mapping)) \
            or not isinstance(seeds, Iterable):
        raise TypeError(f"sweep seeds must be an iterable of ints such as range(100), got {seeds!r}")
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"sweep seeds must be non-negative ints, got {s!r}")
        out.append(int(s))
    if not out:
        raise ValueError("sweep seeds is empty: give at least one seed, e.g. range(10)")
    if len(set(out)) != len(out):
        dup = sorted({s for s in out if out.count(s) > 1})
        raise ValueError(f"sweep seeds repeat {dup}: each seed would run the same run twice")
    return out


def _check_name(name, where: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"sweep {where}: parameter names must be identifiers (strings), got {name!r}")
    if name == "seed":
        raise ValueError(f"sweep {where}: 'seed' is not a parameter; give seeds=... instead")
    return name


def grid_points(params=None) -> list[dict]:
    """The points of a parameter grid, in sweep order (the first parameter varies slowest).

    Parameters
    ----------
    params : None, dict name -> list of values, or list of dicts
        A dict is crossed (every combination); a list of dicts is taken as it is (explicit
        points, all with the same names). None is one empty point.

    Raises
    ------
    TypeError, ValueError
        For a value that is not a list (a string, a single number), an empty list, a name that
        is not an identifier or is ``seed``, or explicit points with different names.

    Examples
    --------
    >>> grid_points({"nodes": [3, 5], "loss": [0.0, 0.1]})
    [{'nodes': 3, 'loss': 0.0}, {'nodes': 3, 'loss': 0.1}, {'nodes': 5, 'loss': 0.0}, {'nodes': 5, 'loss': 0.1}]
    """
    if params is None:
        return [{}]
    if isinstance(params, Mapping):
        names = [_check_name(k, "params") for k in params]
        values = []
        for k in names:
            v = params[k]
            if isinstance(v, (str, bytes, Mapping)) or not isinstance(v, Iterable):
                raise TypeError(f"sweep params[{k!r}] must be a list of values, got {v!r}; "
                                f"wrap a single value in a list: [{v!r}]")
            v = list(v)
            if not v:
                raise ValueError(f"sweep params[{k!r}] is empty: give at least one value")
            values.append(v)
        return [dict(zip(names, combo)) for combo in itertools.product(*values)]
    if isinstance(params, Sequence) and not isinstance(params, (str, bytes)):
        points = list(params)
        if not points:
            raise ValueError("sweep params is an empty list of points: give at least one dict")
        for p in points:
            if not isinstance(p, Mapping):
                raise TypeError(f"sweep params as a list must hold dicts (one per point), got {p!r}")
            for k in p:
                _check_name(k, "params point")
        names = set(points[0])
        odd = [p for p in points if set(p) != names]
        if odd:
            raise ValueError(f"sweep params points must all have the same names {sorted(names)}, "
                             f"but {dict(odd[0])!r} differs")
        return [dict(p) for p in points]
    raise TypeError(f"sweep params must be None, a dict name -> list of values, or a list of dicts; got {params!r}")


def _check_builder(scenario, points):
    if isinstance(scenario, Scenario):
        for p in points[:1]:
            scenario.replace(**p)   # raises TypeError naming the unknown fields, ValueError for bad values
        return
    if not callable(scenario):
        raise TypeError(f"sweep scenario must be a Scenario or a callable f(seed=..., **point), got {scenario!r}")
    try:
        sig = inspect.signature(scenario)
    except (TypeError, ValueError):   # some builtins and C functions have no signature: let the run say it
        return
    try:
        sig.bind(seed=0, **points[0])
    except TypeError as exc:
        raise TypeError(f"sweep scenario {getattr(scenario, '__name__', scenario)!r} cannot be called as "
                        f"f(seed=..., {', '.join(f'{k}=...' for k in points[0])}): {exc}") from None


def _rows_of(result, summary) -> list[dict]:
    """Normalise one summary's result into rows."""
    if isinstance(result, pd.DataFrame):
        return result.to_dict("records")
    if isinstance(result, Mapping):
        return [dict(result)]
    if isinstance(result, (list, tuple)) and all(isinstance(r, Mapping) for r in result):
        return [dict(r) for r in result]
    name = getattr(summary, "__name__", "value")
    return [{("value" if name == "<lambda>" else name): result}]


def _one(scenario, summary, point: dict, seed: int, memory: bool = False) -> list[dict]:
    if memory:
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        try:
            rows = _one(scenario, summary, point, seed)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            if started:
                tracemalloc.stop()
        return [{**r, "peak_mib": peak / 2**20} for r in rows]
    if isinstance(scenario, Scenario):
        result = _run_scenario(scenario.replace(**point) if point else scenario, seed=seed)
    else:
        result = scenario(seed=seed, **point)
        if isinstance(result, Scenario):
            result = _run_scenario(result, seed=seed)
    if summary is None:
        if isinstance(result, Trace):   # its counts; the grid's own values win over e.g. its "nodes"
            return [{k: v for k, v in result.summary().items() if k not in point}]
        return _rows_of(result, None)
    return _rows_of(summary(result), summary)


def _run_chunk(scenario, summary, chunk, memory=False) -> list[tuple[int, list[dict]]]:
    """Run one chunk of ``(index, point, seed)`` cells; a worker's whole job."""
    out = []
    for index, point, seed in chunk:
        try:
            out.append((index, _one(scenario, summary, point, seed, memory)))
        except Exception as exc:
            exc.add_note(f"in the sweep's run at seed={seed}" + "".join(f", {k}={v!r}" for k, v in point.items()))
            raise
    return out


def _as_executor(executor):
    """A concurrent.futures view of ``executor`` and its number of workers."""
    distributed = sys.modules.get("distributed")
    if distributed is not None and isinstance(executor, distributed.Client):
        workers = sum(executor.nthreads().values())
        return executor.get_executor(pure=False), max(1, workers), "dask"
    if isinstance(executor, cf.Executor):
        workers = getattr(executor, "_max_workers", None) or 2
        kind = "process" if isinstance(executor, cf.ProcessPoolExecutor) else "other"
        return executor, workers, kind
    raise TypeError("sweep executor must be None (serial), a concurrent.futures.Executor "
                    f"(e.g. ProcessPoolExecutor) or a dask distributed.Client; got {executor!r}")


def _progress(total: int, enabled: bool, desc: str | None):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    # delay: a sweep done in under a second shows no bar at all
    return tqdm(total=total, desc=desc or "sweep", unit="run", delay=1.0, leave=False)


def sweep(scenario, summary=None, *, seeds=range(10), params=None, executor=None, chunksize=None,
          progress=True, description=None, memory=False) -> pd.DataFrame:
    """Run a grid of seeded runs, summarise each where it ran, return one DataFrame.

    Parameters
    ----------
    scenario : Scenario or callable
        A :class:`~dsysedu.sim.Scenario`: each grid point replaces some of its fields
        (``params={"nodes": [3, 5]}``) and it runs with each seed. Or a callable called as
        ``scenario(seed=seed, **point)`` that returns a Scenario (then run with the same seed)
        or any finished result (a Trace, a numpy curve...) for experiments that run
        themselves. On a process pool it must be picklable: a module-level function or a
        :func:`functools.partial` of one, not a lambda (Dask's cloudpickle takes lambdas).
    summary : callable, optional
        ``summary(result)`` -> a dict (one row), a list of dicts or a DataFrame (several rows),
        or a single value (one column named after the function). Default: the Trace's
        :meth:`~dsysedu.sim.Trace.summary`. Same picklability rule as ``scenario``.
    seeds : iterable of int
        One run per seed per grid point (non-negative, no repeats).
    params : None, dict name -> list of values, or list of dicts
        The grid (see :func:`grid_points`).
    executor : None, concurrent.futures.Executor or distributed.Client
        Where the runs happen; None runs them here, one after the other.
    chunksize : int, optional
        Runs per task sent to a worker; default about four tasks per worker.
    progress : bool
        A progress bar (tqdm: a widget in Jupyter, text in a terminal) for sweeps longer than 1 s.
    description : str, optional
        The progress bar's label.
    memory : bool
        Add ``peak_mib``: the peak of the memory Python allocated during each run (building,
        running and summarising it; numpy arrays included), measured with :mod:`tracemalloc`
        where the run happened. Tracing slows runs down (about 1.5-3x), and on a thread pool
        runs that overlap count each other's memory: use it on process pools and Dask.

    Returns
    -------
    pandas.DataFrame
        One row per run (or per row a summary returns): the grid's parameters, ``seed``, then
        the summary's columns; ordered by grid point, then seed, whichever executor ran them.

    Raises
    ------
    TypeError, ValueError
        For a bad grid, seeds, executor or chunk size, a scenario that cannot take the grid's
        parameters, a summary column that repeats a parameter name, or (``TypeError``) a
        scenario or summary a process pool cannot pickle. An error inside a run is raised
        again with a note naming the run's seed and point.

    Examples
    --------
    >>> from dsysedu.protocols.consensus.raft import chaos_scenario, raft_safety
    >>> def safe(trace):
    ...     return {"safe": bool(raft_safety(trace))}
    >>> df = sweep(chaos_scenario, safe, seeds=range(4), progress=False)
    >>> bool(df.safe.all())
    True
    """
    seeds = _check_seeds(seeds)
    points = grid_points(params)
    _check_builder(scenario, points)
    if summary is not None and not callable(summary):
        raise TypeError(f"sweep summary must be a callable summary(result) or None, got {summary!r}")
    if chunksize is not None and (isinstance(chunksize, bool) or not isinstance(chunksize, numbers.Integral)
                                  or chunksize < 1):
        raise ValueError(f"sweep chunksize must be a positive int or None, got {chunksize!r}")
    cells = [(i, point, seed) for i, (point, seed) in enumerate((p, s) for p in points for s in seeds)]
    bar = _progress(len(cells), progress, description)
    results: dict[int, list[dict]] = {}
    try:
        if executor is None:
            for cell in cells:
                results.update(_run_chunk(scenario, summary, [cell], memory))
                if bar is not None:
                    bar.update(1)
        else:
            pool, workers, kind = _as_executor(executor)
            if kind == "process":
                try:
                    pickle.dumps((scenario, summary))
                except Exception as exc:
                    raise TypeError("sweep on a process pool needs a picklable scenario and summary (module-level "
                                    f"functions or functools.partial, not lambdas or local functions): {exc}") from None
            size = chunksize or max(1, math.ceil(len(cells) / (4 * workers)))
            chunks = [cells[i:i + size] for i in range(0, len(cells), size)]
            futures = [pool.submit(_run_chunk, scenario, summary, chunk, memory) for chunk in chunks]
            try:
                for fut in cf.as_completed(futures):
                    done = fut.result()
                    results.update(done)
                    if bar is not None:
                        bar.update(len(done))
            finally:
                for fut in futures:
                    fut.cancel()
    finally:
        if bar is not None:
            bar.close()
    names = list(points[0])
    rows = []
    for i, point, seed in cells:
        for r in results[i]:
            clash = [k for k in r if k in point or k == "seed"]
            if clash:
                raise ValueError(f"sweep summary returned column(s) {clash} that repeat the grid's names; rename them")
            rows.append({**point, "seed": seed, **r})
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=[*names, "seed"])
    return frame
