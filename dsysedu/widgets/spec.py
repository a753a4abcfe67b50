"""Playgrounds declared as data: a scenario builder, controls mapped onto its parameters, views, measures.

A :class:`PlaygroundSpec` says what a playground is, in the way Mesa's ``model_params`` says what a
model's user interface is: a function that builds a :class:`~dsysedu.sim.Scenario` from named
parameters, a list of controls each bound to one or more of those parameters, the views to draw (by
name, see :mod:`dsysedu.viz.panels`) and the measures to show. :class:`~dsysedu.widgets.playground.Playground`
turns a spec into widgets, and keeps the seed, the scrubber (time slider and Play), fork and (for a
live run) step controls that every playground has.

The controls (their widgets are made in :mod:`dsysedu.widgets.controls`):

==========================  ==========================================  =====================================
declaration                 widget                                      parameter value(s)
==========================  ==========================================  =====================================
:class:`Slider`             an int or float slider                      a number in ``[low, high]``
:class:`Toggle`             a checkbox                                  a bool
:class:`Choice`             a dropdown, or a row of buttons             one of ``options`` (the values)
:class:`NodeToggles`        a toggle per node, and a from–to window     a tuple of nodes (and the window)
:class:`PartitionSides`     each node on side A or B, and a window      groups of nodes, or None (and window)
:class:`LinkSliders`        latency range, loss, duplication, reorder   a :class:`~dsysedu.sim.LinkModel`
:class:`Seed`               a seed box with a "new seed" button         an int: the run's seed
==========================  ==========================================  =====================================

A spec is checked when it is made: a control naming a parameter the builder does not take, two
controls on one parameter, a slider whose range does not hold its default, a choice whose default
is not an option or an unknown view raise a ``ValueError`` (``TypeError`` for something that is not a
control) that says what is allowed.

Examples
--------
>>> from dsysedu.protocols.basics import request_reply_scenario
>>> from dsysedu.protocols.basics.request_reply import link_metrics
>>> spec = PlaygroundSpec(request_reply_scenario,
...                       controls=[Slider("loss", 0.0, 0.9, 0.05), Toggle("reorder"), Seed()],
...                       views=("topology", "spacetime"), measures=link_metrics)
>>> spec.values(loss=0.3)["loss"]
0.3
>>> PlaygroundSpec(request_reply_scenario, controls=[Slider("warp", 0, 1)])
Traceback (most recent call last):
...
ValueError: Slider('warp') names a parameter that request_reply_scenario does not take; it takes ['duplicate', 'faults', 'interval', 'latency', 'loss', 'reorder', 'requests', 'timeout', 'until']
"""
from __future__ import annotations

import inspect
from dataclasses import KW_ONLY, dataclass, field
from numbers import Real
from typing import Any, Callable, Mapping

from dsysedu.viz.panels import panel_for

__all__ = ["Control", "Slider", "Toggle", "Choice", "NodeToggles", "PartitionSides", "LinkSliders", "Seed",
           "PlaygroundSpec"]


