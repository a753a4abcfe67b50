"""Playground: a declared scenario, its controls and its views, for any protocol.

``Playground(spec)`` turns a :class:`~dsysedu.widgets.spec.PlaygroundSpec` into widgets: the
declared controls (grouped in rows above the picture, or in tabs under it), the picture of the
declared views (a panel of :mod:`dsysedu.viz.panels`), a time scrubber with Play, the measures
beside it and a status line. Changing a control rebuilds the scenario and re-runs it (fast: runs
are small and bounded); scrubbing only redraws. "What if: fork here" keeps the run up to the
scrubber's time and applies, from there on, the faults the controls now add.

Every playground is laid out for presenting (:meth:`PlaygroundBase.present`): the controls, the
measures and the status line in a column on the left, the picture and its time slider beside them,
the picture no taller than the screen less the dashboard's title, so that a 1366x768 projector
shows controls, picture and results at once without scrolling.

``Playground(scenario, metrics=...)`` is the playground of any one scenario: link sliders, crash
toggles, a partition editor and a seed, in tabs (:func:`scenario_spec`). A live spec (a run the
learner advances) is played by :class:`~dsysedu.widgets.live.LivePlayground`.
"""
from __future__ import annotations

import html
import statistics
import time

import ipywidgets as W

from dsysedu.sim import Crash, Partition, Scenario, Simulation
from dsysedu.viz.panels import panel_for
from .controls import TimeScrubber, bind, warning_html
from .spec import LinkSliders, NodeToggles, PartitionSides, PlaygroundSpec, Seed, _Nodes

__all__ = ["Playground", "PlaygroundBase", "scenario_spec", "run_summary", "benchmark_rerun_redraw", "median_ms",
           "PICTURE_MAX_HEIGHT"]

#: the tallest a playground's picture is drawn: the screen less a dashboard's title and two lines of
#: introduction above it and the time slider below it (at 1366x768: 558 px)
PICTURE_MAX_HEIGHT = "calc(100vh - 210px)"


