"""The chaos experiment view: what users saw, the fault, the hypothesis windows and the journal.

From a run of :class:`~dsysedu.ops.chaos.ChaosLab` (its trace) and the Chaos Toolkit journal of
the experiment (read back by :func:`~dsysedu.ops.chaos_journal.read_journal`):

* left, against simulated time: the users' p99 latency and error ratio per half second, each
  with the tolerance its hypothesis probe allows (dashed), the fault's window shaded; under them
  a strip of lanes: the hypothesis windows *before* and *after* the method (green when every
  probe met its tolerance, red when one did not, with the value it read), the fault on its one
  service (the blast radius), the rollback, and, when given, the alerts that fired and the
  self-healing loop's actions;
* right, the journal itself: status, deviated, Chaos Toolkit's wall-clock duration, each probe
  before and after with its reading, the method's actions and the rollbacks, and the verdict.

:class:`ChaosPanel` keeps the figure for a playground (``trace.meta["chaos"]`` holds the journal
and the lanes); :func:`experiment_view` draws it once.
"""
from __future__ import annotations

import textwrap

import numpy as np

from dsysedu.ops.chaos import DESIRED, MACHINES, user_series
from dsysedu.ops.healing import serving
from . import style
from .render import LayeredBlitter, new_figure

__all__ = ["experiment_view", "ChaosPanel", "lanes_of"]

_LAT, _ERR = style.series_color(0), style.series_color(1)
_ALERT = style.OKABE_ITO["orange"]
_HEAL = style.OKABE_ITO["bluish_green"]
_LANES = ("hypothesis", "fault", "alerts", "healing")


def _tolerance(journal, func_word) -> float | None:
    for r in journal.before + journal.after:
        if func_word in r.name and len(r.tolerance) == 2:
            return float(r.tolerance[1])
    return None


def lanes_of(journal, alerts=(), healing=()) -> dict:
    """The strip's lanes: lane -> list of ``(start, end, text, colour)`` in simulated seconds.

    ``alerts`` are ``(fired, resolved, rule)`` intervals (a lane per rule, named by it),
    ``healing`` ``(time, text)`` actions.
    """
    lanes: dict = {lane: [] for lane in _LANES if lane != "alerts"}
    for when, readings in (("before", journal.before), ("after", journal.after)):
        if readings:
            ok = all(r.met for r in readings)
            text = f"{when}: held" if ok else f"{when}: refuted"
            text = text if readings[0].end - readings[0].start >= 3 else text.split(": ")[1]
            lanes["hypothesis"].append((readings[0].start, readings[0].end, text,
                                        style.VERDICT_OK if ok else style.VERDICT_BAD))
    for f in journal.faults:
        end = f["until"] if f["until"] is not None else f["at"]
        lanes["fault"].append((f["at"], end, f"{f['fault']} {f['service']}", style.FAULT))
    for start, end, rule in alerts:          # a lane per rule: two rules may fire at once
        lanes.setdefault(rule, []).append((start, end, "", _ALERT))
    for t, text in healing:
        lanes["healing"].append((t, t, text, _HEAL))
    return lanes


def _journal_lines(journal) -> list:
    """(text, colour, bold) lines of the journal panel."""
    ok = style.VERDICT_OK
    lines = [(line, style.INK, True) for line in textwrap.wrap(journal.title, 34)]
    lines += [(f"status {journal.status}, deviated {str(journal.deviated).lower()}", style.INK, False),
              (f"Chaos Toolkit ran it in {journal.duration:.2f} s (wall)", style.ANNOTATION, False),
              (f"blast radius: {', '.join(journal.blast_radius)}", style.ANNOTATION, False), ("", style.INK, False)]
    for when, readings in (("steady state before", journal.before), ("steady state after", journal.after)):
        lines.append((when, style.INK, True))
        if not readings:
            lines.append(("  (not run)", style.MUTED, False))
        for r in readings:
            mark = "✓" if r.met else "✗"
            lines.append((f"  {mark} {_cut(r.name, 28)}: {r.value:.3g}", ok if r.met else style.VERDICT_BAD, False))
    for title, runs in (("method", journal.run), ("rollbacks", journal.rollbacks)):
        lines.append((title, style.INK, True))
        for r in runs:
            mark = "✓" if r.status == "succeeded" else "✗"
            lines.append((f"  {mark} {_cut(r.name, 36)}", ok if r.status == "succeeded" else style.VERDICT_BAD, False))
    return lines


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


