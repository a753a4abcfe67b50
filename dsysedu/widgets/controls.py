"""Controls: ipywidgets that edit a Scenario, and a scrubber for time.

Each control has a ``widget`` (what to display) and turns its state into
scenario pieces (a LinkModel, a list of faults, a seed). Controls never run a
simulation; the :class:`~dsysedu.widgets.playground.Playground` does.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.sim import Crash, LinkModel, Partition, Uniform
from dsysedu.sim.validate import number

__all__ = ["CrashToggles", "PartitionEditor", "LinkControls", "SeedBox", "TimeScrubber", "warning_html"]


def warning_html(*notes: str) -> str:
    """HTML for a playground's status line: each note escaped, in red, one per line ("" for none)."""
    return "<br>".join(f"<span style='color:#b2182b'>{html.escape(str(n))}</span>" for n in notes if n)

_LAYOUT = W.Layout(width="auto")


def _window_slider(until: float, window, description: str) -> W.FloatRangeSlider:
    """A from–to slider over the run's time, for a fault that lasts a while."""
    lo, hi = window
    return W.FloatRangeSlider(value=(min(lo, until), min(hi, until)), min=0.0, max=float(until),
                              step=max(until / 200, 0.001), description=description, readout_format=".2f",
                              continuous_update=False, style={"description_width": "initial"},
                              layout=W.Layout(width="420px"))


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
                                          style={"description_width": "initial"}, layout=W.Layout(width="420px"))
        self.loss = W.FloatSlider(value=link.loss, min=0.0, max=1.0, step=0.01, description="loss",
                                  continuous_update=False, readout_format=".2f")
        self.duplicate = W.FloatSlider(value=link.duplicate, min=0.0, max=1.0, step=0.01, description="duplicate",
                                       continuous_update=False, readout_format=".2f")
        self.reorder = W.Checkbox(value=link.reorder, description="reorder (not FIFO)", indent=False)
        self.loss.add_class("dsysedu-loss")
        self.latency.add_class("dsysedu-latency")
        self.widget = W.VBox([self.latency, W.HBox([self.loss, self.duplicate]), self.reorder])

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
    """Play button + time slider over ``[0, end]``; calls ``on_time(t)`` when t changes.

    Scrubbing only redraws: it never re-runs the scenario.
    """

    def __init__(self, end: float, on_time, frames: int = 100, interval_ms: int = 120):
        self.frames = frames
        self.end = float(end)
        self.play = W.Play(value=0, min=0, max=frames, step=1, interval=interval_ms, description="play")
        self.slider = W.FloatSlider(value=0.0, min=0.0, max=self.end, step=self.end / frames,
                                    description="time (s)", readout_format=".3f", continuous_update=True,
                                    layout=W.Layout(width="520px"))
        self._on_time = on_time
        self._lock = False
        self.play.observe(self._from_play, names="value")
        self.slider.observe(self._from_slider, names="value")
        self.play.add_class("dsysedu-play")
        self.slider.add_class("dsysedu-time")
        self.widget = W.HBox([self.play, self.slider])

    def set_end(self, end: float) -> None:
        self.end = float(end)
        self._lock = True
        try:
            self.slider.max = self.end
            self.slider.step = self.end / self.frames
        finally:
            self._lock = False

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