class PlaygroundBase:
    """What every declared playground has: its controls bound to their parameters, the panel of
    its views, the picture, the measures table and the status line.

    Attributes
    ----------
    controls : dict param -> widget
        What a learner (or a test) handles: an ipywidget for a slider, toggle or choice; a
        :class:`~dsysedu.widgets.controls.CrashToggles`, ``PartitionEditor``, ``LinkControls`` or
        ``SeedBox`` for the others. Their names are the builder's parameter names.
    """

    def __init__(self, spec, values: dict):
        if not isinstance(spec, PlaygroundSpec):
            raise TypeError(f"{type(self).__name__} needs a PlaygroundSpec or a Scenario, got {spec!r}")
        self.spec = spec
        start = spec.values(**values)
        first = spec.scenario(start)   # the builder's own errors (with its messages) come first
        if not isinstance(first, Scenario):
            raise TypeError(f"the builder must return a Scenario, got {first!r}")
        for c in spec.controls:
            c.check(start)
        self._bound = [bind(c, start, first, spec.css) for c in spec.controls]
        self.controls = {b.decl.param: b.ui for b in self._bound}
        self._rows: dict = {}   # param -> (row, index): where its widget sits in the layout
        controlled = {p for c in spec.controls for p in c.params()}
        self._fixed = {k: v for k, v in start.items() if k not in controlled}
        self._options = spec.options(start)
        self.panel = panel_for(spec.views)(**self._options)
        # its own size at most, narrower to fit beside the controls, lower to fit the screen (the ratio kept)
        self.image = W.Image(format="png", layout=W.Layout(width="auto", height="auto", max_width="100%",
                                                           max_height=PICTURE_MAX_HEIGHT, object_fit="contain"))
        self.image.add_class("dsysedu-view")
        self.info = W.HTML()
        self.info.add_class("dsysedu-metrics")
        self.status = W.HTML()
        self.status.add_class("dsysedu-status")
        self.header = W.HTML(f"<h3 style='margin:4px 0'>{html.escape(spec.title)}</h3>") if spec.title else None
        self.trace, self.measures, self.runs, self.t_view = None, None, 0, 0.0

    # -- parameters ------------------------------------------------------------------------------
    def values(self) -> dict:
        """Every parameter of the builder (and the seed), as the controls say now."""
        out = dict(self._fixed)
        for b in self._bound:
            out.update(b.values())
        return out

    def scenario(self) -> Scenario:
        """The scenario the controls describe now."""
        return self.spec.scenario(self.values())

    # -- pieces of the layout ----------------------------------------------------------------------
    def groups(self) -> dict:
        """Group name -> box of its controls (with the group's help line above them)."""
        out: dict = {}
        for b in self._bound:
            out.setdefault(b.decl.group, []).append(b)
        boxes = {}
        for name, bound in out.items():
            notes = [W.HTML(f"<div style='font-size:12px;line-height:1.35'>{b.decl.help}</div>")
                     for b in bound if b.decl.help]
            row = W.HBox([b.widget for b in bound], layout=W.Layout(flex_flow="row wrap", align_items="center"))
            for i, b in enumerate(bound):
                self._rows[b.decl.param] = (row, i)
            boxes[name] = W.VBox(notes + [row]) if notes else row
        return boxes

    def scenario_from_controls(self):
        """``(values, scenario)`` from the controls, or None after showing why they make no scenario."""
        try:
            values = self.sync_nodes(self.values())
            return values, self.spec.scenario(values)
        except (ValueError, TypeError) as exc:
            self.status.value = warning_html(exc)
            return None

    def sync_nodes(self, values: dict) -> dict:
        """Make the per-node controls again when the nodes they show changed (another N, another
        graph), keeping what was pressed on the nodes that stay; returns the values then."""
        per_node = [b for b in self._bound if isinstance(b.decl, _Nodes)]
        if not per_node:
            return values
        empty = {b.decl.param: (() if isinstance(b.decl, NodeToggles) else None) for b in per_node}
        probe = self.spec.scenario({**values, **empty})  # the nodes the builder makes now
        changed = False
        for k, b in enumerate(self._bound):
            if b in per_node and b.decl.node_list(values, probe) != b.ui.nodes:
                nodes, p = b.decl.node_list(values, probe), b.decl.param
                if isinstance(b.decl, NodeToggles):
                    keep = tuple(n for n in values[p] if n in nodes)
                else:
                    keep = [[n for n in g if n in nodes] for g in (values[p] or ())]
                    keep = [g for g in keep if g] if len([g for g in keep if g]) >= 2 else None
                new = bind(b.decl, {**values, p: keep}, probe, self.spec.css)
                new.observe(self._on_control)
                self._bound[k], self.controls[p] = new, new.ui
                if p in self._rows:
                    row, i = self._rows[p]
                    row.children = row.children[:i] + (new.widget,) + row.children[i + 1:]
                _close(b.widget)
                changed = True
        return self.values() if changed else values

    def _on_control(self) -> None:
        """A control changed (a playground re-runs, a live one starts again)."""
        raise NotImplementedError

    def present(self, controls, picture, side=()) -> W.VBox:
        """The presenting layout: ``controls`` then ``side`` (measures, status) in a column of the
        spec's ``controls_width`` on the left, ``picture`` (the image, its time slider) beside it."""
        left = W.VBox([*controls, *side], layout=W.Layout(width=self.spec.controls_width, flex="0 0 auto",
                                                          margin="0 16px 0 0", overflow="hidden"))
        left.add_class("dsysedu-controls")
        right = W.VBox(list(picture), layout=W.Layout(flex="1 1 0", min_width="0", align_items="flex-start"))
        right.add_class("dsysedu-picture")
        row = W.HBox([left, right], layout=W.Layout(width="100%", align_items="flex-start"))
        return W.VBox(([self.header] if self.header else []) + [row], layout=W.Layout(width="100%"))

    @staticmethod
    def tab_box(tabs) -> W.Tab:
        """A Tab of ``(title, widget)`` pairs."""
        box = W.Tab(children=[w for _, w in tabs])
        for i, (name, _) in enumerate(tabs):
            box.set_title(i, name)
        return box

    def table_html(self) -> str:
        """The measures of the last run as an HTML table."""
        body = "".join(f"<tr><td style='padding:1px 4px'>{html.escape(str(k))}</td>"
                       f"<td style='text-align:right;padding:1px 4px 1px 12px'><b>{html.escape(fmt(v))}</b></td></tr>"
                       for k, v in self.spec.rows(self.measures).items())
        # line-height: an HTML widget's default is a control's height (28 px), too loose for a table
        return f"<table class='dsysedu-metrics-table' style='font-size:13px;line-height:1.3'>{body}</table>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


