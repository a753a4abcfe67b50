"""Step mode: the learner is the network.

:class:`StepExplorer` shows the events waiting in a run (messages in flight,
timers) as buttons. Clicking one handles it now, out of its turn, so the
learner chooses the order of deliveries and watches each node's state change.
Crash and recover buttons apply faults by hand.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.sim import Crash, Recover, Scenario, Simulation
from dsysedu.viz import SpacetimeView, style
from dsysedu.viz.render import new_figure, png_bytes

__all__ = ["StepExplorer"]


class StepExplorer:
    """Pending events as buttons; take one, see the state change.

    Parameters
    ----------
    scenario : Scenario
    seed : int, optional
    max_buttons : int
        How many pending events to show (earliest first).
    """

    MIN_SPAN = 0.1   # seconds: the shortest time axis drawn

    def __init__(self, scenario: Scenario, seed=None, max_buttons: int = 10, fig_size=(10.0, 3.4)):
        if not isinstance(scenario, Scenario):
            raise TypeError(f"StepExplorer needs a Scenario, got {scenario!r}")
        self.sim = Simulation(scenario, seed=seed)
        self.max_buttons = max_buttons
        self.events = W.VBox(layout=W.Layout(width="auto", min_width="380px"))
        self.state = W.HTML()
        self.log = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(width="100%"))
        self.step_button = W.Button(description="next event", icon="step-forward")
        self.step_button.on_click(lambda b: self.step())
        self.run_to = W.BoundedFloatText(value=0.1, min=0.0, max=scenario.until, step=0.05,
                                         description="run to t", layout=W.Layout(width="170px"))
        self.run_button = W.Button(description="run", icon="play", layout=W.Layout(width="70px"))
        self.run_button.on_click(lambda b: self.run_until(self.run_to.value))
        self.node_pick = W.Dropdown(options=list(scenario.node_ids), description="node",
                                    layout=W.Layout(width="150px"))
        self.crash_button = W.Button(description="crash", icon="power-off", layout=W.Layout(width="80px"))
        self.recover_button = W.Button(description="recover", icon="redo", layout=W.Layout(width="90px"))
        self.crash_button.on_click(lambda b: self.apply(Crash(self.node_pick.value, at=self.sim.now)))
        self.recover_button.on_click(lambda b: self.apply(Recover(self.node_pick.value, at=self.sim.now)))
        self.fig = new_figure(*fig_size, layout="constrained")   # room for the legend outside the axes
        self.ax = self.fig.add_subplot(111)
        toolbar = W.HBox([self.step_button, self.run_to, self.run_button, self.node_pick, self.crash_button,
                          self.recover_button])
        self.widget = W.VBox([toolbar, W.HBox([W.VBox([W.HTML("<b>pending events</b> (click to handle now)"),
                                                       self.events]),
                                               W.VBox([self.state, self.log])]), self.image])
        self.refresh()

    # -- actions -------------------------------------------------------------------
    def take(self, event_id: str) -> None:
        rows = self.sim.take(event_id)
        self._note(f"took {event_id}", rows)

    def step(self) -> None:
        rows = self.sim.step()
        self._note("next event", rows)

    def run_until(self, t: float) -> None:
        start = len(self.sim.rows)
        self.sim.run_until(t)
        self._note(f"ran to t={t:g}", self.sim.rows[start:])

    def apply(self, fault) -> None:
        rows = self.sim.apply(fault)
        self._note(f"applied {type(fault).__name__}({fault.node!r})", rows)

    def _note(self, what: str, rows) -> None:
        kinds: dict[str, int] = {}
        for r in rows:
            kinds[r[1]] = kinds.get(r[1], 0) + 1
        detail = ", ".join(f"{v} {k}" for k, v in kinds.items()) or "nothing happened"
        self.log.value = f"<i>{html.escape(what)}</i>: {html.escape(detail)}"
        self.refresh()

    # -- drawing ---------------------------------------------------------------------
    def refresh(self) -> None:
        pending = self.sim.pending(limit=self.max_buttons)
        buttons = []
        for ev in pending:
            # as wide as its label (a fixed width cut the labels off), never narrower than the column
            b = W.Button(description=ev.label(), tooltip=ev.id,
                         layout=W.Layout(width="auto", min_width="370px", flex="0 0 auto"))
            b.on_click(lambda _b, eid=ev.id: self.take(eid))
            buttons.append(b)
        if not buttons:
            buttons = [W.HTML("<i>nothing pending: the run is over</i>")]
        self.events.children = buttons
        self.state.value = self._state_html()
        self.ax.clear()
        trace = self.sim.trace
        t = self.sim.now
        # at least MIN_SPAN seconds on the axis: at t = 0 a zero-width axis would print a "1e-9" offset
        view = SpacetimeView(trace, ax=self.ax, t_range=(0.0, max(t, self.MIN_SPAN)))
        view.draw(t)
        self.ax.ticklabel_format(axis="x", useOffset=False)
        self.image.value = png_bytes(self.fig)

    def _state_html(self) -> str:
        rows = []
        for n, node in self.sim.nodes.items():
            status = self.sim.status(n)
            colour = {"up": style.VERDICT_OK, "crashed": style.VERDICT_BAD, "paused": style.PAUSED_TEXT}[status]
            fields = ", ".join(f"{k}={_short(v)}" for k, v in node.state())
            rows.append(f"<tr><td><b>{html.escape(str(n))}</b></td><td style='color:{colour}'>{status}</td>"
                        f"<td style='font-family:monospace;font-size:12px'>{html.escape(fields)}</td></tr>")
        return (f"<b>t = {self.sim.now:.4f} s</b><table style='font-size:13px'>"
                f"<tr><th>node</th><th>status</th><th>state</th></tr>{''.join(rows)}</table>")

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 48 else text[:45] + "..."
