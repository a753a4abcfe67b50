"""Guided tours: a run told in steps, in the spirit of "The Secret Lives of Data".

A :class:`Tour` takes a finished trace and a list of ``(t, caption)`` steps. Prev and
Next move every view to the step's time and show its caption above the picture; the
learner reads one idea at a time while the topology, the space-time diagram and (for
Raft) the logs show it happening. Nothing is re-run: a tour only redraws, and only the
moving parts (:class:`~dsysedu.viz.render.Blitter`). The figure is a
:class:`~dsysedu.viz.traceviews.TraceViews`.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.viz import style
from dsysedu.viz._index import view_end
from dsysedu.viz.render import LayeredBlitter, new_figure
from dsysedu.viz.traceviews import VIEWS, TraceViews, has_log

__all__ = ["Tour"]


class Tour:
    """A guided tour of one run: captions, Prev/Next, and the views moving to each step's time.

    Parameters
    ----------
    trace : Trace
        A finished run, of any protocol.
    steps : list of (float, str)
        ``(t, caption)`` pairs; captions are HTML (``<b>``, ``<i>`` are fine).
    views : sequence of str
        From ``("topology", "spacetime", "raftlog")``; the log view only appears when the trace
        has Raft ``entry`` observations.
    color_by : str
        The observed key that fills the topology's nodes.
    window : float, optional
        Show only this many seconds of the space-time diagram around each step's time (long
        runs); default the whole run.
    title : str
        A heading above the tour.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.protocols.consensus.raft import Raft
    >>> trace = run(Scenario(Raft, nodes=3, until=1.0), seed=1)
    >>> tour = Tour(trace, [(0.0, "All followers."), (0.4, "A leader.")])
    >>> tour.next(); tour.index, tour.t
    (1, 0.4)
    """

    def __init__(self, trace, steps, views=VIEWS, color_by: str = "role", window: float | None = None,
                 title: str = "", fig_size=None):
        steps = [(float(t), str(c)) for t, c in steps]
        if not steps:
            raise ValueError("a Tour needs at least one (t, caption) step")
        end = max(view_end(trace), trace.end_time)
        bad = [t for t, _ in steps if not 0.0 <= t <= end]
        if bad:
            raise ValueError(f"step times must lie in the run, [0, {end:g}] s; got {bad}")
        self.trace, self.steps, self.color_by, self.window = trace, steps, color_by, window
        raft = "raftlog" in views and has_log(trace)
        self.views = tuple(v for v in views if v != "raftlog" or raft)
        self.fig = new_figure(*(fig_size or ((12.0, 8.2) if raft else (12.0, 4.6))), dpi=100)
        self.blitter = LayeredBlitter(self.fig)
        self.caption = W.HTML(layout=W.Layout(min_height="3.2em", padding="6px 10px",
                                              border=f"1px solid {style.BOX_BORDER}", width="auto"))
        self.caption.add_class("dsysedu-caption")
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width=f"{int(self.fig.get_figwidth() * 100)}px"))
        self.image.add_class("dsysedu-view")
        self.prev_button = W.Button(description="Prev", icon="arrow-left", layout=W.Layout(width="90px"))
        self.next_button = W.Button(description="Next", icon="arrow-right", layout=W.Layout(width="90px"))
        self.prev_button.add_class("dsysedu-prev")
        self.next_button.add_class("dsysedu-next")
        self.counter = W.HTML()
        self.counter.add_class("dsysedu-step")
        self.prev_button.on_click(lambda b: self.prev())
        self.next_button.on_click(lambda b: self.next())
        header = W.HTML(f"<h3 style='margin:4px 0'>{html.escape(title)}</h3>") if title else W.HTML()
        self.widget = W.VBox([header, W.HBox([self.prev_button, self.counter, self.next_button],
                                             layout=W.Layout(align_items="center")),
                              self.caption, self.image])
        self.panel = None
        self._range = None
        self.index = 0
        self.go(0)

    @property
    def t(self) -> float:
        return self.steps[self.index][0]

    def _t_range(self, t):
        if self.window is None:
            return None
        end = max(view_end(self.trace), 1e-9)
        lo = max(0.0, min(t - 0.75 * self.window, end - self.window))
        return (lo, min(end, lo + self.window))

    def go(self, i: int) -> None:
        """Show step ``i`` (0-based): move the views to its time and show its caption."""
        if not 0 <= i < len(self.steps):
            raise IndexError(f"step {i} is not in 0..{len(self.steps) - 1}")
        self.index = i
        t, caption = self.steps[i]
        rng = self._t_range(t)
        if self.panel is None:
            self.panel = TraceViews(self.fig, self.trace, self.views, color_by=self.color_by, t_range=rng)
            self.blitter.reset(self.panel.draw(t), layer=self.panel.st.ax if self.panel.st else None)
        elif rng != self._range:  # the window moved: only the space-time axes are drawn again
            self.panel.set_spacetime(t_range=rng)
            self.blitter.relayer(self.panel.draw(t))
        else:
            self.panel.draw(t)
        self._range = rng
        self.image.value = self.blitter.png()
        self.caption.value = f"<div style='font-size:15px;line-height:1.4'>{caption}</div>"
        self.counter.value = (f"<span style='padding:0 10px'>step <b>{i + 1}</b> of {len(self.steps)}"
                              f" &nbsp;·&nbsp; t = {t:.3f} s</span>")
        self.prev_button.disabled = i == 0
        self.next_button.disabled = i == len(self.steps) - 1

    def next(self) -> None:
        if self.index < len(self.steps) - 1:
            self.go(self.index + 1)

    def prev(self) -> None:
        if self.index > 0:
            self.go(self.index - 1)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