@dataclass(frozen=True)
class Control:
    """A control bound to the builder parameter ``param``.

    Parameters
    ----------
    param : str
        The builder's keyword argument that the control sets.
    label : str
        The caption beside the control (default: ``param`` with spaces for underscores).
    group : str
        Controls of one group share a row (or a tab, when the spec has ``tabs=True``).
    help : str
        A line of HTML shown under the group.
    width : str
        CSS width of the widget (``"300px"``); a default per kind of control.
    """
    param: str
    _: KW_ONLY
    label: str = ""
    group: str = ""
    help: str = ""
    width: str = ""

    def params(self) -> tuple:
        """Every builder parameter this control sets."""
        return (self.param,)

    @property
    def caption(self) -> str:
        return self.label or self.param.replace("_", " ")

    def check(self, values: Mapping) -> None:
        """Raise ValueError when ``values`` hold a value the control cannot show."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.param!r})"


@dataclass(frozen=True, repr=False)
class Slider(Control):
    """A number in ``[low, high]`` (an int slider when low, high and step are ints)."""
    low: float
    high: float
    step: float | None = None
    fmt: str = ".2f"

    @property
    def integer(self) -> bool:
        return all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high, self.step or 1))

    def check(self, values) -> None:
        v = values[self.param]
        if isinstance(v, bool) or not isinstance(v, Real) or not self.low <= v <= self.high:
            raise ValueError(f"{self!r}: {self.param} = {v!r} is outside its range [{self.low}, {self.high}]")


@dataclass(frozen=True, repr=False)
class Toggle(Control):
    """On or off: a bool."""

    def check(self, values) -> None:
        if not isinstance(values[self.param], bool):
            raise ValueError(f"{self!r}: {self.param} must be True or False, got {values[self.param]!r}")


@dataclass(frozen=True, repr=False)
class Choice(Control):
    """One of ``options``: a sequence of values, or a dict label -> value.

    ``buttons=True`` shows a row of buttons (at most a handful of short options) instead of a
    dropdown; ``tooltips`` (one per option) explain them.
    """
    options: Any = ()
    buttons: bool = False
    tooltips: tuple = ()

    def choices(self) -> dict:
        """label -> value."""
        opts = self.options
        return dict(opts) if isinstance(opts, Mapping) else {str(o): o for o in opts}

    def check(self, values) -> None:
        if not self.choices():
            raise ValueError(f"{self!r} needs options")
        if values[self.param] not in self.choices().values():
            raise ValueError(f"{self!r}: {self.param} = {values[self.param]!r} is not one of "
                             f"{list(self.choices().values())}")


@dataclass(frozen=True, repr=False)
class _Nodes(Control):
    """A control over some of the scenario's nodes, with an optional from–to time ``window``.

    ``nodes``: None for every node of the scenario, a sequence, or a function values -> nodes.
    ``window``: a pair of parameter names (start, end) that a range slider over the run sets; an
    end that is not after the start is passed as None (no end).
    """
    nodes: Any = None
    window: tuple | None = None

    def params(self) -> tuple:
        return (self.param, *(self.window or ()))

    def node_list(self, values, scenario) -> list:
        if self.nodes is None:
            return list(scenario.node_ids)
        return list(self.nodes(values) if callable(self.nodes) else self.nodes)

    def check(self, values) -> None:
        if self.window is not None:
            if len(self.window) != 2 or not all(isinstance(p, str) for p in self.window):
                raise ValueError(f"{self!r}: window must be a pair of parameter names, got {self.window!r}")
            start = values[self.window[0]]
            if isinstance(start, bool) or not isinstance(start, Real):
                raise ValueError(f"{self!r}: the window starts at {self.window[0]} = {start!r}, not a number")


@dataclass(frozen=True, repr=False)
class NodeToggles(_Nodes):
    """A toggle per node (``labels``: node -> caption, default "crash n"); the value is the tuple of
    pressed nodes."""
    labels: Mapping | None = None


@dataclass(frozen=True, repr=False)
class PartitionSides(_Nodes):
    """Each node on one of ``sides``; the value is the list of groups, or None when every node is on
    one side (no partition)."""
    sides: tuple = ("A", "B")

    def check(self, values) -> None:
        super().check(values)
        groups = values[self.param]
        if groups is not None and (isinstance(groups, (str, bytes)) or not all(
                hasattr(g, "__iter__") and not isinstance(g, (str, bytes)) for g in groups)):
            raise ValueError(f"{self!r}: {self.param} must be None or a list of groups of nodes such as "
                             f"[[0, 1], [2, 3, 4]], got {groups!r}")


@dataclass(frozen=True, repr=False)
class LinkSliders(Control):
    """Latency range, loss, duplication and reordering: the value is a LinkModel."""
    max_latency: float = 0.2


@dataclass(frozen=True, repr=False)
class Seed(Control):
    """The run's seed. It is passed to the builder too when the builder takes a ``seed``."""
    param: str = "seed"


