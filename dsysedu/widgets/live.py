"""LivePlayground: a declared playground whose run the learner advances, pokes, looks back on and forks.

For a spec with ``live=True`` the scenario is not run to its end: a
:class:`~dsysedu.sim.Simulation` is advanced in small steps (Play, "run 0.1 s", "run 1 s", "next
event"). The time slider looks back over ``[0, now]`` without running anything; "fork here" keeps the
run up to the slider's time, forgets the rest and continues live from there. A control change
starts the run again from the spec's builder. After every step the spec's ``verdict`` (a
checker) runs and a badge shows it; its evidence is ringed on the picture.

The learner also acts on the live run, with the controls' own vocabulary: a card per node (crash,
recover), a partition editor (each node on side A or B: partition now, heal) and the messages on
the wire (deliver one now, out of its turn, or drop it). A protocol adds its own actions through
:attr:`LivePlayground.node_actions` and the hooks :meth:`~LivePlayground.on_rebuild`,
:meth:`~LivePlayground.on_refresh`, :meth:`~LivePlayground.update_card`,
:meth:`~LivePlayground.describe` and :meth:`~LivePlayground.status_html`.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.sim import Crash, Heal, Partition, Recover, Simulation
from dsysedu.viz import style
from dsysedu.viz.panels import panel_for
from .controls import PartitionEditor, TimeScrubber
from .playground import PlaygroundBase

__all__ = ["LivePlayground", "button"]


def button(text: str, css: str, action, icon: str = "", width: str = "auto") -> W.Button:
    """A button with a CSS class (for browser tests) that calls ``action()``."""
    # flex "0 0 auto": a row that runs out of room wraps instead of squeezing the label ("run 0...")
    b = W.Button(description=text, icon=icon, layout=W.Layout(width=width, flex="0 0 auto",
                                                               min_width="max-content" if width == "auto" else width))
    b.add_class(css)
    b.on_click(lambda _b: action())
    return b


class LivePlayground(PlaygroundBase):
    """A live run of a declared scenario, with run, step, scrub and fork controls and a verdict badge.

    Parameters
    ----------
    spec : PlaygroundSpec
        With ``live=True``.
    **values
        Starting values of the builder's parameters.

    Examples
    --------
    >>> from dsysedu.widgets.raft_playground import RAFT
    >>> pg = LivePlayground(RAFT, nodes=3, seed=1)
    >>> pg.advance(1.0); pg.sim.now
    1.0
    """

    def __init__(self, spec, /, **values):
        if not spec.live:
            raise ValueError("LivePlayground plays a spec with live=True; use Playground for finished runs")
        super().__init__(spec, values)
        self.note = ""
        self.sim = self.scrubber = self.verdict = None
        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=spec.interval_ms, show_repeat=False)
        self.play.add_class("dsysedu-play")
        self.play.observe(lambda ch: self.advance(0.1), names="value")
        # how fast Play runs the cluster: 0.1 simulated seconds per tick, ticks interval_ms / speed apart
        self.speed = W.Dropdown(options=list(TimeScrubber.SPEEDS.items()), value=1.0, description="speed",
                                layout=W.Layout(width="130px", flex="0 0 auto"), style={"description_width": "45px"})
        self.speed.add_class("dsysedu-speed")
        self.speed.observe(lambda ch: setattr(self.play, "interval", max(10, int(round(spec.interval_ms / ch["new"])))),
                           names="value")
        self.run_buttons = [button("run 0.1 s", "dsysedu-run", lambda: self.advance(0.1), "step-forward"),
                            button("run 1 s", "dsysedu-run-long", lambda: self.advance(1.0), "fast-forward"),
                            button("next event", "dsysedu-step", self.step)]
        self.fork_button = button("fork here", "dsysedu-fork", self.fork_here, "code-branch")
        self.fork_button.tooltip = "keep the run up to the scrubbed time, drop the rest, and continue live from there"
        self.badge = W.HTML()
        self.badge.add_class("dsysedu-verdict")
        self.scrub_row = W.HBox()
        self.cards: dict = {}
        self.cards_box = W.VBox(layout=W.Layout(width="100%"))
        self.partition_box = W.VBox()
        self.pending_box = W.VBox()
        self.pending_box.add_class("dsysedu-pending")
        self.widget = W.VBox(layout=W.Layout(width="100%"))
        for b in self._bound:
            b.observe(self._on_control)
        self.rebuild()
        self.widget.children = self.layout()

    def layout(self) -> list:
        """The widget's children: the presenting layout (:meth:`present`) of the run controls, status,
        node cards and tabs (the partition editor, the messages on the wire, each group of controls)
        beside the picture and its time slider."""
        return [self.present([W.HBox([self.play, self.speed, *self.run_buttons, self.badge],
                                     layout=W.Layout(align_items="center", flex_flow="row wrap")),
                              self.status, self.cards_box,
                              self.tab_box([("Partition", self.partition_box), ("Messages", self.messages_box()),
                                            *((name or "Options", box) for name, box in self.groups().items())])],
                             [self.image, self.scrub_row], [self.info])]

    def messages_box(self) -> W.VBox:
        # scrolls inside its tab: a long list must not push the page below the screen
        return W.VBox([W.HTML("deliver one now (out of its turn) or lose it:"), self.pending_box],
                      layout=W.Layout(max_height="170px", overflow="auto"))

    # -- building the run --------------------------------------------------------------------
    def rebuild(self) -> None:
        """A new run from the controls, at time 0."""
        made = self.scenario_from_controls()
        if made is None:
            return
        values, sc = made
        self.sim = Simulation(sc, seed=self.spec.seed_of(values))
        options = self.spec.options(values)
        if options != self._options:
            self._options = options
            self.panel = panel_for(self.spec.views)(**options)
        self.runs += 1
        self.note = ""
        nodes = self.sim.scenario.node_ids
        self.partition_editor = PartitionEditor(nodes, until=1.0)
        self.partition_box.children = [
            W.HBox(list(self.partition_editor.choosers.values()), layout=W.Layout(flex_flow="row wrap")),
            W.HBox([button("partition now", "dsysedu-partition", self._partition_from_editor, "cut"),
                    button("heal", "dsysedu-heal", self.heal, "link")])]
        self.cards = {n: self._card(n) for n in nodes}
        self.cards_box.children = [c[0] for c in self.cards.values()]
        self.on_rebuild()
        self.refresh()

    def _on_control(self) -> None:
        self.rebuild()

    def on_rebuild(self) -> None:
        """Hook: a new run was built (``self.sim`` is at time 0)."""

    # -- actions ---------------------------------------------------------------------------------
    def advance(self, dt: float = 0.1) -> None:
        """Run ``dt`` more simulated seconds."""
        end = self.sim.scenario.until
        if self.sim.now >= end:
            self.note = f"the run ends at {end:g} s: start again with a control, or fork from an earlier time"
            self.play.playing = False
        else:
            self.sim.run_until(min(self.sim.now + dt, end))
            self.note = ""
        self.refresh()

    def step(self) -> None:
        """Handle just the next event."""
        rows = self.sim.step()
        self.note = "next event: " + ", ".join(sorted({r[1] for r in rows})) if rows else "nothing left to do"
        self.refresh()

    def fork_here(self) -> None:
        """Keep the run up to the scrubbed time, forget the rest, continue live from there."""
        t = self.scrubber.value
        self.sim = self.sim.fork(t)
        self.on_fork(t)
        self.refresh(f"forked at t = {t:.3f} s: the future after it is gone")

    def on_fork(self, t: float) -> None:
        """Hook: the run was forked at ``t`` (what happened after ``t`` never happened)."""

    def crash(self, node) -> None:
        self.sim.apply(Crash(node, at=self.sim.now))
        self.refresh(f"node {node} crashed")

    def recover(self, node) -> None:
        self.sim.apply(Recover(node, at=self.sim.now))
        self.refresh(f"node {node} recovered")

    def partition(self, groups) -> None:
        self.sim.apply(Partition(groups, at=self.sim.now))
        self.refresh("partitioned")

    def heal(self) -> None:
        self.sim.apply(Heal(at=self.sim.now))
        self.refresh("healed")

    def deliver(self, event_id: str) -> None:
        """Deliver a pending message now, out of its turn."""
        self.sim.take(event_id)
        self.refresh("delivered a message early")

    def drop(self, event_id: str) -> None:
        """Lose a pending message."""
        self.sim.drop(event_id)
        self.refresh("dropped a message")

    def pending_messages(self, limit: int = 8) -> list:
        """The next ``limit`` messages on the wire (earliest first)."""
        return [e for e in self.sim.pending() if e.kind == "deliver"][:limit]

    def _partition_from_editor(self) -> None:
        groups = self.partition_editor.groups()
        if len(groups) < 2:
            self.refresh("put some nodes on side B first")
            return
        self.partition(groups)

    # -- drawing -------------------------------------------------------------------------------
    def refresh(self, note: str | None = None) -> None:
        """Check, redraw the views at the live time, and update every control."""
        if note is not None:
            self.note = note
        self.trace = self.sim.trace
        if self.spec.verdict is not None:
            self.verdict = v = self.spec.verdict(self.trace)
            colour = style.VERDICT_OK if v.ok else style.VERDICT_BAD
            self.badge.value = (f"<span style='background:{colour};color:white;padding:3px 8px;border-radius:4px'>"
                                f"{'✓ safe' if v.ok else '✗ ' + html.escape(v.property)}</span> "
                                f"<span style='font-size:12px'>{html.escape(v.message)}</span>")
        self.measures = self.spec.measure(self.trace)
        self.info.value = self.table_html() if self.measures is not None else ""
        self._new_scrubber()
        self.panel.show(self.trace, self.sim.now, now=self.sim.now, verdict=self.verdict)
        self._show(self.sim.now)
        for n, (_box, head, *buttons) in self.cards.items():
            self.update_card(n, head, buttons)
        self._pending_rows()
        self.on_refresh()

    def on_refresh(self) -> None:
        """Hook: the run moved on (or was poked); update the protocol's own widgets."""

    # -- node cards and messages on the wire -------------------------------------------------------
    node_actions = (("crash", "crash"), ("recover", "recover"))
    """(caption, method name) of the buttons on each node's card; the method takes the node."""

    def _card(self, n):
        head = W.HTML()
        buttons = [button(text, f"dsysedu-node-{n}-{text.replace(' ', '')}", lambda name=name: getattr(self, name)(n))
                   for text, name in self.node_actions]
        for b in buttons:
            b.layout.padding = "0 6px"
            b.layout.height = "26px"
        # one line per node: the status, then its buttons (five nodes fit under the controls on a laptop screen)
        box = W.HBox([head, W.HBox(buttons, layout=W.Layout(flex="0 0 auto"))],
                     layout=W.Layout(border=f"1px solid {style.BOX_BORDER}", padding="1px 4px", margin="1px 0",
                                     width="100%", align_items="center", justify_content="space-between"))
        box.add_class(f"dsysedu-node-{n}")
        return (box, head, *buttons)

    def update_card(self, n, head, buttons) -> None:
        """Show node ``n``'s status on its card; its buttons are in :attr:`node_actions` order."""
        status = self.sim.status(n)
        head.value = f"<b>node {n}</b> {html.escape(status)}"
        buttons[0].disabled, buttons[1].disabled = status == "crashed", status != "crashed"

    def describe(self, msg) -> str:
        """A message in a few words, for the list of messages on the wire."""
        return type(msg).__name__

    def _pending_rows(self) -> None:
        rows = []
        for ev in self.pending_messages():
            src = "client" if ev.src is None else ev.src
            label = W.HTML(f"<code>{ev.time:.3f}</code> {html.escape(str(src))}→{html.escape(str(ev.node))} "
                           f"{html.escape(self.describe(ev.detail))}", layout=W.Layout(width="330px"))
            go = button("deliver", "dsysedu-deliver", lambda eid=ev.id: self.deliver(eid), width="80px")
            lose = button("drop", "dsysedu-drop", lambda eid=ev.id: self.drop(eid), width="80px")
            rows.append(W.HBox([label, go, lose]))
        old, self.pending_box.children = self.pending_box.children, rows or [W.HTML(
            "<i>no message on the wire right now: press <b>next event</b> until one is sent</i>")]
        for row in old:  # a Play run makes new rows 2 times a second: free the old widgets
            for w in (*getattr(row, "children", ()), row):
                w.close()

    def _show(self, t: float) -> None:
        self.t_view = float(t)
        self.image.value = self.panel.png(self.t_view)
        self.status.value = self.status_html(self.t_view)

    def status_html(self, t: float) -> str:
        """The status line at viewed time ``t``."""
        live = "" if t >= self.sim.now else f" · <i>viewing the past; live time is {self.sim.now:.3f} s</i>"
        note = f"<br><span style='color:{style.ANNOTATION}'>{html.escape(self.note)}</span>" if self.note else ""
        return f"<b>t = {t:.3f} s</b>{live}{note}"

    def _new_scrubber(self) -> None:
        """A fresh time slider over [0, now]. A new widget rather than a new ``max``: a browser that
        gets a new max clamps and sends back the old value, which would drag the view into the past."""
        old = self.scrubber
        self.scrubber = W.FloatSlider(value=self.sim.now, min=0.0, max=max(self.sim.now, 1e-3), step=0.001,
                                      description="time (s)", readout_format=".3f", continuous_update=True,
                                      layout=W.Layout(width="560px"))
        self.scrubber.add_class("dsysedu-time")
        self.scrubber.observe(lambda ch: self._show(float(ch["new"])), names="value")
        self.scrub_row.children = [self.scrubber, self.fork_button]
        if old is not None:
            old.close()
