"""The Raft playground: a live Raft cluster the learner drives, in the spirit of RaftScope.

:class:`RaftPlayground` holds a running :class:`~dsysedu.sim.Simulation` of Raft and
advances it in small steps (Play, "run 0.1 s", "next event"). The learner crashes,
recovers and times out nodes, sends client commands, partitions the network, delivers
or drops single messages, scrubs back in time and forks the run from there. Topology,
space-time diagram (the last seconds) and the nodes' logs show every step, and the
safety checkers of :mod:`dsysedu.protocols.consensus.raft.properties` run after each one: a red badge, with the
offending events ringed on the space-time diagram, when a (deliberately broken) variant
breaks Raft. One-click scenarios replay the situations of the paper with a narration.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import ipywidgets as W

from dsysedu.protocols.consensus.raft.properties import raft_safety
from dsysedu.protocols.consensus.raft import (ClientRequest, Raft, RaftCommitOldTerm, RaftForgetsVote,
                              RaftNoUpToDateCheck, figure8_scenario)
from dsysedu.sim import Crash, Heal, Input, LinkModel, Partition, Recover, Scenario, Simulation, Uniform
from dsysedu.viz import style
from .controls import PartitionEditor
from .render import LayeredBlitter, new_figure
from .tour import RAFT_MESSAGES, TraceViews

__all__ = ["RaftPlayground", "PlaygroundScenario", "SCENARIOS", "VARIANTS", "split_vote", "leader_crash",
           "partitioned_leader", "figure8"]

DEFAULTS = {"election_timeout": 0.3, "heartbeat": 0.1}  # slower than Raft's defaults: easier to watch
LINK = LinkModel(latency=Uniform(0.01, 0.03))
VARIANTS = {"Raft (correct)": Raft, "broken: commits old-term entries": RaftCommitOldTerm,
            "broken: votes without the up-to-date check": RaftNoUpToDateCheck,
            "broken: forgets its vote on restart": RaftForgetsVote}


@dataclass(frozen=True)
class PlaygroundScenario:
    """A one-click situation: how to build it, what to do by hand at given times, what to say when."""
    name: str
    build: Callable          # (protocol, options: dict, seed) -> Scenario
    steps: tuple             # (t, narration) pairs
    timeouts: tuple = ()     # (t, node): fire that node's election timer at t (by hand, like the button)


def _plain(protocol, options, seed, nodes=5, until=60.0, **kw) -> Scenario:
    return Scenario(protocol, nodes=nodes, params={**DEFAULTS, **options}, link=kw.pop("link", LINK), until=until,
                    max_events=5_000_000, seed=seed, **kw)


def _cmd(at, node, seq, key, value) -> Input:
    return Input(at, node, ClientRequest("client", seq, ("set", key, value)))


split_vote = PlaygroundScenario(
    "split vote",
    lambda p, o, s: _plain(p, o, s, link=LinkModel(latency=0.02),
                           links={(0, 1): LinkModel(latency=0.002), (2, 3): LinkModel(latency=0.002)}),
    ((0.0, "Five followers, no leader. Press run: at t = 0.1 s nodes 0, 2 and 4 time out at the same moment."),
     (0.1, "Three candidates for term 1. Node 1 hears node 0 first and votes for it; node 3 votes for node 2; "
           "nobody votes for node 4. Votes: 2, 2 and 1. A leader needs 3 of 5: nobody wins term 1."),
     (0.2, "A split vote. Each candidate waits a new random election timeout, then tries again in term 2. "
           "The randomness is what breaks the tie."),
     (0.7, "Term 2 has a leader (★). Its no-op entry is committed once a majority stores it.")),
    timeouts=((0.1, 0), (0.1, 2), (0.1, 4)))

leader_crash = PlaygroundScenario(
    "leader crash",
    lambda p, o, s: _plain(p, o, s, node_params={0: {"election_timeout": 0.15}},
                           faults=[Crash(0, at=1.2, until=3.0)],
                           inputs=[_cmd(0.8, 0, 1, "x", 1), _cmd(2.2, 1, 2, "y", 2)]),
    ((0.0, "Node 0 has the shortest election timeout: it will be the first candidate and the leader of term 1."),
     (0.5, "Node 0 leads term 1. Its heartbeats (AppendEntries) keep the followers' election timers from running out."),
     (0.8, "A client asks node 0 to set x=1. The entry is hatched until a majority stores it, then solid: committed."),
     (1.2, "Node 0 crashes. No more heartbeats: the first follower whose timer runs out asks for votes in term 2."),
     (2.2, "A client sends y=2 to node 1, a follower: it forwards the command to the new leader."),
     (3.0, "Node 0 recovers with its log and term (durable). It hears the new leader's higher term, follows, "
           "and gets the entries it missed.")))

partitioned_leader = PlaygroundScenario(
    "partitioned old leader",
    lambda p, o, s: _plain(p, o, s, node_params={0: {"election_timeout": 0.15}},
                           faults=[Partition(((0, 1), (2, 3, 4)), at=1.0, until=3.0)],
                           inputs=[_cmd(0.6, 0, 1, "x", 1), _cmd(1.3, 0, 2, "x", 2), _cmd(2.2, 2, 3, "y", 3)]),
    ((0.0, "Node 0 will lead term 1; a client sets x=1 through it at 0.6 s."),
     (1.0, "A partition: {0, 1} | {2, 3, 4}. Node 0 still thinks it leads, but it reaches only 2 of 5 nodes."),
     (1.3, "The client sends x=2 to the old leader. It appends it, but can never commit it: no majority."),
     (1.5, "The majority side hears no heartbeats and elects a leader of a higher term."),
     (2.2, "y=3 goes to the majority side: its leader commits it."),
     (3.0, "The partition heals. The old leader sees the higher term and steps down; its uncommitted x=2 entry "
           "is overwritten. The client's node retries x=2, and it is committed at a new index. "
           "(Try check_quorum: the old leader steps down by itself.)")))

figure8 = PlaygroundScenario(
    "Figure 8",
    lambda p, o, s: figure8_scenario(p, seed=s, **o).replace(until=8.0, max_events=5_000_000),
    ((0.0, "The Raft paper's Figure 8, on servers 1-5. Term 1: node 1 leads and commits x=1 everywhere."),
     (0.6, "Node 1 crashes and restarts at once, and wins term 2."),
     (1.0, "(a) Partition {1, 2} | {3, 4, 5}: node 1 appends x=2 at index 2 (term 2) and copies it to node 2 only."),
     (1.2, "(b) Node 5 wins term 3 with the votes of 3 and 4; cut off alone, it appends x=3 at index 2, then "
           "crashes."),
     (2.0, "(c) Node 1 wins term 4 and copies index 2 (x=2, term 2) to nodes 3 and 4: a majority has it. "
           "Correct Raft does NOT commit it: it is not of the leader's term."),
     (2.5, "(d) Node 1 crashes. Node 5 restarts and wins term 5 (its last term, 3, beats their 2) and overwrites "
           "index 2 with x=3 everywhere. Had x=2 been committed, a committed entry would be lost: pick the "
           "broken variant 'commits old-term entries' and watch the badge turn red.")))

SCENARIOS = {s.name: s for s in (split_vote, leader_crash, partitioned_leader, figure8)}


def describe(msg) -> str:
    """A message in a few words: ``AppendEntries t2 (heartbeat)``, ``vote granted t3``."""
    name, term = type(msg).__name__, getattr(msg, "term", None)
    if name == "AppendEntries":
        n = len(msg.entries)
        return f"AppendEntries t{term} " + (f"({n} entr{'y' if n == 1 else 'ies'})" if n else "(heartbeat)")
    if name in ("RequestVoteReply", "PreVoteReply"):
        kind = "pre-vote" if name.startswith("Pre") else "vote"
        return f"{kind} {'granted' if msg.vote_granted else 'refused'} t{term}"
    if name == "AppendEntriesReply":
        return f"AppendEntriesReply t{term} {'ok' if msg.success else 'no'}"
    if name in ("ClientRequest", "ClientReply"):
        return f"{name} #{msg.seq}"
    return f"{name} t{term}" if term is not None else name


class RaftPlayground:
    """A live Raft cluster with controls, views and a live safety verdict.

    Parameters
    ----------
    nodes : int
        Cluster size for free play (the one-click scenarios bring their own).
    seed : int
        Seeds the network and the nodes' timers.
    protocol : Raft subclass
        :class:`~dsysedu.protocols.consensus.raft.Raft` or a broken variant (see :data:`VARIANTS`).
    window : float
        Seconds of the space-time diagram shown (the latest ones).
    **raft_params
        For every node (defaults ``election_timeout=0.3``, ``heartbeat=0.1``); ``prevote`` and
        ``check_quorum`` set the starting state of their toggles.

    Examples
    --------
    >>> pg = RaftPlayground(nodes=3, seed=1)
    >>> pg.advance(1.0); pg.leader()[1] >= 1
    True
    """

    def __init__(self, nodes: int = 5, seed: int = 0, protocol=Raft, window: float = 2.0, **raft_params):
        self.n_nodes, self.seed, self.window = nodes, seed, float(window)
        self.params = {**DEFAULTS, **raft_params}
        self.current = None
        self.seq = 0
        self.sent: dict = {}
        self.note = ""
        self.fig = new_figure(12.0, 8.2, dpi=100)
        self.blitter = LayeredBlitter(self.fig)
        self.panel = None
        self._messages = None
        self._build_widgets(protocol)
        self.load(None)

    # -- building the cluster ------------------------------------------------------------
    def scenario(self) -> Scenario:
        """The scenario the controls describe now."""
        protocol = VARIANTS[self.variant.value]
        opts = {"prevote": self.prevote.value, "check_quorum": self.check_quorum.value}
        if self.current is None:
            params = {**self.params, **opts}
            return Scenario(protocol, nodes=self.n_nodes, params=params, link=LINK, until=60.0,
                            max_events=5_000_000, seed=self.seed, name="free play")
        return self.current.build(protocol, opts, self.seed)

    def load(self, name: str | None) -> None:
        """Start again: free play (``None``) or one of :data:`SCENARIOS`, run to its first moment."""
        self.current = None if name is None else SCENARIOS[name]
        self.rebuild()

    def rebuild(self) -> None:
        """A new cluster from the controls (variant, prevote, check_quorum) and the loaded scenario."""
        self.sim = Simulation(self.scenario())
        self.seq, self.sent = 0, {}
        nodes = self.sim.scenario.node_ids
        self.partition_editor = PartitionEditor(nodes, until=1.0)
        self.partition_box.children = [W.HBox(list(self.partition_editor.choosers.values()),
                                              layout=W.Layout(flex_flow="row wrap")), self.partition_buttons]
        self.target.options = [("the leader", "leader")] + [(f"node {n}", n) for n in nodes]
        self.target.value = "leader"
        self.cards = {n: self._card(n) for n in nodes}
        self.cards_box.children = [c[0] for c in self.cards.values()]
        self.note = ""
        self._run_script(0.0)
        self.refresh()

    def _run_script(self, t: float) -> None:
        """Run to ``t``, firing the loaded scenario's scripted timeouts on the way."""
        due = [(at, node) for at, node in (self.current.timeouts if self.current else ()) if self.sim.now < at <= t]
        for at, node in due:
            self.sim.run_until(at)
            self.timeout(node, redraw=False)
        self.sim.run_until(t)

    # -- actions -------------------------------------------------------------------------
    def advance(self, dt: float = 0.1) -> None:
        """Run the cluster ``dt`` more simulated seconds."""
        end = self.sim.scenario.until
        if self.sim.now >= end:
            self.note = f"the run ends at {end:g} s: press a scenario button or fork from an earlier time"
            self.play.playing = False
        else:
            self._run_script(min(self.sim.now + dt, end))
            self.note = ""
        self.refresh()

    def step(self) -> None:
        """Handle just the next event."""
        rows = self.sim.step()
        self.note = "next event: " + ", ".join(sorted({r[1] for r in rows})) if rows else "nothing left to do"
        self.refresh()

    def crash(self, node) -> None:
        self.sim.apply(Crash(node, at=self.sim.now))
        self.refresh(f"node {node} crashed")

    def recover(self, node) -> None:
        self.sim.apply(Recover(node, at=self.sim.now))
        self.refresh(f"node {node} recovered")

    def timeout(self, node, redraw: bool = True) -> bool:
        """Fire ``node``'s election timer now (it becomes a candidate); False if it has none."""
        ev = next((e for e in self.sim.pending() if e.kind == "timer" and e.node == node and e.detail == "election"),
                  None)
        if ev is not None:
            self.sim.take(ev.id)
        if redraw:
            self.refresh(f"node {node} timed out" if ev else f"node {node} has no election timer running "
                         "(a leader, or crashed)")
        return ev is not None

    def client(self, key: str = "x", value=1, node=None) -> int:
        """Send ``set key=value`` from a client to ``node`` (default: the leader); return its ``seq``."""
        if node is None:
            leader = self.leader()
            up = [n for n in self.sim.scenario.node_ids if self.sim.status(n) == "up"]
            node = leader[0] if leader else (up[0] if up else self.sim.scenario.node_ids[0])
        self.seq += 1
        self.sim.inject(node, ClientRequest("you", self.seq, ("set", key, value)))
        self.sent[self.seq] = (key, value, node, self.sim.now)
        self.refresh(f"sent {key}={value} to node {node}")
        return self.seq

    def partition(self, groups) -> None:
        self.sim.apply(Partition(groups, at=self.sim.now))
        self.refresh("partitioned")

    def heal(self) -> None:
        self.sim.apply(Heal(at=self.sim.now))
        self.refresh("healed")

    def deliver(self, event_id: str) -> None:
        self.sim.take(event_id)
        self.refresh("delivered a message early")

    def drop(self, event_id: str) -> None:
        self.sim.drop(event_id)
        self.refresh("dropped a message")

    def fork_here(self) -> None:
        """Keep the run up to the scrubbed time, forget the rest, continue live from there."""
        t = self.scrubber.value
        self.sim = self.sim.fork(t)
        self.sent = {seq: sent for seq, sent in self.sent.items() if sent[3] < t}  # later ones never happened
        self.refresh(f"forked at t = {t:.3f} s: the future after it is gone")

    # -- reading the cluster -------------------------------------------------------------
    def leader(self):
        """``(node, term)`` of the live leader with the highest term, or None."""
        best = [(node.current_term, n) for n, node in self.sim.nodes.items()
                if node.role == "leader" and self.sim.status(n) == "up"]
        return (max(best)[1], max(best)[0]) if best else None

    def pending_messages(self, limit: int = 8) -> list:
        return [e for e in self.sim.pending() if e.kind == "deliver"][:limit]

    # -- drawing -------------------------------------------------------------------------
    def refresh(self, note: str | None = None) -> None:
        """Check, redraw the views at the live time, and update every control."""
        if note is not None:
            self.note = note
        trace = self.sim.trace
        self.verdict = raft_safety(trace)
        self._new_scrubber()
        self._set_view(self.sim.now, rebuild=True)
        ok = self.verdict.ok
        self.badge.value = (f"<span style='background:{'#1b7837' if ok else '#b2182b'};color:white;padding:3px 8px;"
                            f"border-radius:4px'>{'✓ safe' if ok else '✗ ' + html.escape(self.verdict.property)}"
                            f"</span> <span style='font-size:12px'>{html.escape(self.verdict.message)}</span>")
        for n, (_box, head, crash, recover, timeout) in self.cards.items():
            node, status = self.sim.nodes[n], self.sim.status(n)
            role = "crashed" if status == "crashed" else node.role
            head.value = (f"<b>node {n}</b> <span style='background:{style.node_color(role)};padding:0 4px;"
                          f"border-radius:3px;color:{style.text_color_on(style.node_color(role))}'>{role}</span>"
                          f"<br><span style='font-size:12px'>term {node.current_term} · log {len(node.log)} · "
                          f"commit {node.commit_index}</span>")
            crash.disabled, recover.disabled = status == "crashed", status != "crashed"
            timeout.disabled = status == "crashed" or node.role == "leader"
        rows = []
        for ev in self.pending_messages():
            src = "client" if ev.src is None else ev.src
            label = W.HTML(f"<code>{ev.time:.3f}</code> {html.escape(str(src))}→{html.escape(str(ev.node))} "
                           f"{html.escape(describe(ev.detail))}", layout=W.Layout(width="330px"))
            go, lose = (W.Button(description=d, layout=W.Layout(width="80px")) for d in ("deliver", "drop"))
            go.add_class("dsysedu-deliver")
            lose.add_class("dsysedu-drop")
            go.on_click(lambda _b, eid=ev.id: self.deliver(eid))
            lose.on_click(lambda _b, eid=ev.id: self.drop(eid))
            rows.append(W.HBox([label, go, lose]))
        old, self.pending_box.children = self.pending_box.children, rows or [W.HTML(
            "<i>no message on the wire right now: press <b>next event</b> until one is sent</i>")]
        for row in old:  # a Play run makes new rows 2 times a second: free the old widgets
            for w in (*getattr(row, "children", ()), row):
                w.close()
        acked = {tuple(r[6]) for r in trace.rows if r[1] == "observe" and r[5] == "ack"}
        self.sent_html.value = "<br>".join(
            f"#{s} {html.escape(str(k))}={html.escape(str(v))} → node {n}: "
            f"{'<b style=color:#1b7837>acknowledged</b>' if ('you', s) in acked else 'waiting'}"
            for s, (k, v, n, _at) in sorted(self.sent.items())[-5:])

    def _set_view(self, t: float, rebuild: bool = False) -> None:
        """Draw the views at time ``t``; redraw the space-time diagram when the trace grew or t left it."""
        self.t_view = t
        now, trace = self.sim.now, self.sim.trace
        lo = max(0.0, now - self.window)
        if t < lo:
            lo = max(0.0, t - self.window / 2)
        hi = max(lo + self.window, now) if t >= now - self.window else lo + self.window
        highlight = list(self.verdict.events) if not self.verdict.ok else None
        if highlight:
            lo = min(lo, max(0.0, min(trace.rows[s][0] for s in highlight) - 0.2))
        title = "space-time, " + (f"last {self.window:g} s" if hi >= now else f"{lo:.1f}–{hi:.1f} s")
        st = dict(t_range=(lo, hi), highlight=highlight, title=title)
        if self.panel is None or self.panel.trace is not trace or self._messages != self._message_types():
            self._messages = self._message_types()  # a new cluster: everything is drawn again
            self.panel = TraceViews(self.fig, trace, color_by="role", messages=self._messages, max_entries=12, **st)
            self.blitter.reset(self.panel.draw(t), layer=self.panel.st.ax)
        elif rebuild or st["t_range"] != self._range:
            self.panel.set_spacetime(**st)  # only the space-time axes change
            self.blitter.relayer(self.panel.draw(t))
        else:
            self.panel.draw(t)
        self._range = st["t_range"]
        self.image.value = self.blitter.png()
        self._status_line()

    def _message_types(self) -> tuple:
        pre = ("PreVote", "PreVoteReply") if self.prevote.value else ()
        return pre + RAFT_MESSAGES

    def _status_line(self) -> None:
        t = self.t_view
        idx = self.panel.log.idx
        roles, terms = idx.value_at("role", t), idx.value_at("term", t)
        crashed = idx.status_at(t)["crashed"]
        leaders = sorted((terms[n] or 0, n) for n in roles if roles[n] == "leader" and n not in crashed)
        who = (", ".join(f"node {n} (term {tm})" for tm, n in reversed(leaders)) if leaders
               else f"none (highest term {max((v or 0) for v in terms.values())})")
        live = "" if t >= self.sim.now else f" · <i>viewing the past; live time is {self.sim.now:.3f} s</i>"
        self.status.value = (f"<b>t = {t:.3f} s</b> · leader: <b class='dsysedu-leader'>{who}</b>{live}"
                             + (f"<br><span style='color:#555'>{html.escape(self.note)}</span>" if self.note else ""))
        steps = self.current.steps if self.current else (
            (0.0, "Free play. Press <b>run</b> or ▶ and watch an election; then crash the leader, time out a node, "
                  "send a command, partition the network, or drop messages by hand."),)
        said = [i for i, (at, _text) in enumerate(steps) if at <= t + 1e-9] or [0]
        k = said[-1]
        name = self.current.name if self.current else "free play"
        self.narration.value = (f"<b>{html.escape(name)}</b> ({k + 1}/{len(steps)}, from t = {steps[k][0]:g} s): "
                                f"{steps[k][1]}")

    def _new_scrubber(self) -> None:
        """A fresh time slider over [0, now]. A new widget rather than a new ``max``: a browser that
        gets a new max clamps and sends back the old value, which would drag the view into the past."""
        old = getattr(self, "scrubber", None)
        self.scrubber = W.FloatSlider(value=self.sim.now, min=0.0, max=max(self.sim.now, 1e-3), step=0.001,
                                      description="time (s)", readout_format=".3f", continuous_update=True,
                                      layout=W.Layout(width="560px"))
        self.scrubber.add_class("dsysedu-time")
        self.scrubber.observe(lambda ch: self._set_view(float(ch["new"])), names="value")
        self.scrub_row.children = [self.scrubber, self.fork_button]
        if old is not None:
            old.close()

    # -- widgets -------------------------------------------------------------------------
    def _build_widgets(self, protocol) -> None:
        def button(text, cls, action, icon="", width="auto"):
            b = W.Button(description=text, icon=icon, layout=W.Layout(width=width))
            b.add_class(cls)
            b.on_click(lambda _b: action())
            return b

        self._range = None
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1200px"))
        self.image.add_class("dsysedu-view")
        self.narration = W.HTML(layout=W.Layout(padding="4px 10px", border="1px solid #9ecae1", width="auto"))
        self.narration.add_class("dsysedu-narration")
        self.badge = W.HTML()
        self.badge.add_class("dsysedu-verdict")
        self.status = W.HTML()
        self.status.add_class("dsysedu-status")
        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=600, show_repeat=False)
        self.play.add_class("dsysedu-play")
        self.play.observe(lambda ch: self.advance(0.1), names="value")
        run = [button("run 0.1 s", "dsysedu-run", lambda: self.advance(0.1), "step-forward"),
               button("run 1 s", "dsysedu-run-long", lambda: self.advance(1.0), "fast-forward"),
               button("next event", "dsysedu-step", self.step)]
        self.fork_button = button("fork here", "dsysedu-fork", self.fork_here, "code-branch")
        self.fork_button.tooltip = "keep the run up to the scrubbed time, drop the rest, and continue live from there"
        self.scrub_row = W.HBox()
        scenario_buttons = [button("free play", "dsysedu-scenario-free", lambda: self.load(None))] + [
            button(name, "dsysedu-scenario-" + name.split()[0].lower(), lambda name=name: self.load(name))
            for name in SCENARIOS]
        self.variant = W.Dropdown(options=list(VARIANTS), value=next(k for k, v in VARIANTS.items() if v is protocol),
                                  description="protocol", layout=W.Layout(width="380px"))
        self.prevote = W.Checkbox(value=bool(self.params.pop("prevote", False)), description="PreVote", indent=False)
        self.check_quorum = W.Checkbox(value=bool(self.params.pop("check_quorum", False)), description="CheckQuorum",
                                       indent=False)
        for w in (self.variant, self.prevote, self.check_quorum):
            w.observe(lambda ch: self.rebuild(), names="value")
        self.cards_box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.key = W.Text(value="x", description="set", layout=W.Layout(width="120px"))
        self.value = W.Text(value="1", description="=", style={"description_width": "14px"},
                            layout=W.Layout(width="90px"))
        self.target = W.Dropdown(description="to", style={"description_width": "20px"}, layout=W.Layout(width="150px"))
        send = button("send", "dsysedu-client-send", self._send_from_box, "paper-plane", "90px")
        self.sent_html = W.HTML()
        self.partition_buttons = W.HBox([
            button("partition now", "dsysedu-partition", self._partition_from_editor, "cut"),
            button("heal", "dsysedu-heal", self.heal, "link")])
        self.partition_box = W.VBox()
        self.pending_box = W.VBox()
        self.pending_box.add_class("dsysedu-pending")
        tabs = [("Client command", W.VBox([W.HBox([self.key, self.value, self.target, send]), self.sent_html])),
                ("Partition", self.partition_box),
                ("Messages", W.VBox([W.HTML("deliver one now (out of its turn) or lose it:"),
                                                 self.pending_box])),
                ("Options", W.VBox([self.variant, W.HBox([self.prevote, self.check_quorum]),
                                    W.HTML("changing an option starts the cluster again")]))]
        self.tabs = W.Tab(children=[w for _, w in tabs])
        for i, (name, _) in enumerate(tabs):
            self.tabs.set_title(i, name)
        self.widget = W.VBox([
            W.HBox([W.HTML("<b>scenarios:</b>"), *scenario_buttons], layout=W.Layout(flex_flow="row wrap")),
            self.narration, W.HBox([self.play, *run, self.badge], layout=W.Layout(align_items="center")),
            self.status, self.image, self.scrub_row, self.cards_box, self.tabs],
            layout=W.Layout(width="100%"))

    def _card(self, n):
        head = W.HTML()
        buttons = []
        for text, action in (("crash", self.crash), ("recover", self.recover), ("time out", self.timeout)):
            b = W.Button(description=text, layout=W.Layout(width="auto", padding="0 6px"))
            b.add_class(f"dsysedu-node-{n}-{text.replace(' ', '')}")
            b.on_click(lambda _b, action=action: action(n))
            buttons.append(b)
        box = W.VBox([head, W.HBox(buttons)], layout=W.Layout(border="1px solid #cccccc", padding="4px",
                                                              margin="2px", width="235px"))
        box.add_class(f"dsysedu-node-{n}")
        return (box, head, *buttons)

    def _send_from_box(self) -> None:
        raw = self.value.value.strip()
        value = int(raw) if raw.lstrip("-").isdigit() else raw
        target = self.target.value
        self.client(self.key.value.strip() or "x", value, None if target == "leader" else target)
        if isinstance(value, int):
            self.value.value = str(value + 1)

    def _partition_from_editor(self) -> None:
        groups = self.partition_editor.groups()
        if len(groups) < 2:
            self.refresh("put some nodes on side B first")
            return
        self.partition(groups)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
