"""Curves against a parameter: the measured numbers of an experiment, drawn the one same way.

A lesson sweeps a parameter (a timeout, a cluster size, a clock skew) over several seeds and
wants one picture: one line per setting, labelled axes, a legend, perhaps the curve that theory
predicts and a line for a bound or a threshold. :func:`curves` draws that from a table in one
call, so notebook cells hold no plotting code. :func:`strips` draws the other common picture:
one dot per seed, a row per setting.

Data comes in one of three shapes:

- a long :class:`pandas.DataFrame`: ``x`` and ``y`` name columns, ``by`` the column whose values
  are the series. Several rows at one ``x`` (one per seed) are averaged, and ``band`` shades
  their spread;
- a wide DataFrame (or one :class:`pandas.Series`): the index is ``x``, each column a series;
- a mapping ``label -> Series`` (index ``x``) or ``label -> (xs, ys)``, for series measured at
  different ``x``.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"n": [10, 10, 100, 100], "seed": [0, 1, 0, 1], "rounds": [6, 8, 11, 12]})
>>> ax = curves(runs, x="n", y="rounds", band="range", logx=True, reference={"theory": lambda n: n ** 0.5})
>>> [line.get_label() for line in ax.get_lines()]
['rounds', 'theory']
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from dsysedu.viz import style

__all__ = ["curves", "strips", "MARKERS"]

#: markers of the series, in order (filled, and distinct in black and white)
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_REFERENCE_STYLES = ("--", ":", "-.", (0, (5, 2, 1, 2)))
_BANDS = ("std", "range")
_FIGSIZE = (7.0, 3.4)


def _new_axes(ncols=1, figsize=_FIGSIZE):
    import matplotlib.pyplot as plt   # here, so that importing the views does not start pyplot
    return plt.subplots(1, ncols, figsize=figsize, layout="constrained")[1]


def curves(data, x=None, y=None, *, by=None, ax=None, title=None, xlabel=None, ylabel=None,
           logx: bool = False, logy: bool = False, markers=True, lines: bool = True, step: bool = False,
           band=None, reference=None, hlines=None, vlines=None, labels=None, colors=None, xlim=None,
           ylim=None, panels: bool = False, legend="best"):
    """Draw one or more series of measurements against a parameter; return the Axes.

    Parameters
    ----------
    data : DataFrame, Series or mapping
        The measurements, in one of the shapes of the module docstring.
    x : str, optional
        The parameter's column (long form). Default: the index.
    y : str or list of str, optional
        The measured column(s). Default: every numeric column but ``x`` (and ``by``).
    by : str, optional
        The column whose values are the series (long form), one line each, in order of
        appearance.
    ax : matplotlib Axes (or a sequence of Axes with ``panels``), optional
        Default: a new figure.
    title, xlabel, ylabel : str, optional
        ``xlabel`` defaults to ``x`` (or the index's name); ``ylabel`` to ``y`` when it is
        one column. With ``panels``, ``title`` and ``ylabel`` may be lists, one per panel.
    logx, logy : bool
        Log scales. Tick labels are plain numbers (``0.2``, ``5``, ``1000``), and when the
        data have at most ten distinct ``x`` values that stand apart, the ticks sit on them.
    markers : bool, str or sequence of str
        ``True``: a marker of :data:`MARKERS` per series; ``False``: none; a string: that
        marker for all; a sequence: one per series.
    lines : bool
        Join the points (``False`` draws the points only, as a scatter).
    step : bool
        Draw a staircase (a count that holds between changes), not straight segments.
    band : None, "std" or "range"
        With several rows per ``x`` in a series (one per seed), shade mean ± standard
        deviation or min to max around the mean line.
    reference : mapping label -> callable, Series or (xs, ys), optional
        Curves that theory predicts, drawn dashed in grey. A callable is evaluated on a fine
        grid over the data's ``x`` range (log-spaced on a log axis).
    hlines, vlines : mapping value -> label, optional
        Horizontal / vertical lines (bounds, thresholds, moments), drawn dotted in grey and
        named in the legend.
    labels : str or mapping label -> sequence, optional
        Write a value next to each point: a column name (long form), or, per series, the
        texts in the order of its points.
    colors : sequence or mapping label -> colour, optional
        Default: :func:`dsysedu.viz.style.series_color` in order.
    xlim, ylim : pair, optional
    panels : bool
        With several ``y`` columns, draw each in its own panel, side by side (the series then
        come from ``by``); returns an array of Axes.
    legend : str or False
        Legend position (a matplotlib ``loc``, or ``"outside"`` for the right of the Axes);
        ``False`` for none. No legend is drawn for one unnamed series.

    Returns
    -------
    matplotlib.axes.Axes, or numpy.ndarray of Axes with ``panels``

    Raises
    ------
    ValueError
        An unknown column or ``band``, a series without points, or ``panels`` without
        several ``y`` columns.
    TypeError
        ``data`` of another type.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"skew": [0, 1, 2], "physical": [0, 3, 9], "Lamport": [0, 0, 0]})
    >>> ax = curves(table.set_index("skew"), ylabel="pairs out of order", hlines={5: "a bound"})
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('skew', ['physical', 'Lamport', 'a bound'])
    """
    if band is not None and band not in _BANDS:
        raise ValueError(f"band must be None or one of {_BANDS}, not {band!r}")
    ys = [y] if isinstance(y, str) or y is None else list(y)
    if panels:
        return _panels(data, x, ys, by=by, ax=ax, title=title, xlabel=xlabel, ylabel=ylabel, logx=logx, logy=logy,
                       markers=markers, lines=lines, step=step, band=band, reference=reference, hlines=hlines,
                       vlines=vlines, labels=labels, colors=colors, xlim=xlim, ylim=ylim, legend=legend)
    series, default_xlabel, default_ylabel = _series(data, x, ys, by, labels)
    if ax is None:
        ax = _new_axes()
    colour_of = _colours(colors, [s["label"] for s in series])
    xs_all = []
    for i, s in enumerate(series):
        colour, marker = colour_of[i], _marker(markers, i)
        kw = dict(color=colour, marker=marker, label=s["label"], zorder=3)
        if not lines:
            kw.update(linestyle="none", markersize=6 if len(s["x"]) <= 60 else 2.5, alpha=0.9 if len(s["x"]) <= 60
                      else 0.6)
        elif marker:
            kw.update(markersize=5)
        if step:
            kw["drawstyle"] = "steps-post"
        ax.plot(s["x"], s["mean"], **kw)
        if band is not None and s["low"] is not None:
            low, high = (s["mean"] - s["std"], s["mean"] + s["std"]) if band == "std" else (s["low"], s["high"])
            ax.fill_between(s["x"], low, high, color=colour, alpha=0.18, linewidth=0, zorder=2)
        if s["text"] is not None:
            _annotate(ax, s["x"], s["mean"], s["text"], i)
        xs_all.extend(s["x"])
    _references(ax, reference, xs_all, logx)
    _rules(ax, hlines, vlines)
    _decorate(ax, xs_all, title=title, xlabel=default_xlabel if xlabel is None else xlabel,
              ylabel=default_ylabel if ylabel is None else ylabel, logx=logx, logy=logy, xlim=xlim, ylim=ylim)
    named = len(series) > 1 or series[0]["label"] not in (None, "", default_ylabel) or reference or hlines or vlines
    if legend is not False and named:
        if legend == "outside":
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=style.FONT["legend"])
        else:
            ax.legend(loc=legend, fontsize=style.FONT["legend"], framealpha=0.85)
    return ax


def strips(data: pd.DataFrame, value: str, by: str, *, ax=None, title=None, xlabel=None, vlines=None,
           logx: bool = False, colors=None, jitter: float = 0.25):
    """One dot per row (per seed), a row of dots per setting: how a measure spreads.

    Parameters
    ----------
    data : DataFrame
        One row per run.
    value : str
        The measured column (the x axis).
    by : str
        The column of settings (the rows, top to bottom in order of appearance).
    ax : matplotlib Axes, optional
    title, xlabel : str, optional
        ``xlabel`` defaults to ``value``.
    vlines : mapping value -> label, optional
        Vertical lines (a bound), dotted in grey and named in the legend.
    logx : bool
    colors : sequence or mapping setting -> colour, optional
    jitter : float
        How far apart, in rows, the dots of one setting are spread vertically (0 to 0.45),
        in the rows' order, so that equal values stay visible.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"setting": ["a", "a", "b"], "rounds": [3, 4, 30]})
    >>> ax = strips(runs, "rounds", "setting", vlines={30: "the bound"})
    >>> [t.get_text() for t in ax.get_yticklabels()][::-1]   # top to bottom
    ['a', 'b']
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"strips needs a DataFrame, not {type(data).__name__}")
    for col in (value, by):
        if col not in data.columns:
            raise ValueError(f"no column {col!r}; columns are {list(data.columns)}")
    if not 0 <= jitter <= 0.45:
        raise ValueError(f"jitter must be in [0, 0.45], not {jitter}")
    if ax is None:
        ax = _new_axes()
    groups = list(data.groupby(by, sort=False))
    colour_of = _colours(colors, [str(k) for k, _ in groups])
    n = len(groups)
    for i, (_, group) in enumerate(groups):
        row = n - 1 - i   # the first setting on top
        spread = np.linspace(-jitter, jitter, len(group)) if len(group) > 1 else np.zeros(1)
        ax.scatter(group[value], row + spread, s=18, color=colour_of[i], zorder=3)
    ax.set_yticks(range(n), [str(k) for k, _ in groups][::-1], fontsize=style.FONT["tick"])
    ax.set_ylim(-0.6, n - 0.4)
    _rules(ax, None, vlines)
    _decorate(ax, [], title=title, xlabel=value if xlabel is None else xlabel, ylabel=None, logx=logx, logy=False,
              xlim=None, ylim=None)
    if vlines:
        ax.legend(loc="best", fontsize=style.FONT["legend"], framealpha=0.85)
    return ax


