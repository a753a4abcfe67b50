"""The Raft playground: a live Raft cluster the learner drives, in the spirit of RaftScope.

:data:`RAFT` declares it: a cluster built by :func:`raft_cluster` from a scenario choice (free play,
or one of the Raft package's scenarios: :func:`~dsysedu.protocols.consensus.raft.split_vote_scenario`,
:func:`~dsysedu.protocols.consensus.raft.leader_crash_scenario`,
:func:`~dsysedu.protocols.consensus.raft.partitioned_leader_scenario`,
:func:`~dsysedu.protocols.consensus.raft.figure8_scenario`, played live and 2 s past their end), the
protocol (correct Raft or a broken variant), PreVote, CheckQuorum and log compaction (a snapshot
every 4 or 8 applied entries, :class:`~dsysedu.protocols.consensus.raft.snapshots.CompactingRaft`: the
log view shows each node's snapshot as one box); the views are topology, logs
and the last seconds of space-time; the verdict is :func:`~dsysedu.protocols.consensus.raft.raft_safety`,
checked after every step (a red badge, with the evidence ringed, when a broken variant breaks Raft).

:class:`RaftPlayground` adds Raft's live actions to the :class:`~dsysedu.widgets.live.LivePlayground`:
a card per node (crash, recover, time out), client commands, a partition editor (partition now,
heal), and the messages on the wire (deliver one now, or drop it), plus a narration of the scenario.
"""
from __future__ import annotations

import dataclasses
import html

import ipywidgets as W

from dsysedu.protocols.consensus.raft import (ClientRequest, CompactingRaft, Raft, RaftCommitOldTerm, RaftForgetsVote,
                                              RaftNoUpToDateCheck, figure8_scenario, leader_crash_scenario,
                                              partitioned_leader_scenario, raft_safety, split_vote_scenario)
from dsysedu.sim import LinkModel, Scenario, Uniform
from dsysedu.viz import style
from dsysedu.viz.traceviews import RAFT_MESSAGES
from .live import LivePlayground, button
from .spec import Choice, PlaygroundSpec, Seed, Toggle

__all__ = ["RAFT", "RaftPlayground", "raft_cluster", "SCENARIOS", "NARRATION", "VARIANTS", "SNAPSHOTS", "describe"]

DEFAULTS = {"election_timeout": 0.3, "heartbeat": 0.1}  # free play: slower than Raft's defaults, easier to watch
LINK = LinkModel(latency=Uniform(0.01, 0.03))
VARIANTS = {"Raft (correct)": Raft, "broken: commits old-term entries": RaftCommitOldTerm,
            "broken: votes without the up-to-date check": RaftNoUpToDateCheck,
            "broken: forgets its vote on restart": RaftForgetsVote}
SNAPSHOTS = {"no snapshots": 0, "snapshot every 4 entries": 4, "snapshot every 8 entries": 8}
SCENARIOS = {"split vote": split_vote_scenario, "leader crash": leader_crash_scenario,
             "partitioned old leader": partitioned_leader_scenario, "Figure 8": figure8_scenario}