_KINDS = (Slider, Toggle, Choice, NodeToggles, PartitionSides, LinkSliders, Seed)


@dataclass(frozen=True)
class PlaygroundSpec:
    """A playground, declared.

    Parameters
    ----------
    build : callable
        Named parameters -> Scenario. Its errors (``ValueError``/``TypeError``) are shown in the
        playground's status line when a control makes a bad scenario.
    controls : sequence of Control
        Each bound to parameters of ``build`` (a :class:`Seed` may bind to the run only).
    views : tuple of str
        What to draw, from :data:`dsysedu.viz.panels.VIEW_NAMES` (see :func:`~dsysedu.viz.panels.panel_for`).
    measures : callable or tuple of callables
        Trace -> measures. One callable may return any object (``table`` then turns it into rows);
        a tuple of callables each return a dict, merged in order.
    table : callable, optional
        Measures -> dict name -> value, for the table beside the picture.
    notes : callable, optional
        (values, trace, measures) -> list of str: warnings for the status line.
    verdict : callable, optional
        Trace -> :class:`~dsysedu.check.Verdict`, shown as a badge (its events are ringed).
    view_options : callable or dict
        Values -> keyword arguments of the panel (``color_by``, ``origin``...).
    run : callable, optional
        (scenario, seed) -> Trace (default: the whole run). Not for a live spec.
    defaults : dict
        Values for builder parameters, over the builder's own defaults.
    live : bool
        A live run the learner advances (Play, run, next event) instead of a finished one to replay.
    tabs : bool
        Groups of controls as tabs under the picture (else rows above it).
    fork : bool
        Show "what if: fork here" (keep the run up to the scrubber's time, then apply the faults
        that the controls now add from there on).
    frames, interval_ms : int
        Play's frames over the run and milliseconds per frame.
    start : float or callable, optional
        Where the scrubber opens on the first run: a time in seconds, or a function trace -> time
        (a meaningful moment, not an empty t = 0). Default: half-way through the run.
    css : str
        A prefix for the controls' CSS classes (``css + "-" + param``), for browser tests.
    title : str
        A heading.
    controls_width : str
        CSS width of the column of controls beside the picture (the presenting layout of
        :meth:`~dsysedu.widgets.playground.PlaygroundBase.present`); the picture takes the rest.
    """
    build: Callable
    controls: tuple = ()
    views: tuple = ("topology", "spacetime")
    measures: Any = ()
    table: Callable | None = None
    notes: Callable | None = None
    verdict: Callable | None = None
    view_options: Any = field(default_factory=dict)
    run: Callable | None = None
    defaults: Mapping = field(default_factory=dict)
    live: bool = False
    tabs: bool = False
    fork: bool = False
    frames: int = 100
    interval_ms: int = 120
    start: Any = None
    css: str = ""
    title: str = ""
    controls_width: str = "400px"

    def start_time(self, trace) -> float:
        """The time the scrubber opens at on the first run of ``trace`` (see ``start``)."""
        if self.start is None:
            return 0.5 * trace.end_time
        t = self.start(trace) if callable(self.start) else self.start
        return min(max(float(t), 0.0), trace.end_time)

    def __post_init__(self):
        if not callable(self.build):
            raise TypeError(f"build must be a function that returns a Scenario, got {self.build!r}")
        object.__setattr__(self, "controls", tuple(self.controls))
        object.__setattr__(self, "views", (self.views,) if isinstance(self.views, str) else tuple(self.views))
        panel_for(self.views)  # raises on an unknown view
        if isinstance(self.measures, (list, tuple)):
            bad = [m for m in self.measures if not callable(m)]
            object.__setattr__(self, "measures", tuple(self.measures))
        else:
            bad = [] if callable(self.measures) else [self.measures]
        if bad:
            raise TypeError(f"measures must be a function of the trace or a tuple of them, got {bad!r}")
        if self.live and self.run is not None:
            raise ValueError("a live spec advances its own run: give run=None")
        takes, open_kw = self._signature()
        controlled = {p for c in self.controls if isinstance(c, Control) for p in c.params()}
        unknown = sorted(set(self.defaults) - takes - controlled) if not open_kw else []
        if unknown:
            raise ValueError(f"defaults name {unknown}, which {self._name} does not take; it takes {sorted(takes)}")
        seen: dict = {}
        for c in self.controls:
            if not isinstance(c, _KINDS):
                raise TypeError(f"controls must be declarations from {[k.__name__ for k in _KINDS]}, got {c!r}")
            for p in c.params():
                if p in seen:
                    raise ValueError(f"{c!r} and {seen[p]!r} both set the parameter {p!r}")
                seen[p] = c
                if p not in takes and not open_kw and not isinstance(c, Seed):
                    raise ValueError(f"{c!r} names a parameter that {self._name} does not take; "
                                     f"it takes {sorted(takes)}")
        values = self.values()
        for c in self.controls:
            c.check(values)

    @property
    def _name(self) -> str:
        return getattr(self.build, "__name__", repr(self.build))

    def _signature(self):
        """(names of the builder's keyword parameters, whether it takes ``**kwargs``)."""
        sig = inspect.signature(self.build)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        names = {p.name for p in sig.parameters.values() if p.kind in kinds}
        return names, any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())

    def values(self, **overrides) -> dict:
        """Every parameter a control sets, and the builder's other defaults, with ``overrides``.

        Raises
        ------
        TypeError
            For an override that neither the builder nor a control takes.
        ValueError
            For a control's parameter without a default.
        """
        takes, open_kw = self._signature()
        controlled = {p for c in self.controls for p in c.params()}
        unknown = sorted(set(overrides) - takes - controlled) if not open_kw else []
        if unknown:
            raise TypeError(f"unexpected parameter(s) {unknown}; this playground takes {sorted(takes | controlled)}")
        out = {name: p.default for name, p in inspect.signature(self.build).parameters.items()
               if p.default is not inspect.Parameter.empty}
        for c in self.controls:
            if isinstance(c, Seed):
                out.setdefault(c.param, 0)
            elif isinstance(c, NodeToggles):
                out.setdefault(c.param, ())
            elif isinstance(c, PartitionSides):
                out.setdefault(c.param, None)
        out.update(self.defaults)
        out.update(overrides)
        missing = sorted(controlled - set(out))
        if missing:
            raise ValueError(f"{missing} have no default value: give them in defaults= or in the builder")
        return out

    def scenario(self, values: Mapping):
        """The Scenario the builder makes of ``values`` (the run's seed is passed only if it takes one)."""
        takes, open_kw = self._signature()
        return self.build(**{k: v for k, v in values.items() if k in takes or open_kw})

    def seed_of(self, values: Mapping):
        """The run's seed: the value of the Seed control (None: the scenario's own)."""
        seed = next((c.param for c in self.controls if isinstance(c, Seed)), "seed")
        return values.get(seed)

    def measure(self, trace):
        """The measures of a run (None when the spec has none)."""
        if isinstance(self.measures, tuple):
            out: dict = {}
            for m in self.measures:
                out.update(m(trace))
            return out if self.measures else None
        return self.measures(trace)

    def rows(self, measures) -> dict:
        """The table's rows for ``measures``."""
        if measures is None:
            return {}
        return dict(self.table(measures) if self.table is not None else measures)

    def options(self, values: Mapping) -> dict:
        """The panel's keyword arguments for ``values``."""
        return dict(self.view_options(values) if callable(self.view_options) else self.view_options)
