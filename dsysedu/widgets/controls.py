"""Controls: ipywidgets that edit a Scenario, and a scrubber for time.

Each control has a ``widget`` (what to display) and turns its state into
scenario pieces (a LinkModel, a list of faults, a seed). Controls never run a
simulation; the :class:`~dsysedu.widgets.playground.Playground` does.
:func:`bind` makes the widget of a declared control (:mod:`dsysedu.widgets.spec`)
and reads its parameters back.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.sim import Crash, LinkModel, Partition, Uniform
from dsysedu.sim.validate import number
from dsysedu.viz import style
from . import spec as S

__all__ = ["CrashToggles", "PartitionEditor", "LinkControls", "SeedBox", "TimeScrubber", "warning_html",
           "BoundControl", "bind"]


def warning_html(*notes: str) -> str:
    """HTML for a playground's status line: each note escaped, in red, one per line ("" for none)."""
    lines = "<br>".join(f"<span style='color:{style.VERDICT_BAD}'>{html.escape(str(n))}</span>" for n in notes if n)
    return f"<div style='line-height:1.35'>{lines}</div>" if lines else ""

_LAYOUT = W.Layout(width="auto")


def _window_slider(until: float, window, description: str) -> W.FloatRangeSlider:
    """A from–to slider over the run's time, for a fault that lasts a while."""
    lo, hi = window
    return W.FloatRangeSlider(value=(min(lo, until), min(hi, until)), min=0.0, max=float(until),
                              step=max(until / 200, 0.001), description=description, readout_format=".2f",
                              continuous_update=False, style={"description_width": "initial"},
                              layout=W.Layout(width="100%", max_width="370px"))


class CrashToggles:
    """A toggle per node ("crash 2") and one time window for the crashes.

    Parameters
    ----------
    nodes : sequence of node ids
    until : float
        The run's length (bounds the window slider).
    window : (float, float)
        Default crash window: down from ``window[0]`` to ``window[1]`` seconds.
    labels : dict node -> str, optional
        Button captions (e.g. ``{1: "crash server"}``).
    """

    def __init__(self, nodes, until: float, window=(0.3, 0.8), labels=None):
        self.nodes = list(nodes)
        self.until = float(until)
        labels = labels or {}
        self.buttons = {n: W.ToggleButton(value=False, description=labels.get(n, f"crash {n}"),
                                          icon="power-off", tooltip=f"crash node {n} during the window",
                                          layout=W.Layout(width="110px"))
                        for n in self.nodes}
        for n, b in self.buttons.items():
            b.add_class(f"dsysedu-crash-{n}")
        self.window = _window_slider(until, window, "down from–to")
        self.widget = W.VBox([W.HBox(list(self.buttons.values()), layout=W.Layout(flex_flow="row wrap")),
                              self.window])

    def crashed(self) -> list:
        return [n for n, b in self.buttons.items() if b.value]

    def faults(self) -> list:
        at, until = self.window.value
        return [Crash(n, at=at, until=until if until > at else None) for n in self.crashed()]

    def observe(self, callback) -> None:
        for b in self.buttons.values():
            b.observe(lambda ch: callback(), names="value")
        self.window.observe(lambda ch: callback(), names="value")


class PartitionEditor:
    """Put each node on side A or B (or C); a time window says when the partition holds.

    All nodes on one side means no partition.
    """

    def __init__(self, nodes, until: float, window=(0.5, 1.5), sides=("A", "B")):
        if len(sides) < 2:
            raise ValueError(f"PartitionEditor needs at least 2 sides, got {sides!r}")
        self.nodes = list(nodes)
        self.until = float(until)
        self.sides = tuple(sides)
        self.choosers = {n: W.ToggleButtons(options=list(self.sides), value=self.sides[0],
                                            description=f"node {n}", style={"button_width": "34px",
                                                                           "description_width": "52px"},
                                            layout=W.Layout(width="auto"))
                         for n in self.nodes}
        self.window = _window_slider(until, window, "partition from–to")
        self.widget = W.VBox([W.HBox(list(self.choosers.values()), layout=W.Layout(flex_flow="row wrap")),
                              self.window])

    def groups(self) -> list[list]:
        by_side = {s: [n for n, c in self.choosers.items() if c.value == s] for s in self.sides}
        return [g for g in by_side.values() if g]

    def set_groups(self, groups) -> None:
        """Put the nodes of ``groups[i]`` on side i (a convenience for lessons and tests)."""
        for i, g in enumerate(groups):
            for n in g:
                self.choosers[n].value = self.sides[i]

    def faults(self) -> list:
        groups = self.groups()
        if len(groups) < 2:
            return []
        at, until = self.window.value
        return [Partition(groups, at=at, until=until if until > at else None)]

    def observe(self, callback) -> None:
        for c in self.choosers.values():
            c.observe(lambda ch: callback(), names="value")
        self.window.observe(lambda ch: callback(), names="value")