# -- data shapes ------------------------------------------------------------------------------

def _series(data, x, ys, by, labels):
    """A list of dicts (label, x, mean, std, low, high, text) and the default axis labels."""
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "value")
    if isinstance(data, pd.DataFrame):
        return _from_frame(data, x, ys, by, labels)
    if isinstance(data, Mapping):
        if x is not None or by is not None:
            raise ValueError("x and by name columns of a DataFrame; a mapping gives each series its own x")
        out = []
        for label, s in data.items():
            if isinstance(s, pd.Series):
                xs, vals = s.index.to_numpy(), s.to_numpy()
            elif isinstance(s, tuple) and len(s) == 2:
                xs, vals = np.asarray(s[0]), np.asarray(s[1])
            else:
                raise TypeError(f"series {label!r} must be a pandas Series or an (xs, ys) pair, "
                                f"not {type(s).__name__}")
            text = None if labels is None else list(labels[label]) if label in labels else None
            out.append(_aggregate(str(label), xs, vals, text))
        if not out:
            raise ValueError("no series to draw")
        return out, None, None
    raise TypeError(f"data must be a DataFrame, a Series or a mapping of series, not {type(data).__name__}")


def _from_frame(df, x, ys, by, labels):
    if x is None:
        df = df.reset_index()
        x = df.columns[0]
    for col in [x, by] + [c for c in ys if c is not None]:
        if col is not None and col not in df.columns:
            raise ValueError(f"no column {col!r}; columns are {list(df.columns)}")
    if ys == [None]:
        ys = [c for c in df.columns if c not in (x, by) and pd.api.types.is_numeric_dtype(df[c])
              and not pd.api.types.is_bool_dtype(df[c])]
        if not ys:
            raise ValueError("no numeric column to draw; name one with y=")
    if isinstance(labels, str) and labels not in df.columns:
        raise ValueError(f"labels: no column {labels!r}")
    out = []
    if by is None:
        for col in ys:
            out.append(_aggregate(str(col), df[x].to_numpy(), df[col].to_numpy(),
                                  df[labels].tolist() if isinstance(labels, str) else None))
    else:
        if len(ys) != 1:
            raise ValueError("with by=, y must be one column (or use panels=True for one panel per column)")
        for key, group in df.groupby(by, sort=False):
            out.append(_aggregate(str(key), group[x].to_numpy(), group[ys[0]].to_numpy(),
                                  group[labels].tolist() if isinstance(labels, str) else None))
    ylabel = str(ys[0]) if len(ys) == 1 else None
    return out, str(x), ylabel