class ChaosPanel:
    """The chaos experiment view (module docstring), kept for a playground or drawn once.

    Parameters
    ----------
    size : (float, float)
        Figure size in inches (90 dpi).
    fig : Figure, optional
        Draw into this figure (default: an off-screen one, for a playground).
    """

    def __init__(self, size=(10.6, 5.0), fig=None):
        self.fig = new_figure(*size) if fig is None else fig
        gs = self.fig.add_gridspec(3, 2, width_ratios=(2.3, 1), height_ratios=(1, 1, 1.05), left=0.09, right=0.99,
                                   top=0.93, bottom=0.1, wspace=0.06, hspace=0.14)
        self.ax_lat = self.fig.add_subplot(gs[0, 0])
        self.ax_err = self.fig.add_subplot(gs[1, 0], sharex=self.ax_lat)
        self.ax_lane = self.fig.add_subplot(gs[2, 0], sharex=self.ax_lat)
        self.ax_text = self.fig.add_subplot(gs[:, 1])
        self.now = [ax.axvline(0.0, color=style.NOW_ON_CURVE, lw=1.2, zorder=6)
                    for ax in (self.ax_lat, self.ax_err, self.ax_lane)]
        self.blitter = LayeredBlitter(self.fig)

    def show(self, trace, t: float, measures=None, **_ignored) -> None:
        """Draw a new experiment: ``trace.meta["chaos"]`` holds ``journal`` (a
        :class:`~dsysedu.ops.chaos_journal.Journal`) and optional ``alerts`` and ``healing``."""
        chaos = trace.meta.get("chaos")
        if not chaos or "journal" not in chaos:
            raise ValueError("the chaos view needs trace.meta['chaos'] = {'journal': Journal, ...}: run the "
                             "experiment with dsysedu.widgets.chaos_lab.run_chaos_lab or attach its journal")
        self.draw(trace, chaos["journal"], chaos.get("alerts", ()), chaos.get("healing", ()))
        self.blitter.reset(self.now)
        self._move(t)

    def draw(self, trace, journal, alerts=(), healing=()) -> None:
        for ax in (self.ax_lat, self.ax_err, self.ax_lane, self.ax_text):
            for artist in list(ax.lines) + list(ax.patches) + list(ax.texts) + list(ax.collections):
                if artist not in self.now:
                    artist.remove()
        end = max(trace.end_time, 1e-9)
        series = user_series(trace, 0.5, end=end)
        x = np.append(series["start"].to_numpy(), end)
        lanes = lanes_of(journal, alerts, healing)
        replicas = MACHINES[0] in trace.nodes
        first = (self.ax_lat, "serving", 1.0, _HEAL, "replicas serving", "replicas") if replicas else \
            (self.ax_lat, "p99", 1000.0, _LAT, "users' p99 (ms)", "latency")
        for ax, column, scale, colour, label, word in (
                first, (self.ax_err, "error_ratio", 100.0, _ERR, "users' errors (%)", "error")):
            if column == "serving":      # a step series of its own: replicas ready on live machines
                s = serving(trace)
                xs, y = np.append(s["time"].to_numpy(), end), s["serving"].to_numpy().astype(float)
                ax.step(xs, np.append(y, y[-1:]), where="post", color=colour, lw=1.6)
            else:
                y = series[column].to_numpy() * scale
                ax.step(x, np.append(y, y[-1:]), where="post", color=colour, lw=1.6)
            tol = DESIRED if column == "serving" else _tolerance(journal, word)
            top = np.nanmax(np.append(y, 0.0))
            if tol is not None:
                ax.axhline(tol * scale, color=style.ANNOTATION, ls="--", lw=1.0)
                word = "desired" if column == "serving" else "tolerance"
                ax.annotate(f"{word} {tol * scale:g}", (0.005, tol * scale), xycoords=("axes fraction", "data"),
                            xytext=(2, 2), textcoords="offset points", fontsize=style.FONT["small"],
                            color=style.ANNOTATION)
                top = max(top, tol * scale)
            ax.set_ylim(0, 1.25 * top if top > 0 else 1.0)
            ax.set_ylabel(label, fontsize=style.FONT["label"])
            ax.tick_params(labelsize=style.FONT["tick"], labelbottom=False)
            for start, stop, _text, _c in lanes["fault"]:
                ax.axvspan(start, stop, color=style.FAULT, alpha=0.12, lw=0)
        self.ax_lat.set_xlim(0, end)
        self.ax_lat.set_title("the replicas and what users saw (per 0.5 s)" if replicas else
                              "what users saw (per 0.5 s of simulated time)", fontsize=style.FONT["title"], loc="left")
        self._lanes(lanes, end)
        self._journal(journal)

    def _lanes(self, lanes, end) -> None:
        ax = self.ax_lane
        names = ["hypothesis", "fault", *(lane for lane in lanes if lane not in _LANES), *(["healing"] if
                                                                                       lanes["healing"] else [])]
        fontsize = style.FONT["small"] + 1
        # seconds per character: a label goes inside its bar when it fits, else just right of it
        px_per_s = self.fig.get_figwidth() * self.fig.dpi * ax.get_position().width / end
        char_s = 0.6 * fontsize * self.fig.dpi / 72 / px_per_s
        for i, lane in enumerate(names):
            y = len(names) - 1 - i
            bars = lanes[lane]
            for k, (start, stop, text, colour) in enumerate(bars):
                if stop > start:
                    ax.broken_barh([(start, stop - start)], (y - 0.32, 0.64), facecolors=colour, alpha=0.85)
                    need = (len(text) + 1.5) * char_s
                    inside = need <= stop - start
                    # too long for its bar: just right of it, unless the lane's next bar is there
                    free = all(b[0] >= stop + need or b[1] <= start for b in bars[k + 1:])
                    if inside or free:
                        ax.text(start + 0.6 * char_s if inside else stop + 0.6 * char_s, y, text, va="center",
                                ha="left", fontsize=fontsize,
                                color=style.text_color_on(colour) if inside else style.INK, clip_on=True)
                else:
                    ax.plot([start], [y], marker="v", color=colour, ms=7)
                    ax.text(start + 0.15, y, text, va="center", ha="left", fontsize=style.FONT["small"] + 1,
                            color=style.INK, clip_on=True)
        ax.set_yticks(range(len(names)), labels=list(reversed(names)), fontsize=style.FONT["tick"])
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.set_xlabel("simulated time (s)", fontsize=style.FONT["label"], labelpad=1)
        ax.tick_params(labelsize=style.FONT["tick"], labelbottom=True)
        ax.grid(axis="x", color=style.EMPTY_SLOT, lw=0.6)

    def _journal(self, journal) -> None:
        ax = self.ax_text
        ax.set_axis_off()
        verdict = journal.verdict()
        colour = style.VERDICT_OK if verdict.ok else style.VERDICT_BAD
        ax.text(0.02, 1.0, "hypothesis held" if verdict.ok else "hypothesis refuted", transform=ax.transAxes,
                fontsize=style.FONT["title"] + 1, fontweight="bold", color="white", va="top",
                bbox={"boxstyle": "round,pad=0.3", "fc": colour, "ec": colour})
        y = 0.9
        for text, c, bold in _journal_lines(journal):
            ax.text(0.02, y, text, transform=ax.transAxes, fontsize=style.FONT["small"] + 1.5, color=c, va="top",
                    fontweight="bold" if bold else "normal")
            y -= 0.047
        for line in textwrap.wrap(verdict.message, 44)[:4]:
            ax.text(0.02, y - 0.01, line, transform=ax.transAxes, fontsize=style.FONT["small"] + 1, color=colour,
                    va="top")
            y -= 0.042

    def _move(self, t) -> None:
        for line in self.now:
            line.set_xdata(np.array([t, t]))

    def png(self, t: float) -> bytes:
        """The picture with the "now" lines at ``t``."""
        self._move(float(t))
        return self.blitter.png()


def experiment_view(trace, journal, alerts=(), healing=(), size=(10.6, 5.0)):
    """The chaos experiment view of ``trace`` and its read-back ``journal`` (module docstring); the Figure.

    Examples
    --------
    >>> from dsysedu.ops.chaos import ChaosLab
    >>> from dsysedu.ops.chaos_journal import experiment_path, read_journal, run_experiment
    >>> lab = ChaosLab(seed=7)
    >>> journal = read_journal(run_experiment(experiment_path("orders_crash_refuted"), lab))
    >>> fig = experiment_view(lab.trace, journal)
    >>> len(fig.axes)
    4
    """
    import matplotlib.pyplot as plt   # here, so that importing the views does not start pyplot
    panel = ChaosPanel(size, fig=plt.figure(figsize=size, dpi=90))
    panel.draw(trace, journal, alerts, healing)
    for line in panel.now:
        line.remove()
    return panel.fig
