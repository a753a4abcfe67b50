"""Animation: replay a finished trace through the views' in-place ``draw(t)``.

An animation here is the replay of a result, as in ModSimPy: the run is over, and
each frame only moves the topology's dots and colours and the space-time diagram's
"now" line. :func:`to_html` makes a short self-contained HTML player
(:meth:`matplotlib.animation.Animation.to_jshtml`). Each frame is a PNG inside the page,
about 130 kB with both views, so 20 frames make under 3 MB and the count is capped; for
long or interactive scrubbing use the Play + slider of :mod:`dsysedu.widgets`, which
calls the same ``draw(t)``. :func:`snapshot` draws one
moment, topology and space-time side by side, for the command line and the README.

Figures here are plain :class:`matplotlib.figure.Figure` objects, not pyplot ones, so a
notebook shows what is returned exactly once and nothing stays open afterwards.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

import re

from ._index import as_trace, view_end
from .spacetime import SpacetimeView
from .topology import TopologyView

__all__ = ["frames", "to_html", "snapshot", "AnimationHTML", "MAX_FRAMES"]

MAX_FRAMES = 40  # about 5 MB of HTML; beyond that use the widget scrubber


class AnimationHTML(str):
    """An HTML string that Jupyter shows as the animation it contains."""

    def _repr_html_(self) -> str:
        return str(self)


def frames(trace, n: int) -> np.ndarray:
    """``n`` evenly spaced times from 0 to the end of ``trace``.

    The end is the trace's end time, or its last event when the run went quiet before its
    time bound (a flood over in 20 ms does not need frames for the remaining seconds).

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> frames(run(Scenario(Flood, nodes=3, until=1.0), seed=1), 3)
    array([0.  , 0.01, 0.02])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of frames >= 1, got {n!r}")
    trace = as_trace(trace)
    return np.linspace(0.0, view_end(trace), int(n))


def _build(trace, views, color_by, figsize, topology_kw, spacetime_kw, dpi=100, height=5.0):
    names = (views,) if isinstance(views, str) else tuple(views)
    allowed = ("topology", "spacetime")
    bad = [v for v in names if v not in allowed]
    if not names or bad:
        raise ValueError(f"views must name one or both of {allowed}, got {views!r}")
    widths = [1.0 if v == "topology" else 1.6 for v in names]
    if figsize is None:
        figsize = (height * 1.1 * sum(widths) + 1.5, height)
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    axes = fig.subplots(1, len(names), width_ratios=widths, squeeze=False)[0]
    built = []
    for name, ax in zip(names, axes):
        if name == "topology":
            built.append(TopologyView(trace, ax=ax, color_by=color_by, **(topology_kw or {})))
        else:
            built.append(SpacetimeView(trace, ax=ax, **(spacetime_kw or {})))
    return fig, built


def to_html(trace, views=("topology", "spacetime"), frames=20, fps=5, color_by="role", figsize=None,
            topology_kw=None, spacetime_kw=None) -> AnimationHTML:
    """A short inline HTML animation of ``trace`` (a JavaScript player with its frames).

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    views : tuple of str
        ``"topology"``, ``"spacetime"`` or both, side by side.
    frames : int
        How many evenly spaced moments (at most ``MAX_FRAMES``; keep it near 20: each frame
        is a PNG inside the HTML).
    fps : float
        Frames per second when playing.
    color_by : str
        The observed key that colours the topology's nodes.
    figsize : (float, float), optional
    topology_kw, spacetime_kw : dict, optional
        More arguments for :class:`TopologyView` and :class:`SpacetimeView`.

    Returns
    -------
    AnimationHTML
        A ``str``; a notebook shows it as the player when it is the last value of a cell.

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> html = to_html(run(Scenario(Flood, nodes=5, until=0.1), seed=1), frames=3)
    >>> "<script" in html
    True
    """
    check_frames(frames, fps)
    trace = as_trace(trace)
    times = _frame_times(trace, frames)
    # small and at 72 dpi: every frame is a PNG inside the HTML
    fig, built = _build(trace, views, color_by, figsize, topology_kw, spacetime_kw, dpi=72, height=4.2)
    for view in built:
        view.draw(times[0])
    fig.draw_without_rendering()
    fig.set_layout_engine("none")  # freeze the layout: titles that change length must not move the axes

    def update(t):
        changed = []
        for view in built:
            changed.extend(view.draw(t))
        return changed

    return replay_html(fig, update, times, fps)


def check_frames(frames, fps) -> None:
    """Raise ValueError unless ``frames`` is a whole number from 1 to MAX_FRAMES and ``fps`` > 0."""
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or not 1 <= frames <= MAX_FRAMES:
        raise ValueError(f"frames must be a whole number from 1 to {MAX_FRAMES} (each frame is an image inside "
                         f"the HTML), got {frames!r}; to scrub a long run use dsysedu.widgets")
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) or not fps > 0:
        raise ValueError(f"fps must be a number > 0, got {fps!r}")


def replay_html(fig, draw, times, fps: float = 4) -> AnimationHTML:
    """Replay ``draw(t)`` for each of ``times`` on ``fig`` as a self-contained HTML player.

    The one way every animation of the course is made: the figure is drawn once per time and
    each frame stored as a PNG in the page (so keep ``times`` short); the player works offline.
    ``fig`` is cleared afterwards.
    """
    from matplotlib.animation import FuncAnimation

    anim = FuncAnimation(fig, draw, frames=list(times), interval=1000.0 / fps, blit=False, repeat=False)
    try:
        html = anim.to_jshtml(fps=fps, default_mode="once")
    finally:
        fig.clear()  # the figure is not pyplot's, so nothing else holds it open
    return AnimationHTML(_offline_icons(html))


# The player's buttons use Font Awesome from a CDN; classrooms are often offline, so the
# link is replaced by plain Unicode glyphs for the nine icons it uses.
_CDN_LINK = re.compile(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">')
_ICONS = """<style>
.fa {font-style: normal; display: inline-block; min-width: 1.1em;}
.fa-flip-horizontal {transform: scaleX(-1);}
.fa-minus:before {content: "\\2212";} .fa-plus:before {content: "+";}
.fa-fast-backward:before {content: "\\21E4";} .fa-fast-forward:before {content: "\\21E5";}
.fa-step-backward:before {content: "|\\25C0";} .fa-step-forward:before {content: "\\25B6|";}
.fa-play:before {content: "\\25B6";} .fa-pause:before {content: "\\275A\\275A";}
</style>"""


def _offline_icons(html: str) -> str:
    return _CDN_LINK.sub(lambda _m: _ICONS, html, count=1)


def _frame_times(trace, n):
    # to_html's argument ``frames`` hides the function of that name
    return frames(trace, n)


def snapshot(trace, t, path=None, color_by="role", figsize=None, dpi=110, topology_kw=None,
             spacetime_kw=None) -> Figure:
    """Topology at ``t`` and the space-time diagram with "now" at ``t``, side by side.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    t : float
    path : str or path-like, optional
        Save a PNG there.
    color_by : str
    figsize : (float, float), optional
    dpi : int
        Resolution of the saved PNG.
    topology_kw, spacetime_kw : dict, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from dsysedu import Scenario, run, Crash
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> fig = snapshot(run(Scenario(PingEcho, nodes=4, faults=[Crash(2, at=0.3)], until=1.0), seed=1), t=0.35)
    >>> len(fig.axes) >= 2
    True
    """
    trace = as_trace(trace)
    fig, built = _build(trace, ("topology", "spacetime"), color_by, figsize, topology_kw, spacetime_kw)
    for view in built:
        view.draw(t)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