class Playground(PlaygroundBase):
    """A declared playground over finished runs: controls re-run, Play and the slider replay.

    Parameters
    ----------
    spec : PlaygroundSpec or Scenario
        The declaration; a Scenario makes one with :func:`scenario_spec` (the keyword arguments
        below are then those of :func:`scenario_spec`).
    **values
        Starting values of the builder's parameters (over the spec's defaults).

    Raises
    ------
    TypeError
        For something that is neither a spec nor a Scenario, or an unknown parameter.
    ValueError
        For a starting value the builder or a control refuses (the builder's message first).

    Examples
    --------
    >>> from dsysedu.protocols.basics import request_reply_scenario
    >>> pg = Playground(request_reply_scenario(), controls=("link", "seed"))
    >>> pg.controls["link"].loss.value = 0.5        # re-runs
    >>> pg.runs
    2
    """

    def __init__(self, spec, /, **values):
        if isinstance(spec, Scenario):
            spec, values = scenario_spec(spec, **values), {}
        if isinstance(spec, PlaygroundSpec) and spec.live:
            raise ValueError("a live spec is played by dsysedu.widgets.live.LivePlayground")
        super().__init__(spec, values)
        self.scrubber = TimeScrubber(self.scenario().until, self.show_time, frames=spec.frames,
                                     interval_ms=spec.interval_ms)
        scrub = [self.scrubber.widget]
        if spec.fork:
            self.fork_button = W.Button(description="what if: fork here", icon="code-branch",
                                        tooltip="keep the run up to the scrubber's time, then apply the controls' "
                                                "faults", layout=W.Layout(width="170px"))
            self.fork_button.on_click(lambda b: self.fork_here())
            scrub.append(self.fork_button)
        # the groups of controls in tabs, or one under the other
        controls = [self.tab_box(list(self.groups().items()))] if spec.tabs else list(self.groups().values())
        self.widget = self.present(controls, [self.image, W.HBox(scrub, layout=W.Layout(flex_flow="row wrap"))],
                                   [self.info, self.status])
        for b in self._bound:
            b.observe(self._on_control)
        self.rerun()

    def _on_control(self) -> None:
        self.rerun()

    # -- actions -------------------------------------------------------------------
    def rerun(self) -> None:
        """Re-run the scenario from the controls and redraw at the scrubber's time."""
        made = self.scenario_from_controls()
        if made is None:
            return
        values, sc = made
        seed = self.spec.seed_of(values)
        trace = self.spec.run(sc, seed) if self.spec.run else Simulation(sc, seed=seed).run()
        self._set_trace(trace, values)

    def fork_here(self) -> None:
        """Keep the run up to the scrubber's time; from there on apply the faults that start later."""
        t = self.scrubber.t
        values = self.values()
        sc = self.spec.scenario(values)
        later = [i for i, f in enumerate(sc.faults) if min(a[0] for a in f.actions()) >= t]
        before = sc.replace(faults=tuple(f for i, f in enumerate(sc.faults) if i not in later))
        child = Simulation(before, seed=self.spec.seed_of(values)).fork(t, faults=[sc.faults[i] for i in later])
        self._set_trace(child.run(), values)
        self.status.value = (f"forked at t={t:.3f}s: same run before, "
                             f"{len(later)} fault(s) from the controls after")

    def _set_trace(self, trace, values) -> None:
        self.trace = trace
        self.runs += 1
        self.measures = self.spec.measure(trace)
        # the first run opens on a meaningful moment; later ones stay where the learner was
        t0 = self.spec.start_time(trace) if self.runs == 1 else min(self.scrubber.t, trace.end_time)
        self.panel.show(trace, t0, measures=self.measures)
        self.scrubber.set_end(trace.end_time)
        self.info.value = self.table_html()
        notes = list(self.spec.notes(values, trace, self.measures)) if self.spec.notes else []
        if trace.truncated:
            notes.append(f"run cut by its bound ({trace.ended_by})")
        self.status.value = warning_html(*notes)
        if self.runs == 1:
            self.scrubber.seek(t0)
        else:
            self.show_time(t0)

    def show_time(self, t: float) -> None:
        """Redraw the views at time ``t`` (no re-run)."""
        if self.trace is None:
            return
        self.t_view = float(t)
        self.image.value = self.panel.png(self.t_view)


