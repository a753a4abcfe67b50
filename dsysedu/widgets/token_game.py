"""The token game: fire a Petri net's transitions by clicking, and watch the tokens move.

:class:`TokenGame` shows one button per transition (disabled while the transition is not
enabled), the net in its current marking (redrawn after each firing, enabled transitions in
green), the history of firings, and Undo and Reset. When nothing is enabled the status line
says the net is in a deadlock.

CSS classes, for browser tests: ``dsysedu-token-fire`` on every transition button (and
``dsysedu-token-fire-<name>``), ``dsysedu-token-reset``, ``dsysedu-token-undo``,
``dsysedu-token-history``, ``dsysedu-token-status``, ``dsysedu-view`` on the picture.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.formal.petri import PetriNet
from dsysedu.viz.petri import DEADLOCK, draw_net
from dsysedu.viz.render import new_figure, png_bytes

__all__ = ["TokenGame"]


class TokenGame:
    """A clickable token game over ``net``.

    Parameters
    ----------
    net : dsysedu.formal.petri.PetriNet
    marking : tuple or dict, optional
        Where to start (default: the net's initial marking); Reset comes back here.
    size : (float, float)
        Figure size in inches.
    columns : int
        Transition buttons per row.

    Examples
    --------
    >>> from dsysedu.formal.petri import dining_philosophers
    >>> game = TokenGame(dining_philosophers(2))
    >>> game.fire("first0"); game.fire("first1")
    >>> game.enabled(), game.deadlocked
    ((), True)
    """

    def __init__(self, net: PetriNet, marking=None, size=(7.0, 7.0), columns: int | None = None):
        if not isinstance(net, PetriNet):
            raise TypeError(f"TokenGame needs a PetriNet, got {net!r}")
        self.net = net
        self.start = net.initial if marking is None else net.marking(marking)
        self.marking = self.start
        self.history: list = []  # (transition, marking after)
        self.buttons = {}
        for t in net.transitions:
            b = W.Button(description=t, layout=W.Layout(width="110px"), tooltip=self._tooltip(t))
            b.add_class("dsysedu-token-fire")
            b.add_class(f"dsysedu-token-fire-{t}")
            b.on_click(lambda _b, t=t: self.fire(t))
            self.buttons[t] = b
        self.undo_button = W.Button(description="undo", icon="undo", layout=W.Layout(width="90px"))
        self.undo_button.add_class("dsysedu-token-undo")
        self.undo_button.on_click(lambda _b: self.undo())
        self.reset_button = W.Button(description="reset", icon="refresh", layout=W.Layout(width="90px"))
        self.reset_button.add_class("dsysedu-token-reset")
        self.reset_button.on_click(lambda _b: self.reset())
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="640px"))
        self.image.add_class("dsysedu-view")
        self.status = W.HTML()
        self.status.add_class("dsysedu-token-status")
        self.log = W.HTML(layout=W.Layout(width="300px", max_height="460px", overflow="auto"))
        self.log.add_class("dsysedu-token-history")
        self.fig = new_figure(*size)
        self.ax = self.fig.add_subplot(111)
        columns = columns or (3 if len(net.transitions) % 3 == 0 else 4)
        grid = W.GridBox(list(self.buttons.values()),
                         layout=W.Layout(grid_template_columns=f"repeat({columns}, 115px)"))
        side = W.VBox([W.HTML("<b>fire a transition</b> (grey: not enabled)"), grid,
                       W.HBox([self.undo_button, self.reset_button]), self.status, W.HTML("<b>history</b>"),
                       self.log])
        self.widget = W.HBox([self.image, side])
        self.redraw()

    def _tooltip(self, t):
        ins = ", ".join(f"{p}" + (f"×{w}" if w > 1 else "") for p, w in self.net.inputs(t).items()) or "nothing"
        outs = ", ".join(f"{p}" + (f"×{w}" if w > 1 else "") for p, w in self.net.outputs(t).items()) or "nothing"
        return f"takes {ins}; gives {outs}"

    # -- actions ---------------------------------------------------------------------
    def enabled(self) -> tuple:
        """The transitions enabled in the current marking."""
        return self.net.enabled(self.marking)

    @property
    def deadlocked(self) -> bool:
        """Nothing can fire."""
        return not self.enabled()

    def fire(self, transition: str) -> None:
        """Fire ``transition`` (``ValueError`` if it is not enabled, saying which tokens are missing)."""
        self.marking = self.net.fire(self.marking, transition)
        self.history.append((transition, self.marking))
        self.redraw()

    def undo(self) -> None:
        """Take back the last firing."""
        if self.history:
            self.history.pop()
            self.marking = self.history[-1][1] if self.history else self.start
            self.redraw()

    def reset(self) -> None:
        """Back to the starting marking, history cleared."""
        self.marking, self.history = self.start, []
        self.redraw()

    # -- drawing ---------------------------------------------------------------------
    def redraw(self) -> None:
        on = set(self.enabled())
        for t, b in self.buttons.items():
            b.disabled = t not in on
            b.button_style = "success" if t in on else ""
        self.undo_button.disabled = not self.history
        self.ax.clear()
        draw_net(self.net, self.marking, ax=self.ax,
                 title=f"{self.net.name}: after {len(self.history)} firing{'s' if len(self.history) != 1 else ''}")
        self.fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.94)
        self.image.value = png_bytes(self.fig)
        now = html.escape(self.net.format(self.marking))
        if self.deadlocked:
            self.status.value = (f'<span style="color:{DEADLOCK}"><b>deadlock:</b> nothing can fire.</span>'
                                 f"<br><small>{now}</small>")
        else:
            self.status.value = f"<b>{len(on)}</b> enabled.<br><small>{now}</small>"
        rows = [f"{i}. <b>{html.escape(t)}</b>" for i, (t, _) in enumerate(self.history, 1)]
        self.log.value = "<br>".join(rows[-40:]) if rows else "<i>nothing fired yet</i>"

    def png(self) -> bytes:
        """The current picture as PNG bytes."""
        return self.image.value