class LinkControls:
    """Latency range, loss, duplication and reordering sliders, as a LinkModel."""

    def __init__(self, link: LinkModel | None = None, max_latency: float = 0.2):
        number("max_latency", max_latency, low=0.0, low_open=True)
        link = link or LinkModel()
        lat = link.latency
        lo = getattr(lat, "low", getattr(lat, "delay", 0.01))
        hi = getattr(lat, "high", getattr(lat, "delay", 0.01))
        self.latency = W.FloatRangeSlider(value=(min(lo, max_latency), min(hi, max_latency)), min=0.0,
                                          max=max_latency, step=max_latency / 200, description="latency (s)",
                                          readout_format=".3f", continuous_update=False,
                                          style={"description_width": "initial"}, layout=W.Layout(width="100%", max_width="370px"))
        self.loss = W.FloatSlider(value=link.loss, min=0.0, max=1.0, step=0.01, description="loss",
                                  continuous_update=False, readout_format=".2f")
        self.duplicate = W.FloatSlider(value=link.duplicate, min=0.0, max=1.0, step=0.01, description="duplicate",
                                       continuous_update=False, readout_format=".2f")
        self.reorder = W.Checkbox(value=link.reorder, description="reorder (not FIFO)", indent=False)
        self.loss.add_class("dsysedu-loss")
        self.latency.add_class("dsysedu-latency")
        # loss and duplication side by side where there is room, one under the other in a narrow column
        self.widget = W.VBox([self.latency, W.HBox([self.loss, self.duplicate], layout=W.Layout(flex_flow="row wrap")),
                              self.reorder])

    def link(self) -> LinkModel:
        lo, hi = self.latency.value
        return LinkModel(latency=Uniform(lo, hi), loss=self.loss.value, duplicate=self.duplicate.value,
                         reorder=self.reorder.value)

    def observe(self, callback) -> None:
        for w in (self.latency, self.loss, self.duplicate, self.reorder):
            w.observe(lambda ch: callback(), names="value")


class SeedBox:
    """The run's seed, with a button for a new one."""

    def __init__(self, seed: int = 0):
        self.box = W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                    layout=W.Layout(width="160px"))
        self.next = W.Button(description="new seed", icon="dice", layout=W.Layout(width="110px"))
        self.next.on_click(lambda b: setattr(self.box, "value", (self.box.value + 1) % (2**31 - 1)))
        self.widget = W.HBox([self.box, self.next])

    @property
    def value(self) -> int:
        return int(self.box.value)

    def observe(self, callback) -> None:
        self.box.observe(lambda ch: callback(), names="value")


class TimeScrubber:
    """Play button + time slider over ``[0, end]`` + playback speed; calls ``on_time(t)`` when t changes.

    Scrubbing only redraws: it never re-runs the scenario. The speed menu scales Play's frame
    interval (``interval_ms`` at 1×); :meth:`seek` moves to a time as if the learner had.
    """

    SPEEDS = {"¼×": 0.25, "½×": 0.5, "1×": 1.0, "2×": 2.0, "4×": 4.0}

    def __init__(self, end: float, on_time, frames: int = 100, interval_ms: int = 120):
        self.frames = frames
        self.end = float(end)
        self.interval_ms = interval_ms
        self.play = W.Play(value=0, min=0, max=frames, step=1, interval=interval_ms, description="play")
        self.slider = W.FloatSlider(value=0.0, min=0.0, max=self.end, step=self.end / frames,
                                    description="time (s)", readout_format=".3f", continuous_update=True,
                                    layout=W.Layout(width="520px"))
        self.speed = W.Dropdown(options=list(self.SPEEDS.items()), value=1.0, description="speed",
                                tooltip="how fast Play goes through the run", layout=W.Layout(width="130px"),
                                style={"description_width": "45px"})
        self._on_time = on_time
        self._lock = False
        self.play.observe(self._from_play, names="value")
        self.slider.observe(self._from_slider, names="value")
        self.speed.observe(self._from_speed, names="value")
        self.play.add_class("dsysedu-play")
        self.slider.add_class("dsysedu-time")
        self.speed.add_class("dsysedu-speed")
        self.widget = W.HBox([self.play, self.slider, self.speed])

    def set_end(self, end: float) -> None:
        self.end = float(end)
        self._lock = True
        try:
            self.slider.max = self.end
            self.slider.step = self.end / self.frames
        finally:
            self._lock = False

    def seek(self, t: float) -> None:
        """Move the slider (and Play's frame) to time ``t``, clipped to the run, and call ``on_time``."""
        t = min(max(float(t), 0.0), self.end)
        self._lock = True
        try:
            self.play.value = int(round(self.frames * t / self.end)) if self.end > 0 else 0
            self.slider.value = t
        finally:
            self._lock = False
        self._on_time(self.slider.value)

    def _from_speed(self, change) -> None:
        self.play.interval = max(10, int(round(self.interval_ms / change["new"])))

    def _from_play(self, change) -> None:
        if self._lock:
            return
        self._lock = True
        try:
            self.slider.value = self.end * change["new"] / self.frames
        finally:
            self._lock = False
        self._on_time(self.slider.value)

    def _from_slider(self, change) -> None:
        if self._lock:
            return
        self._on_time(change["new"])

    @property
    def t(self) -> float:
        return float(self.slider.value)