def _aggregate(label, xs, vals, text):
    if len(xs) != len(vals):
        raise ValueError(f"series {label!r}: {len(xs)} x values but {len(vals)} y values")
    if len(xs) == 0:
        raise ValueError(f"series {label!r} has no points")
    frame = pd.DataFrame({"x": xs, "y": np.asarray(vals, dtype=float)})
    if text is not None:
        frame["text"] = list(text)
    if frame.x.duplicated().any():   # several seeds per x: mean, and their spread
        g = frame.groupby("x", sort=True).y
        stats = g.agg(["mean", "std", "min", "max"])
        return dict(label=label, x=stats.index.to_numpy(), mean=stats["mean"].to_numpy(),
                    std=stats["std"].fillna(0).to_numpy(), low=stats["min"].to_numpy(), high=stats["max"].to_numpy(),
                    text=None)
    return dict(label=label, x=frame.x.to_numpy(), mean=frame.y.to_numpy(), std=None, low=None, high=None,
                text=None if text is None else frame["text"].tolist())


# -- drawing ----------------------------------------------------------------------------------

def _colours(colors, labels):
    if colors is None:
        return [style.series_color(i) for i in range(len(labels))]
    if isinstance(colors, Mapping):
        return [colors.get(label, style.series_color(i)) for i, label in enumerate(labels)]
    colors = list(colors)
    return [colors[i % len(colors)] for i in range(len(labels))]