def _close(widget) -> None:
    """Close a widget and everything in it (a closed box leaves its children open)."""
    for child in getattr(widget, "children", ()):
        _close(child)
    widget.close()


def fmt(v) -> str:
    """A measure as the table shows it: floats to 3 digits, a yes/no as 1/0, None as undecided."""
    if v is None:
        return "? (undecided)"
    if isinstance(v, bool):
        return "1 (yes)" if v else "0 (no)"
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def run_summary(trace) -> dict:
    """Messages sent, delivered and dropped, and crashes: the first rows of a playground's table."""
    s = trace.summary()
    return {"messages sent": s["send"], "delivered": s["deliver"], "dropped": s["drop"], "crashes": s["crash"]}


CONTROL_NAMES = ("link", "crash", "partition", "seed")


def scenario_spec(scenario: Scenario, metrics=None, color_by: str = "role", crash_labels=None,
                  controls=CONTROL_NAMES, title: str = "") -> PlaygroundSpec:
    """The playground of one scenario: its link, crashes and a partition from the controls (added to
    its own faults), its seed, topology and space-time views, and the run's counts plus ``metrics``.

    Parameters
    ----------
    scenario : Scenario
    metrics : callable trace -> dict, optional
        More rows for the table (e.g. the share of requests with an unknown outcome).
    color_by : str
        Observed key that colours the nodes.
    crash_labels : dict node -> str, optional
        Captions for the crash toggles.
    controls : sequence of str
        Which controls to show, from ``("link", "crash", "partition", "seed")``, each in a tab.
    title : str
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"Playground needs a Scenario, got {scenario!r}")
    unknown = set(controls) - set(CONTROL_NAMES)
    if unknown:
        raise ValueError(f"unknown controls {sorted(unknown)}; choose from {CONTROL_NAMES}")
    u = scenario.until

    def build(link=scenario.link, crash=(), crash_at=0.3 * u, crash_until=0.6 * u, partition=None,
              partition_at=0.4 * u, partition_until=0.7 * u) -> Scenario:
        faults = [Crash(n, at=crash_at, until=crash_until) for n in crash]
        if partition:
            faults.append(Partition(partition, at=partition_at, until=partition_until))
        return scenario.replace(link=link, faults=tuple(scenario.faults) + tuple(faults))

    declared = {"link": LinkSliders("link", group="Network"),
                "crash": NodeToggles("crash", window=("crash_at", "crash_until"), labels=crash_labels,
                                     group="Crashes"),
                "partition": PartitionSides("partition", window=("partition_at", "partition_until"),
                                            group="Partition"),
                "seed": Seed(group="Seed")}
    return PlaygroundSpec(build, controls=[declared[c] for c in CONTROL_NAMES if c in controls],
                          views=("topology", "spacetime"), measures=(run_summary,) + ((metrics,) if metrics else ()),
                          view_options={"color_by": color_by}, defaults={"seed": scenario.seed}, tabs=True,
                          fork=True, title=title)


def median_ms(change, repeats: int) -> float:
    """Median wall milliseconds of ``change(i)`` for ``i`` in ``range(repeats)``: in a playground, a
    control change re-runs, measures and redraws before the assignment returns."""
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        change(i)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def benchmark_rerun_redraw(repeats: int = 15) -> dict:
    """Median milliseconds in the unreliable-link dashboard's playground (warm, off-screen):
    ``rerun_redraw_ms`` for a control change (re-run + full redraw + PNG), ``scrub_redraw_ms``
    for a move of the time slider (blitted redraw + PNG)."""
    from .link_playground import UNRELIABLE_LINK
    pg = Playground(UNRELIABLE_LINK)

    def loss(i):
        pg.controls["link"].loss.value = round(0.05 + 0.01 * (i % 20), 2)  # observer re-runs and redraws

    def scrub(i):
        pg.scrubber.slider.value = pg.trace.end_time * (i + 1) / (repeats + 1)
    return {"rerun_redraw_ms": median_ms(loss, repeats), "scrub_redraw_ms": median_ms(scrub, repeats)}
