"""Several runs, one view each, in one figure: the way a lesson compares two variants (side by side).

:func:`side_by_side` draws the same view (space-time diagram, timeline, topology...) of several
traces in a row (or a column), each panel titled, so that a crash can be set against a pause, or
Raft with PreVote against Raft without.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping

import numpy as np

from dsysedu.viz import style

__all__ = ["side_by_side"]


def side_by_side(view: Callable, traces: Mapping, *args, rows: int = 1, sharex: bool = False, sharey: bool = False,
                 figsize=None, **kwargs):
    """Draw ``view(trace, *args, ax=..., **kwargs)`` for each trace, in panels titled by the keys.

    Parameters
    ----------
    view : callable
        A view that takes a trace, then ``*args``, and an ``ax`` keyword (every view in
        :mod:`dsysedu.viz` does). If it takes ``legend``, only the last panel draws one (pass
        ``legend=True`` for one in each, when the panels show different things); if it
        takes ``title``, it gets the panel's title (and may add its own second line).
    traces : mapping title -> Trace
        In panel order (left to right, then top to bottom).
    *args, **kwargs
        Passed to every call of ``view`` (``"term"`` for a timeline, ``t_range=...``).
    rows : int
        1: all panels in a row; ``len(traces)``: in a column.
    sharex, sharey : bool
        Share the axes' ranges, for values that must be compared by eye.
    figsize : (float, float), optional
        Default: 6 by 3.4 inches a panel in a row, 11 by 2.8 in a column.

    Returns
    -------
    numpy.ndarray of Axes

    Raises
    ------
    ValueError
        No traces, or ``rows`` that does not divide the number of traces.

    Examples
    --------
    >>> from dsysedu import Scenario, run, Crash, Pause
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> from dsysedu.viz import spacetime
    >>> runs = {f"{f.__class__.__name__.lower()} at 0.3 s": run(Scenario(PingEcho, nodes=3, faults=[f], until=1.0),
    ...                                                          seed=1) for f in (Crash(2, at=0.3), Pause(2, at=0.3))}
    >>> axes = side_by_side(spacetime, runs, rows=2)
    >>> [ax.get_title(loc="left").splitlines()[0] for ax in axes]
    ['crash at 0.3 s', 'pause at 0.3 s']
    """
    import matplotlib.pyplot as plt

    n = len(traces)
    if n == 0:
        raise ValueError("side_by_side needs at least one trace")
    if rows < 1 or n % rows:
        raise ValueError(f"rows must divide the number of traces ({n}), not {rows!r}")
    cols = n // rows
    if figsize is None:
        figsize = (6.0 * cols, 3.4) if rows == 1 else (11.0 * cols, 2.8 * rows)
    _, axes = plt.subplots(rows, cols, figsize=figsize, sharex=sharex, sharey=sharey, layout="constrained",
                           squeeze=False)
    axes = axes.ravel()
    try:
        takes = set(inspect.signature(view).parameters)
    except (TypeError, ValueError):
        takes = set()
    for i, (ax, (title, trace)) in enumerate(zip(axes, traces.items())):
        extra = {"legend": i == n - 1} if "legend" in takes and "legend" not in kwargs else {}
        if "title" in takes:   # the view places its own title (with its counts)
            view(trace, *args, ax=ax, title=str(title), **kwargs, **extra)
        else:
            view(trace, *args, ax=ax, **kwargs, **extra)
            ax.set_title(str(title), loc="left", fontsize=style.FONT["title"])
    if sharex and rows > 1:   # one axis label under the column, as the shared ticks are
        for ax in axes[:-cols]:
            ax.set_xlabel("")
    return np.asarray(axes)