def _marker(markers, i):
    if markers is True:
        return MARKERS[i % len(MARKERS)]
    if not markers:
        return None
    if isinstance(markers, str):
        return markers
    return list(markers)[i % len(markers)]


def _annotate(ax, xs, ys, texts, i):
    # alternate sides per series, so that two series' labels at nearby points do not collide
    offset, ha = ((6, 3), "left") if i % 2 else ((-6, -11), "right")
    for x, y, text in zip(xs, ys, texts):
        ax.annotate(str(text), (x, y), textcoords="offset points", xytext=offset, ha=ha,
                    fontsize=style.FONT["small"], color=style.ANNOTATION)


def _references(ax, reference, xs, logx):
    if not reference:
        return
    for j, (label, ref) in enumerate(reference.items()):
        if callable(ref):
            lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
            grid = np.geomspace(lo, hi, 200) if logx and lo > 0 else np.linspace(lo, hi, 200)
            rx, ry = grid, np.array([ref(v) for v in grid], dtype=float)
        elif isinstance(ref, pd.Series):
            rx, ry = ref.index.to_numpy(), ref.to_numpy(dtype=float)
        elif isinstance(ref, tuple) and len(ref) == 2:
            rx, ry = np.asarray(ref[0]), np.asarray(ref[1], dtype=float)
        else:
            raise TypeError(f"reference {label!r} must be a callable, a Series or an (xs, ys) pair")
        ax.plot(rx, ry, linestyle=_REFERENCE_STYLES[j % len(_REFERENCE_STYLES)], color=style.ANNOTATION, lw=1.3,
                label=str(label), zorder=2)


def _rules(ax, hlines, vlines):
    styles = iter((":", "--", "-.", (0, (1, 3))) * 4)
    for value, label in (hlines or {}).items():
        ax.axhline(value, color=style.FAINT if label is None else style.ANNOTATION, lw=1.1, ls=next(styles),
                   label=label, zorder=1)
    for value, label in (vlines or {}).items():
        ax.axvline(value, color=style.ANNOTATION, lw=1.1, ls=next(styles), label=label, zorder=1)


def _spread_out(values, log: bool) -> bool:
    """Whether ticks on each of these (at most ten) values would stand apart from one another."""
    if not 1 < len(values) <= 10 or (log and values[0] <= 0):
        return False
    at = np.log10(values) if log else np.asarray(values)
    return bool(np.diff(at).min() >= (at[-1] - at[0]) / 14)


def _plain(value, _pos=None):
    return f"{value:g}"


def _decorate(ax, xs, *, title, xlabel, ylabel, logx, logy, xlim, ylim):
    distinct = sorted({float(v) for v in xs if isinstance(v, Real) and np.isfinite(v)})
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if _spread_out(distinct, logx):
        ax.set_xticks(distinct)
        ax.xaxis.set_major_formatter(FuncFormatter(_plain))
        if logx:
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.minorticks_off()
    elif logx:
        ax.xaxis.set_major_formatter(FuncFormatter(_plain))
    if logy:
        low, high = ax.get_ylim() if ylim is None else ylim
        if low > 0 and high / low < 1000:   # under three decades: label 1, 2, 5 of each decade
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_minor_formatter(NullFormatter())
        if low > 0 and high / low < 1e6:
            ax.yaxis.set_major_formatter(FuncFormatter(_plain))
    if xlim is not None:
        ax.set_xlim(xlim)
    if ylim is not None:
        ax.set_ylim(ylim)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=style.FONT["label"])
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=style.FONT["label"])
    if title:
        ax.set_title(title, loc="left", fontsize=style.FONT["title"])
    ax.tick_params(labelsize=style.FONT["tick"])
    ax.grid(True, which="major", color=style.EMPTY_SLOT, lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _panels(data, x, ys, *, by, ax, title, xlabel, ylabel, **kw):
    if len(ys) < 2 or None in ys:
        raise ValueError("panels=True needs y to name two or more columns")
    n = len(ys)
    if ax is None:
        ax = _new_axes(n, (5.6 * n, 3.6))
    axes = np.asarray(ax).ravel()
    if len(axes) != n:
        raise ValueError(f"{n} columns need {n} Axes, not {len(axes)}")
    titles = title if isinstance(title, Sequence) and not isinstance(title, str) else [title] + [None] * (n - 1)
    ylabels = ylabel if isinstance(ylabel, Sequence) and not isinstance(ylabel, str) else [ylabel] * n
    legend = kw.pop("legend")
    for i, (col, a) in enumerate(zip(ys, axes)):
        curves(data, x, col, by=by, ax=a, title=titles[i], xlabel=xlabel, ylabel=ylabels[i],
               legend=legend if i == n - 1 else False, **kw)
    return axes