# -- declared controls -------------------------------------------------------------------------------

class BoundControl:
    """A declared control made a widget: ``ui`` is what a learner (or a test) handles, ``widget``
    what is displayed, :meth:`values` its parameters now."""

    def __init__(self, decl, ui, widget, read):
        self.decl, self.ui, self.widget, self._read = decl, ui, widget, read

    def values(self) -> dict:
        return self._read()

    def observe(self, callback) -> None:
        if hasattr(self.ui, "value") and isinstance(self.ui, W.Widget):
            self.ui.observe(lambda ch: callback(), names="value")
        else:
            self.ui.observe(callback)


def _window(decl, values, until):
    """The window slider's starting (from, to), and how to read the window back into parameters."""
    if decl.window is None:
        return (0.3 * until, 0.6 * until), lambda ui: {}
    start, end = (values[p] for p in decl.window)
    end = until if end is None else end
    def read(ui):
        a, b = ui.window.value
        return {decl.window[0]: a, decl.window[1]: b if b > a else None}
    return (start, end), read


def bind(decl, values, scenario, css: str = "") -> BoundControl:
    """The widget of the declared control ``decl`` showing ``values``; ``scenario`` (built from
    ``values``) gives the nodes and the run's length. ``css`` prefixes the widget's class name."""
    p, caption = decl.param, decl.caption
    # short captions share the default label column (controls line up); long ones get their width
    wide = {"style": {"description_width": "initial"}} if len(caption) >= 10 else {}
    if isinstance(decl, S.Slider):
        cls = W.IntSlider if decl.integer else W.FloatSlider
        kw = {} if decl.integer else {"readout_format": decl.fmt}
        ui = cls(value=values[p], min=decl.low, max=decl.high, step=decl.step or (1 if decl.integer else
                 (decl.high - decl.low) / 100), description=caption, continuous_update=False,
                 layout=W.Layout(width=decl.width or "300px"), **kw, **wide)
    elif isinstance(decl, S.Toggle):
        ui = W.Checkbox(value=values[p], description=caption, indent=False,
                        layout=W.Layout(width=decl.width or "auto"))
    elif isinstance(decl, S.Choice):
        choices = list(decl.choices().items())
        if decl.buttons:
            ui = W.ToggleButtons(options=choices, value=values[p], description=caption,
                                 tooltips=list(decl.tooltips), style={"button_width": decl.width or "80px"})
        else:
            ui = W.Dropdown(options=choices, value=values[p], description=caption,
                            layout=W.Layout(width=decl.width or "260px"))
    elif isinstance(decl, S.Seed):
        ui = SeedBox(values[p])
        ui.box.add_class(f"{css}-{p}" if css else "dsysedu-seed")
        return BoundControl(decl, ui, ui.widget, lambda: {p: ui.value})
    elif isinstance(decl, S.LinkSliders):
        ui = LinkControls(values[p], max_latency=decl.max_latency)
        return BoundControl(decl, ui, ui.widget, lambda: {p: ui.link()})
    elif isinstance(decl, S.NodeToggles):
        window, read_window = _window(decl, values, scenario.until)
        ui = CrashToggles(decl.node_list(values, scenario), scenario.until, window=window, labels=decl.labels)
        for n in values[p]:
            ui.buttons[n].value = True
        return BoundControl(decl, ui, ui.widget, lambda: {p: tuple(ui.crashed()), **read_window(ui)})
    elif isinstance(decl, S.PartitionSides):
        window, read_window = _window(decl, values, scenario.until)
        ui = PartitionEditor(decl.node_list(values, scenario), scenario.until, window=window, sides=decl.sides)
        if values[p]:
            ui.set_groups(values[p])
        if css:
            ui.widget.add_class(f"{css}-{p.replace('_', '-')}")
        groups = lambda: ui.groups() if len(ui.groups()) >= 2 else None  # noqa: E731
        return BoundControl(decl, ui, ui.widget, lambda: {p: groups(), **read_window(ui)})
    else:
        raise TypeError(f"not a declared control: {decl!r}")
    if css:
        ui.add_class(f"{css}-{p.replace('_', '-')}")
    return BoundControl(decl, ui, ui, lambda: {p: ui.value})