NARRATION = {  # (t, what the learner sees from then on)
    "free play": ((0.0, "Free play. Press <b>run</b> or ▶ and watch an election; then crash the leader, time out a "
                        "node, send a command, partition the network, or drop messages by hand."),),
    "split vote": (
        (0.0, "Four nodes on two sites: 0 and 2 on site A, 1 and 3 on site B, 2 ms apart within a site and 40 ms "
              "across. Only nodes 0 and 1 ever time out, 100–200 ms after they last heard of a leader."),
        (0.1, "Nodes 0 and 1 time out and ask for votes in term 1. If both do within 40 ms, each wins its "
              "neighbour's vote before the other's request crosses over: 2 votes of 4, no majority, no leader."),
        (0.3, "A split vote (on about two seeds in three). Each candidate waits a new random election timeout, "
              "then tries again in a higher term: the randomness is what breaks the tie."),
        (0.5, "A leader (★). Its no-op entry is committed once a majority stores it.")),
    "leader crash": (
        (0.0, "Node 0 has the shortest election timeout: it will be the first candidate and the leader of term 1."),
        (0.15, "Node 0 leads term 1. Its heartbeats (AppendEntries) keep the followers' election timers from "
               "running out."),
        (0.5, "A client asks node 0 to set x=1. The entry is hatched until a majority stores it, then solid: "
              "committed."),
        (1.0, "Node 0 crashes. No more heartbeats: the first follower whose timer runs out asks for votes in "
              "term 2."),
        (1.1, "A client gives y=2 to node 1, a follower: it holds the command until it knows the new leader, "
              "then forwards it."),
        (2.0, "Node 0 recovers with its log and term (durable). It hears the new leader's higher term, follows, "
              "and gets the entries it missed.")),
    "partitioned old leader": (
        (0.0, "Node 0 will lead term 1; a client sets x=1 through it at 0.5 s."),
        (1.0, "A partition: {0, 1} | {2, 3, 4}. Node 0 still thinks it leads, but it reaches only 2 of 5 nodes."),
        (1.1, "The client sends x=2 to the old leader. It appends it, but can never commit it: no majority."),
        (1.2, "The majority side hears no heartbeats and elects a leader of a higher term."),
        (1.5, "y=3 goes to node 2, on the majority side: its leader commits it."),
        (2.0, "The partition heals. The old leader sees the higher term and steps down; its uncommitted x=2 "
              "entry is overwritten. Node 0 retries x=2, and it is committed at a new index. "
              "(Try CheckQuorum: the old leader steps down by itself.)")),
    "Figure 8": (
        (0.0, "The Raft paper's Figure 8, on servers 1-5. Term 1: node 1 leads and commits x=1 everywhere."),
        (0.6, "Node 1 crashes and restarts at once, and wins term 2."),
        (1.0, "(a) Partition {1, 2} | {3, 4, 5}: node 1 appends x=2 at index 2 (term 2) and copies it to node 2 "
              "only."),
        (1.2, "(b) Node 5 wins term 3 with the votes of 3 and 4; cut off alone, it appends x=3 at index 2, then "
              "crashes."),
        (2.0, "(c) Node 1 wins term 4 and copies index 2 (x=2, term 2) to nodes 3 and 4: a majority has it. "
              "Correct Raft does NOT commit it: it is not of the leader's term."),
        (2.5, "(d) Node 1 crashes. Node 5 restarts and wins term 5 (its last term, 3, beats their 2) and "
              "overwrites index 2 with x=3 everywhere. Had x=2 been committed, a committed entry would be lost: "
              "pick the broken variant 'commits old-term entries' and watch the badge turn red.")),
}


def raft_cluster(scenario: str = "free play", variant: str = "Raft (correct)", prevote: bool = False,
                 check_quorum: bool = False, snapshot_every: int = 0, nodes: int = 5, seed: int = 0,
                 **params) -> Scenario:
    """A Raft cluster to play live: free play (``nodes`` nodes, ``params`` for every node), or a scenario
    of :data:`SCENARIOS` (its own nodes and script) lasting 2 s past its end; ``variant`` is a key of
    :data:`VARIANTS`; ``snapshot_every`` > 0 compacts the log (correct Raft only)."""
    if scenario != "free play" and scenario not in SCENARIOS:
        raise ValueError(f"scenario must be 'free play' or one of {list(SCENARIOS)}, got {scenario!r}")
    if snapshot_every not in SNAPSHOTS.values():
        raise ValueError(f"snapshot_every must be one of {list(SNAPSHOTS.values())}, got {snapshot_every!r}")
    protocol, options = VARIANTS[variant], {"prevote": prevote, "check_quorum": check_quorum}
    if snapshot_every:
        if protocol is not Raft:
            raise ValueError("snapshots (log compaction) run with the correct Raft only: choose 'Raft (correct)' "
                             "or 'no snapshots'")
        protocol, options = CompactingRaft, {**options, "snapshot_every": snapshot_every, "chunk_size": 2}
    if scenario == "free play":
        return Scenario(protocol, nodes=nodes, params={**DEFAULTS, **params, **options}, link=LINK, until=60.0,
                        max_events=5_000_000, seed=seed, name="free play")
    sc = SCENARIOS[scenario](seed=seed, **options)
    return sc.replace(protocol=protocol, until=sc.until + 2.0, max_events=5_000_000)


