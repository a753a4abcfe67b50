"""Playground: a scenario, its controls and its views, for any protocol.

``Playground(scenario)`` shows the topology and the space-time diagram of a
run, a time scrubber, crash toggles, a partition editor, link sliders and a
seed box. Changing a control re-runs the scenario (fast: runs are small and
bounded); scrubbing only redraws. "What if" forks the run at the scrubber's
time and continues it under the faults the controls now say.

Chapters and Voila dashboards build on it; a chapter adds its own metric panel
with ``metrics=lambda trace: {...}``.
"""
from __future__ import annotations

import html
import statistics
import time
from typing import Callable

import ipywidgets as W

from dsysedu.sim import Scenario, Simulation
from dsysedu.viz import SpacetimeView, TopologyView
from .controls import CrashToggles, LinkControls, PartitionEditor, SeedBox, TimeScrubber, warning_html
from .render import LayeredBlitter, new_figure

__all__ = ["Playground", "benchmark_rerun_redraw"]


class Playground:
    """Scenario + controls + views, wired together.

    Parameters
    ----------
    scenario : Scenario
        The starting point; controls replace its link, faults and seed.
    metrics : callable trace -> dict, optional
        Numbers to show beside the picture (e.g. share of requests with unknown outcome).
    color_by : str
        Observed key that colours the nodes.
    crash_labels : dict node -> str, optional
        Captions for the crash toggles.
    controls : sequence of str
        Which controls to show, from ``("link", "crash", "partition", "seed")``.
    """

    CONTROL_NAMES = ("link", "crash", "partition", "seed")

    def __init__(self, scenario: Scenario, metrics: Callable | None = None, color_by: str = "role",
                 crash_labels=None, controls=CONTROL_NAMES, title: str = "", fig_size=(12.0, 4.6)):
        if not isinstance(scenario, Scenario):
            raise TypeError(f"Playground needs a Scenario, got {scenario!r}")
        unknown = set(controls) - set(self.CONTROL_NAMES)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; choose from {self.CONTROL_NAMES}")
        self.base = scenario
        self.metrics = metrics
        self.color_by = color_by
        until = scenario.until
        nodes = scenario.node_ids
        self.link = LinkControls(scenario.link)
        self.crash = CrashToggles(nodes, until, window=(until * 0.3, until * 0.6), labels=crash_labels)
        self.partition = PartitionEditor(nodes, until, window=(until * 0.4, until * 0.7))
        self.seed = SeedBox(scenario.seed)
        self.scrubber = TimeScrubber(until, self.show_time)
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width=f"{int(fig_size[0] * 90)}px"))
        self.image.add_class("dsysedu-view")
        self.info = W.HTML()
        self.info.add_class("dsysedu-metrics")
        self.status = W.HTML()
        self.fork_button = W.Button(description="what if: fork here", icon="code-branch",
                                    tooltip="keep the run up to the scrubber's time, then apply the controls' faults",
                                    layout=W.Layout(width="170px"))
        self.fork_button.on_click(lambda b: self.fork_here())
        self.fig = new_figure(*fig_size)
        gs = self.fig.add_gridspec(1, 2, width_ratios=(1, 1.6))
        self.ax_topo = self.fig.add_subplot(gs[0])
        self.ax_st = self.fig.add_subplot(gs[1])
        self.blitter = LayeredBlitter(self.fig)
        self.topo = None
        self.trace = None
        self.runs = 0
        panels = {"link": ("Network", self.link.widget), "crash": ("Crashes", self.crash.widget),
                  "partition": ("Partition", self.partition.widget), "seed": ("Seed", self.seed.widget)}
        tabs = [panels[c] for c in self.CONTROL_NAMES if c in controls]
        self.tabs = W.Tab(children=[w for _, w in tabs])
        for i, (name, _) in enumerate(tabs):
            self.tabs.set_title(i, name)
        header = W.HTML(f"<h3 style='margin:4px 0'>{html.escape(title)}</h3>") if title else W.HTML()
        self.widget = W.VBox([header, self.image, W.HBox([self.scrubber.widget, self.fork_button]),
                              W.HBox([self.tabs, W.VBox([self.info, self.status])])],
                             layout=W.Layout(width="100%"))
        for c in (self.link, self.crash, self.partition, self.seed):
            c.observe(self.rerun)
        self.rerun()

    # -- scenario from controls -------------------------------------------------
    def faults(self) -> list:
        return self.crash.faults() + self.partition.faults()

    def scenario(self) -> Scenario:
        """The scenario the controls describe now."""
        return self.base.replace(link=self.link.link(), faults=tuple(self.base.faults) + tuple(self.faults()),
                                 seed=self.seed.value)

    # -- actions -------------------------------------------------------------------
    def rerun(self) -> None:
        """Re-run the scenario from the controls and redraw at the scrubber's time."""
        try:
            sc = self.scenario()
        except (ValueError, TypeError) as exc:
            self.status.value = warning_html(exc)
            return
        self._set_trace(Simulation(sc).run())

    def fork_here(self) -> None:
        """Keep the base run up to the scrubber's time; from there on apply the controls' faults."""
        t = self.scrubber.t
        base = Simulation(self.base.replace(link=self.link.link(), seed=self.seed.value))
        new = [f for f in self.faults() if min(a[0] for a in f.actions()) >= t]
        child = base.fork(t, faults=new)
        self._set_trace(child.run())
        self.status.value = (f"forked at t={t:.3f}s: same run before, "
                             f"{len(new)} fault(s) from the controls after")

    def _set_trace(self, trace) -> None:
        self.trace = trace
        self.runs += 1
        t0 = min(self.scrubber.t, trace.end_time)
        if self.topo is not None and self.topo.set_trace(trace):
            # same topology and legend: keep its drawing, redraw only the space-time panel
            self.ax_st.clear()
            self.st = SpacetimeView(trace, ax=self.ax_st)
            self.blitter.relayer(self.topo.draw(t0) + self.st.draw(t0))
        else:
            self.ax_topo.clear()
            self.ax_st.clear()
            self.topo = TopologyView(trace, ax=self.ax_topo, color_by=self.color_by)
            self.st = SpacetimeView(trace, ax=self.ax_st)
            self.blitter.reset(self.topo.draw(t0) + self.st.draw(t0), layer=self.ax_st)
        self.scrubber.set_end(trace.end_time)
        self.info.value = self._info_html(trace)
        self.status.value = warning_html("run cut by its event bound (max_events)" if trace.truncated else "")
        self.show_time(min(self.scrubber.t, trace.end_time))

    def show_time(self, t: float) -> None:
        """Redraw the views at time ``t`` (no re-run)."""
        if self.trace is None:
            return
        self.topo.draw(t)
        self.st.draw(t)
        self.image.value = self.blitter.png()

    def _info_html(self, trace) -> str:
        s = trace.summary()
        rows = [("messages sent", s["send"]), ("delivered", s["deliver"]), ("dropped", s["drop"]),
                ("crashes", s["crash"])]
        if self.metrics is not None:
            rows += list(self.metrics(trace).items())
        body = "".join(f"<tr><td>{html.escape(str(k))}</td><td style='text-align:right'>"
                       f"<b>{html.escape(_fmt(v))}</b></td></tr>" for k, v in rows)
        return f"<table class='dsysedu-metrics-table' style='font-size:13px'>{body}</table>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def _fmt(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def benchmark_rerun_redraw(repeats: int = 15) -> dict:
    """Median milliseconds in the unreliable-link dashboard's playground (warm, off-screen):
    ``rerun_redraw_ms`` for a control change (re-run + full redraw + PNG), ``scrub_redraw_ms``
    for a move of the time slider (blitted redraw + PNG)."""
    from dsysedu.protocols.basics import request_reply_scenario
    from dsysedu.protocols.basics.request_reply import unknown_fraction
    pg = Playground(request_reply_scenario(), metrics=lambda tr: {"unknown outcome": unknown_fraction(tr)})
    rerun, scrub = [], []
    for i in range(repeats):
        t0 = time.perf_counter()
        pg.link.loss.value = round(0.05 + 0.01 * (i % 20), 2)  # observer re-runs and redraws
        rerun.append((time.perf_counter() - t0) * 1000)
    for i in range(repeats):
        t0 = time.perf_counter()
        pg.scrubber.slider.value = pg.trace.end_time * (i + 1) / (repeats + 1)
        scrub.append((time.perf_counter() - t0) * 1000)
    return {"rerun_redraw_ms": statistics.median(rerun), "scrub_redraw_ms": statistics.median(scrub)}
