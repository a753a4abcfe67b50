"""A distribution of measured values: a histogram with the ranges and marks theory gives.

A lesson that measures one number over many seeds (the time an election takes, a detection
delay) wants to show its spread, not only its mean, and to set it beside the range that the
mechanism promises (the election timer's ``[T, 2T]``). :func:`histogram` draws that in one call,
in the style of :func:`dsysedu.viz.curves.curves`.

Examples
--------
>>> ax = histogram([0.16, 0.17, 0.2, 0.18, 0.25], bins=5, spans={"timer range": (0.15, 0.3)},
...                vlines={0.18: "median"}, xlabel="seconds")
>>> [t.get_text() for t in ax.get_legend().get_texts()]
['timer range', 'measured (5 runs)', 'median']
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from dsysedu.viz import style
from dsysedu.viz.curves import _decorate, _new_axes

__all__ = ["histogram"]


def histogram(values, *, bins=20, ax=None, label=None, spans=None, vlines=None, title=None, xlabel=None,
              ylabel="runs", xlim=None, legend="best"):
    """Draw a histogram of measured values; return the Axes.

    Parameters
    ----------
    values : sequence of float
        The measurements (NaN values are left out, and counted in the legend).
    bins : int or sequence of float
        As :func:`numpy.histogram` takes them.
    ax : matplotlib Axes, optional
    label : str, optional
        The bars' legend entry; default ``"measured (N runs)"``.
    spans : mapping label -> (low, high), optional
        Ranges to shade behind the bars (a timer's range, a bound).
    vlines : mapping value -> label, optional
        Vertical marks (a median, a theoretical value).
    title, xlabel, ylabel : str, optional
    xlim : (float, float), optional
    legend : str or False
        Where the legend goes (a matplotlib ``loc``), or False for none.

    Raises
    ------
    ValueError
        If no value is a finite number.
    """
    data = np.asarray([float(v) for v in values], dtype=float)
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        raise ValueError("histogram needs at least one finite value")
    if spans is not None and not isinstance(spans, Mapping):
        raise TypeError("spans must be a mapping label -> (low, high)")
    ax = _new_axes() if ax is None else ax
    missing = data.size - finite.size
    default = f"measured ({finite.size} runs" + (f", {missing} without a value)" if missing else ")")
    for j, (name, (low, high)) in enumerate((spans or {}).items()):
        ax.axvspan(low, high, color=style.series_color(j + 1), alpha=0.18, lw=0, label=name, zorder=0)
    ax.hist(finite, bins=bins, color=style.series_color(0), edgecolor=style.OUTLINE, lw=0.6,
            label=default if label is None else label, zorder=2)
    styles = iter(("--", ":", "-.") * 4)
    for value, name in (vlines or {}).items():
        ax.axvline(value, color=style.ANNOTATION, lw=1.3, ls=next(styles), label=name, zorder=3)
    _decorate(ax, [], title=title, xlabel=xlabel, ylabel=ylabel, logx=False, logy=False, xlim=xlim, ylim=None)
    if legend:
        ax.legend(loc=legend, fontsize=style.FONT["legend"], frameon=False)
    return ax
