"""Views of chapter 9: one trace as a waterfall, alerts against incidents, a cluster healing.

* :func:`waterfall_view`: the spans of one trace as bars on a time axis, a row per span in
  call order, indented by depth (what Jaeger or Grafana Tempo show for a trace id);
* :func:`alert_view`: a metric of an SLI frame over time with the incidents shaded, and below
  it one row per detector with a mark where each alert fired;
* :func:`serving_view`: replicas serving over time, one step line per run (with and without the
  reconciliation loop), the machine crashes shaded.

They read finished results (spans, frames, traces) and never run a simulation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dsysedu.ops.alerting import alerts as fire
from dsysedu.ops.healing import serving
from dsysedu.ops.telemetry import waterfall

from . import style

__all__ = ["waterfall_view", "alert_view", "serving_view"]

_OK, _ERROR = style.OKABE_ITO["blue"], style.FAULT
_INCIDENT = style.OKABE_ITO["orange"]


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt   # here, so that importing the views does not start pyplot
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def waterfall_view(source, trace_id: str, ax=None, title: str | None = None):
    """Draw one trace's spans as a waterfall; return the Axes.

    Bars are server spans (filled) and client spans (outlined: the time the caller waited,
    network included); red bars ended in an error. Times are milliseconds from the trace's start.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.ops.services import service_scenario
    >>> from dsysedu.ops.telemetry import spans
    >>> trace = run(service_scenario(rate=10.0, duration=1.0), seed=9)
    >>> ax = waterfall_view(trace, spans(trace)[0].trace_id)
    >>> len(ax.get_yticks())
    11
    """
    rows = waterfall(source, trace_id)
    if ax is None:
        import matplotlib.pyplot as plt
        height = 0.3 * len(rows) + 1.4
        fig, ax = plt.subplots(figsize=(8.0, height))
        fig.subplots_adjust(left=0.3, right=0.97, top=1 - 0.45 / height, bottom=0.95 / height)
    t0 = rows.start.min()
    for i, r in enumerate(rows.itertuples()):
        colour = _ERROR if r.status == "ERROR" else _OK
        left, width = (r.start - t0) * 1e3, max(r.duration * 1e3, 0.05)
        if r.kind == "client":
            ax.barh(i, width, left=left, height=0.55, color="none", edgecolor=colour, linewidth=1.2)
        else:
            ax.barh(i, width, left=left, height=0.55, color=colour, alpha=0.85 if r.kind == "server" else 0.45)
        ax.text(left + width, i, f" {r.duration * 1e3:.1f} ms", va="center", fontsize=style.FONT["small"],
                color=style.ANNOTATION)
    ax.set_yticks(range(len(rows)), [""] * len(rows))
    ax.tick_params(axis="y", length=0)
    for i, (d, name) in enumerate(zip(rows.depth, rows.name)):     # indented by depth, left-aligned
        ax.text(-0.4 + 0.025 * d, i, name, transform=ax.get_yaxis_transform(), ha="left",
                va="center", fontsize=style.FONT["tick"])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("ms since the request started", fontsize=style.FONT["label"])
    ax.set_xlim(0, (rows.end.max() - t0) * 1e3 * 1.18)
    ax.set_title(title or f"trace {trace_id[:8]}…: {len(rows)} spans", fontsize=style.FONT["title"], loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color=_OK, label="server span"), Patch(edgecolor=_OK, facecolor="none",
                                                                    label="client span (call)"),
                       Patch(color=_ERROR, label="error")], fontsize=style.FONT["legend"], loc="upper center",
              bbox_to_anchor=(0.5, -0.55 / (0.3 * len(rows))), ncols=3, frameon=False)
    return ax


def _shade(ax, incidents, label=True):
    for k, x in enumerate(incidents):
        start, end = (x.start, x.end) if hasattr(x, "start") else x
        ax.axvspan(start, end, color=_INCIDENT, alpha=0.18, lw=0, label="incident" if label and k == 0 else None)


def alert_view(frame: pd.DataFrame, detectors, incidents=(), column: str = "bad_ratio", ylabel: str | None = None,
               title: str | None = None):
    """A metric over time with incidents shaded, and the alerts of each detector below it; return the Figure.

    Parameters
    ----------
    frame : DataFrame
        An SLI frame (``end`` and ``column``).
    detectors : mapping name -> rule(s), or name -> alerts DataFrame
        Each gets a row of marks at the times its alerts fired (pages filled, tickets hollow).
    incidents : sequence of Incident or (start, end)
    """
    import matplotlib.pyplot as plt
    names = list(detectors)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.0, 3.0 + 0.32 * len(names)), sharex=True, layout="constrained",
                                      gridspec_kw={"height_ratios": [2.2, 0.35 * len(names) + 0.3]})
    top.plot(frame["end"], frame[column], color=style.series_color(0), lw=0.9, label=ylabel or column)
    _shade(top, incidents)
    top.set_ylabel(ylabel or column, fontsize=style.FONT["label"])
    top.legend(fontsize=style.FONT["legend"], loc="upper right", frameon=False)
    top.spines[["top", "right"]].set_visible(False)
    if title:
        top.set_title(title, fontsize=style.FONT["title"])
    _shade(bottom, incidents, label=False)
    for i, name in enumerate(names):
        given = detectors[name]
        table = given if isinstance(given, pd.DataFrame) else fire(frame, given)
        for severity, face in (("page", style.series_color(i)), ("ticket", "none")):
            t = table[table.severity == severity].fired if "severity" in table else table.fired
            if len(t):
                bottom.scatter(t, np.full(len(t), i), marker="v", s=42, facecolor=face, edgecolor=style.series_color(i),
                               zorder=3)
            if "severity" not in table:
                break
    bottom.set_yticks(range(len(names)), names, fontsize=style.FONT["tick"])
    bottom.scatter([], [], marker="v", facecolor=style.NEUTRAL, edgecolor=style.NEUTRAL, label="page fired")
    bottom.scatter([], [], marker="v", facecolor="none", edgecolor=style.NEUTRAL, label="ticket fired")
    bottom.legend(fontsize=style.FONT["legend"], loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
                  frameon=False)
    bottom.set_ylim(len(names) - 0.5, -0.5)
    bottom.set_xlabel("simulated seconds", fontsize=style.FONT["label"])
    bottom.spines[["top", "right"]].set_visible(False)
    bottom.set_xlim(frame["start"].min(), frame["end"].max())
    return fig


def serving_view(traces, desired: int, failures=(), ax=None, title: str | None = None):
    """Replicas serving over time, a step line per run (``label -> trace``); return the Axes.

    Below the lines, a lane per machine that fails shows when it was down (``failures``: Crash faults).
    """
    fig, ax = _axes(ax, (9.0, 3.4))
    machines = sorted({f.node for f in failures}, key=str)
    lane = {m: -0.45 - 0.4 * i for i, m in enumerate(machines)}
    end = max(t.end_time for t in traces.values())
    for k, f in enumerate(failures):
        until = f.until if f.until is not None else end
        ax.broken_barh([(f.at, until - f.at)], (lane[f.node] - 0.14, 0.28), color=style.CRASHED,
                       label="machine down" if k == 0 else None)
    for i, (label, trace) in enumerate(traces.items()):
        s = serving(trace)
        xs = np.append(s.time.to_numpy(), trace.end_time)
        ys = np.append(s.serving.to_numpy(), s.serving.iloc[-1])
        ax.step(xs, ys, where="post", color=style.series_color(i), lw=1.4, label=label)
    ax.axhline(desired, color=style.ANNOTATION, ls=":", lw=1, label=f"desired = {desired}")
    ticks = list(range(desired + 1)) + [lane[m] for m in machines]
    ax.set_yticks(ticks, [str(t) for t in range(desired + 1)] + [str(m) for m in machines],
                  fontsize=style.FONT["tick"])
    ax.set_ylim(min(ticks) - 0.3, desired + 1.0)
    ax.set_xlim(0, end)
    ax.set_xlabel("simulated seconds", fontsize=style.FONT["label"])
    ax.set_ylabel("replicas serving", fontsize=style.FONT["label"])
    ax.legend(fontsize=style.FONT["legend"], loc="upper right", ncols=4, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=style.FONT["title"])
    return ax