RAFT = PlaygroundSpec(
    raft_cluster,
    controls=[Choice("scenario", ["free play", *SCENARIOS], buttons=True, width="auto", label="scenarios"),
              Choice("variant", list(VARIANTS), label="protocol", group="Options", width="380px"),
              Toggle("prevote", label="PreVote", group="Options"),
              Toggle("check_quorum", label="CheckQuorum", group="Options",
                     help="changing an option starts the cluster again"),
              Choice("snapshot_every", SNAPSHOTS, label="compaction", group="Options", width="380px"),
              Seed(group="Options")],
    views=("topology", "raftlog", "spacetime"), verdict=raft_safety, live=True, interval_ms=600,
    view_options=lambda v: {"messages": (("PreVote", "PreVoteReply") if v["prevote"] else ()) + RAFT_MESSAGES},
    css="dsysedu-raft", controls_width="530px")


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


class RaftPlayground(LivePlayground):
    """The :data:`RAFT` playground: a live cluster, plus Raft's own actions (time out a node, client
    commands), node cards that show role and term, the leader in the status line and a narration.

    Parameters
    ----------
    nodes : int
        Cluster size for free play (the scenarios bring their own).
    seed : int
        Seeds the network and the nodes' timers.
    protocol : Raft subclass
        :class:`~dsysedu.protocols.consensus.raft.Raft` or a broken variant (see :data:`VARIANTS`).
    window : float
        Seconds of the space-time diagram shown (the latest ones).
    start : float
        Simulated seconds to run before the learner sees it (0.6: the first leader is elected, so the
        playground opens on a working cluster instead of an empty t = 0).
    **raft_params
        For every node in free play (defaults ``election_timeout=0.3``, ``heartbeat=0.1``); ``prevote``
        and ``check_quorum`` set the starting state of their toggles.

    Examples
    --------
    >>> pg = RaftPlayground(nodes=3, seed=1)
    >>> pg.advance(1.0); pg.leader()[1] >= 1
    True
    """

    node_actions = (("crash", "crash"), ("recover", "recover"), ("time out", "timeout"))

    def __init__(self, nodes: int = 5, seed: int = 0, protocol=Raft, window: float = 2.0, start: float = 0.0,
                 **raft_params):
        variant = next((k for k, v in VARIANTS.items() if v is protocol), None)
        if variant is None:
            raise ValueError(f"protocol must be one of {[v.__name__ for v in VARIANTS.values()]}, got {protocol!r}")
        spec = dataclasses.replace(RAFT, view_options=lambda v: {**RAFT.options(v), "window": float(window)})
        self.seq, self.sent = 0, {}
        self.narration = W.HTML(layout=W.Layout(padding="4px 10px", border=f"1px solid {style.NARRATION_BORDER}",
                                                width="auto"))
        self.narration.add_class("dsysedu-narration")
        self.key = W.Text(value="x", description="set", layout=W.Layout(width="120px"))
        self.value = W.Text(value="1", description="=", style={"description_width": "14px"},
                            layout=W.Layout(width="90px"))
        self.target = W.Dropdown(description="to", style={"description_width": "20px"}, layout=W.Layout(width="150px"))
        self.sent_html = W.HTML()
        super().__init__(spec, nodes=nodes, seed=seed, variant=variant, **raft_params)
        if start < 0:
            raise ValueError(f"start must be >= 0 seconds, got {start!r}")
        if start > 0:
            self.advance(start)

    def layout(self) -> list:
        groups = self.groups()
        send = button("send", "dsysedu-client-send", self._send_from_box, "paper-plane", "90px")
        client = W.VBox([W.HBox([self.key, self.value, self.target, send], layout=W.Layout(flex_flow="row wrap")),
                         self.sent_html], layout=W.Layout(max_height="170px", overflow="auto"))
        return [self.present([groups[""], self.narration,
                              W.HBox([self.play, self.speed, *self.run_buttons, self.badge],
                                     layout=W.Layout(align_items="center", flex_flow="row wrap")),
                              self.status, self.cards_box,
                              self.tab_box([("Client command", client), ("Partition", self.partition_box),
                                            ("Messages", self.messages_box()), ("Options", groups["Options"])])],
                             [self.image, self.scrub_row])]

    def load(self, name: str) -> None:
        """Start again: ``"free play"`` or one of :data:`SCENARIOS`."""
        if self.controls["scenario"].value == name:
            self.rebuild()
        else:
            self.controls["scenario"].value = name   # its observer rebuilds

    # -- hooks of the live playground ----------------------------------------------------------
    def on_rebuild(self) -> None:
        self.seq, self.sent = 0, {}
        self.target.options = [("the leader", "leader")] + [(f"node {n}", n) for n in self.sim.scenario.node_ids]
        self.target.value = "leader"

    def on_fork(self, t: float) -> None:
        self.sent = {seq: sent for seq, sent in self.sent.items() if sent[3] < t}  # later ones never happened

    def update_card(self, n, head, buttons) -> None:
        super().update_card(n, head, buttons)
        node, status = self.sim.nodes[n], self.sim.status(n)
        role = "crashed" if status == "crashed" else node.role
        fill = style.node_color(role)
        head.value = (f"<b>node {n}</b> <span style='background:{fill};padding:0 4px;border-radius:3px;"
                      f"color:{style.text_color_on(fill)}'>{role}</span> <span style='font-size:12px'>"
                      f"term {node.current_term} · log {len(node.log)} · commit {node.commit_index}</span>")
        buttons[2].disabled = status == "crashed" or node.role == "leader"

    def describe(self, msg) -> str:
        return describe(msg)

    def on_refresh(self) -> None:
        acked = {tuple(r[6]) for r in self.trace.rows if r[1] == "observe" and r[5] == "ack"}
        self.sent_html.value = "<br>".join(
            f"#{s} {html.escape(str(k))}={html.escape(str(v))} → node {n}: "
            f"{f'<b style=color:{style.VERDICT_OK}>acknowledged</b>' if ('you', s) in acked else 'waiting'}"
            for s, (k, v, n, _at) in sorted(self.sent.items())[-5:])

    def status_html(self, t: float) -> str:
        idx = self.panel.log.idx
        roles, terms = idx.value_at("role", t), idx.value_at("term", t)
        crashed = idx.status_at(t)["crashed"]
        leaders = sorted((terms[n] or 0, n) for n in roles if roles[n] == "leader" and n not in crashed)
        who = (", ".join(f"node {n} (term {tm})" for tm, n in reversed(leaders)) if leaders
               else f"none (highest term {max((v or 0) for v in terms.values())})")
        name = self.controls["scenario"].value
        steps = NARRATION[name]
        k = ([i for i, (at, _text) in enumerate(steps) if at <= t + 1e-9] or [0])[-1]
        self.narration.value = (f"<div style='font-size:13px;line-height:1.35'><b>{html.escape(name)}</b> "
                                f"({k + 1}/{len(steps)}, from t = {steps[k][0]:g} s): {steps[k][1]}</div>")
        head, _, rest = super().status_html(t).partition("</b>")
        return f"{head}</b> · leader: <b class='dsysedu-leader'>{who}</b>{rest}"

    # -- Raft's own actions -------------------------------------------------------------------------
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

    def leader(self):
        """``(node, term)`` of the live leader with the highest term, or None."""
        best = [(node.current_term, n) for n, node in self.sim.nodes.items()
                if node.role == "leader" and self.sim.status(n) == "up"]
        return (max(best)[1], max(best)[0]) if best else None

    def _send_from_box(self) -> None:
        raw = self.value.value.strip()
        value = int(raw) if raw.lstrip("-").isdigit() else raw
        target = self.target.value
        self.client(self.key.value.strip() or "x", value, None if target == "leader" else target)
        if isinstance(value, int):
            self.value.value = str(value + 1)
