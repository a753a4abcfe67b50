"""Trace: the record of everything that happened in one run.

A Trace is a list of events in the order they happened. Each event is a row
``(time, kind, node, peer, msg_id, data, value)``:

=============  ======  =======  =======  ===================  ===============
kind           node    peer     msg_id   data                 value
=============  ======  =======  =======  ===================  ===============
start          node    .        .        .                    .
send           src     dst      id       message              .
deliver        dst     src      id       message              .
drop           dst     src      id       message              reason
duplicate      dst     src      id       message              .
timer_set      node    .        .        timer name           due time
timer_fire     node    .        .        timer name           .
timer_cancel   node    .        .        timer name           .
observe        node    .        .        key                  value
crash          node    .        .        .                    .
recover        node    .        .        .                    .
pause/resume   node    .        .        .                    .
slow           node    .        .        .                    handler delay
clock_jump     node    .        .        .                    delta
clock_drift    node    .        .        .                    new drift
partition      .       .        .        groups               .
heal           .       .        .        .                    .
cut/restore    src     dst      .        .                    .
=============  ======  =======  =======  ===================  ===============

A drop's reason is one of ``loss``, ``partition``, ``cut``, ``crashed``
(the destination was down when the message arrived), ``in_flight`` (the run
ended first is *not* a drop; see :meth:`Trace.messages`). Messages from outside
the system (inputs) have ``peer=None``. Rows are stored as tuples; ``events``
gives them as named tuples with their index ``seq``.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from .faults import FAULT_KINDS

__all__ = ["Trace", "TraceEvent", "MESSAGE_KINDS", "PROCESS_KINDS", "fault_state"]

MESSAGE_KINDS = frozenset({"send", "deliver", "drop", "duplicate"})
# Events that are steps of a process (they tick its Lamport and vector clocks).
PROCESS_KINDS = frozenset({"start", "send", "deliver", "timer_fire", "observe", "crash", "recover"})


class TraceEvent(NamedTuple):
    seq: int
    time: float
    kind: str
    node: Any
    peer: Any
    msg_id: int | None
    data: Any
    value: Any


class Trace:
    """Everything that happened in one run, in order.

    Attributes
    ----------
    rows : list of tuple
        ``(time, kind, node, peer, msg_id, data, value)`` per event.
    nodes : tuple
        The node ids, sorted.
    graph : networkx.Graph or None
        The topology the run used.
    seed : int or None
        The seed the run used.
    end_time : float
        Simulated time when the run stopped.
    ended_by : str
        ``"time"`` (reached its time bound), ``"max_events"`` or ``"max_rows"`` (cut by the bound on
        handled events or on trace rows: see :attr:`truncated`),
        ``"quiescent"`` (nothing left to do) or ``"stopped"`` (a step-mode run not yet finished).
    """

    def __init__(self, nodes, rows=None, *, graph=None, seed=None, end_time=0.0, ended_by="stopped",
                 meta=None):
        self.nodes = tuple(nodes)
        self.rows: list[tuple] = [] if rows is None else rows
        self.graph = graph
        self.seed = seed
        self.end_time = float(end_time)
        self.ended_by = ended_by
        self.meta = dict(meta or {})
        self._clocks = None

    # -- basics -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        for i, r in enumerate(self.rows):
            yield TraceEvent(i, *r)

    def __getitem__(self, i) -> TraceEvent:
        return TraceEvent(i if i >= 0 else len(self.rows) + i, *self.rows[i])

    @property
    def events(self) -> list[TraceEvent]:
        return [TraceEvent(i, *r) for i, r in enumerate(self.rows)]

    @property
    def truncated(self) -> bool:
        """True when the run was cut by its event bound rather than finishing."""
        return self.ended_by in ("max_events", "max_rows")

    def __eq__(self, other) -> bool:
        return isinstance(other, Trace) and self.nodes == other.nodes and self.rows == other.rows

    def __repr__(self) -> str:
        return (f"<Trace {len(self.rows)} events, {len(self.nodes)} nodes, "
                f"end_time={self.end_time:g}s, ended_by={self.ended_by!r}, seed={self.seed}>")

    def prefix(self, t: float) -> "Trace":
        """The events with time <= t, as a new Trace."""
        rows = [r for r in self.rows if r[0] <= t]
        return Trace(self.nodes, rows, graph=self.graph, seed=self.seed, end_time=t, ended_by="stopped",
                     meta=self.meta)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r[1] == kind)

    def summary(self) -> dict:
        """Counts of the main event kinds and how the run ended."""
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r[1]] = counts.get(r[1], 0) + 1
        return {"nodes": len(self.nodes), "events": len(self.rows), "end_time": self.end_time,
                "ended_by": self.ended_by, **{k: counts.get(k, 0) for k in
                                              ("send", "deliver", "drop", "duplicate", "timer_fire",
                                               "crash", "recover", "partition")}}

    # -- frames -------------------------------------------------------------
    def to_frame(self, clocks: bool | None = None) -> pd.DataFrame:
        """All events as a DataFrame (one row per event, ``seq`` as the index).

        With ``clocks=True`` (default: when the scenario asked for stamped clocks), adds the
        ``lamport`` and ``vclock`` columns.
        """
        df = pd.DataFrame(self.rows, columns=["time", "kind", "node", "peer", "msg_id", "data", "value"])
        df.index.name = "seq"
        if clocks is None:
            clocks = bool(self.meta.get("stamp_clocks"))
        if clocks:
            lam, vc = self.clocks()
            df["lamport"] = lam
            df["vclock"] = vc
        return df

    def messages(self) -> pd.DataFrame:
        """One row per message: who sent what to whom, when it arrived, or why it did not.

        Columns: ``msg_id, src, dst, type, msg, send_time, deliver_time, latency, status,
        drop_reason, deliveries``; ``status`` is ``delivered``, ``dropped`` or ``in_flight``
        (still on the wire when the run ended).
        """
        recs: dict[int, dict] = {}
        for time, kind, node, peer, mid, data, value in self.rows:
            if kind == "send":
                recs[mid] = {"msg_id": mid, "src": node, "dst": peer, "type": type(data).__name__,
                             "msg": data, "send_time": time, "deliver_time": float("nan"),
                             "status": "in_flight", "drop_reason": None, "deliveries": 0}
            elif kind == "deliver":
                rec = recs.get(mid)
                if rec is None:  # input from outside
                    rec = recs[mid] = {"msg_id": mid, "src": None, "dst": node, "type": type(data).__name__,
                                       "msg": data, "send_time": time, "deliver_time": float("nan"),
                                       "status": "in_flight", "drop_reason": None, "deliveries": 0}
                if rec["deliveries"] == 0:
                    rec["deliver_time"] = time
                rec["deliveries"] += 1
                rec["status"] = "delivered"
            elif kind == "drop":
                rec = recs.get(mid)
                if rec is None:  # an input from outside, dropped at a crashed node
                    rec = recs[mid] = {"msg_id": mid, "src": None, "dst": node, "type": type(data).__name__,
                                       "msg": data, "send_time": time, "deliver_time": float("nan"),
                                       "status": "in_flight", "drop_reason": None, "deliveries": 0}
                if rec["status"] != "delivered":
                    rec["status"] = "dropped"
                    rec["drop_reason"] = value
        cols = ["msg_id", "src", "dst", "type", "msg", "send_time", "deliver_time", "latency", "status",
                "drop_reason", "deliveries"]
        df = pd.DataFrame(list(recs.values()), columns=[c for c in cols if c != "latency"])
        df["latency"] = df["deliver_time"] - df["send_time"]
        return df[cols]

    def out_of_order(self) -> int:
        """How many deliveries overtook a message sent earlier on the same link.

        Always 0 on FIFO links (``LinkModel(reorder=False)``); counts first copies only.
        """
        send_order: dict[int, int] = {}
        for i, r in enumerate(self.rows):
            if r[1] == "send":
                send_order[r[4]] = i
        latest: dict[tuple, int] = {}
        seen: set = set()
        count = 0
        for r in self.rows:
            if r[1] != "deliver" or r[4] in seen or r[4] not in send_order:
                continue
            seen.add(r[4])
            link = (r[3], r[2])
            pos = send_order[r[4]]
            if pos < latest.get(link, -1):
                count += 1
            else:
                latest[link] = pos
        return count

    def observations(self, key: str | None = None) -> pd.DataFrame:
        """Observed values: columns ``time, node, key, value`` (only ``key`` if given)."""
        rows = [(r[0], r[2], r[5], r[6]) for r in self.rows
                if r[1] == "observe" and (key is None or r[5] == key)]
        return pd.DataFrame(rows, columns=["time", "node", "key", "value"])

    def faults(self) -> pd.DataFrame:
        """Fault events (crash, recover, partition, heal, cut, ...) as a DataFrame."""
        rows = [r for r in self.rows if r[1] in FAULT_KINDS]
        cols = ["time", "kind", "node", "peer", "msg_id", "data", "value"]
        df = pd.DataFrame(rows, columns=cols, dtype=object)  # node ids stay ints next to None
        df["time"] = df["time"].astype(float)
        return df

    # -- state at a time ----------------------------------------------------
    def value_at(self, key: str, t: float, default=None) -> dict:
        """The last observed ``key`` of each node at or before time ``t``."""
        out = {n: default for n in self.nodes}
        for r in self.rows:
            if r[0] > t:
                break
            if r[1] == "observe" and r[5] == key:
                out[r[2]] = r[6]
        return out

    def status_at(self, t: float) -> dict:
        """The fault state at time ``t``: crashed and paused nodes, partition groups, cut links, slow nodes."""
        return fault_state(((r[0], r[1], r[2], r[3], r[5], r[6]) for r in self.rows), t)

    def in_flight(self, t: float) -> list[dict]:
        """Messages on the wire at time ``t``: sent at or before ``t``, not yet delivered or dropped.

        Each item: ``msg_id, src, dst, msg, send_time, arrive_time`` (arrive_time is when it was
        delivered or dropped, or ``end_time`` if neither happened)."""
        sent: dict[int, list] = {}
        for time, kind, node, peer, mid, data, value in self.rows:
            if kind == "send":
                if time <= t:
                    sent[mid] = [mid, node, peer, data, time, None]
            elif kind in ("deliver", "drop") and mid in sent and sent[mid][5] is None:
                sent[mid][5] = time
        out = []
        for mid, src, dst, msg, st, at in sent.values():
            end = self.end_time if at is None else at
            if at is None or at > t:  # never arrived: still on the wire at the end of the run
                out.append({"msg_id": mid, "src": src, "dst": dst, "msg": msg, "send_time": st,
                            "arrive_time": end})
        return out

    # -- causality ----------------------------------------------------------
    def clocks(self):
        """Lamport and vector clocks of every event (None for events that are not process steps).

        A process step (start, send, deliver, timer_fire, observe, crash, recover) ticks its node's
        clocks; a deliver first takes the maximum with the stamp the message carried when sent.
        Vector clocks are tuples indexed like ``self.nodes``. Computed once, then cached.
        """
        if self._clocks is not None:
            return self._clocks
        index = {n: i for i, n in enumerate(self.nodes)}
        n = len(self.nodes)
        lam_now = [0] * n
        vc_now = [[0] * n for _ in range(n)]
        carried: dict[int, tuple[int, tuple]] = {}
        lam_col: list = []
        vc_col: list = []
        for time, kind, node, peer, mid, data, value in self.rows:
            if kind not in PROCESS_KINDS or node not in index:
                lam_col.append(None)
                vc_col.append(None)
                continue
            i = index[node]
            v = vc_now[i]
            if kind == "deliver" and mid in carried:
                l2, v2 = carried[mid]
                lam_now[i] = max(lam_now[i], l2)
                for k in range(n):
                    if v2[k] > v[k]:
                        v[k] = v2[k]
            lam_now[i] += 1
            v[i] += 1
            stamp = tuple(v)
            if kind == "send":
                carried[mid] = (lam_now[i], stamp)
            lam_col.append(lam_now[i])
            vc_col.append(stamp)
        self._clocks = (lam_col, vc_col)
        return self._clocks

    def happens_before(self, a: int, b: int) -> bool:
        """True if event ``a`` happens before event ``b`` (Lamport's relation), by vector clocks."""
        _, vc = self.clocks()
        va, vb = vc[a], vc[b]
        if va is None or vb is None:
            raise ValueError(f"events {a} and {b} must both be process steps "
                             f"(kinds {sorted(PROCESS_KINDS)}); got {self.rows[a][1]!r}, {self.rows[b][1]!r}")
        return va != vb and all(x <= y for x, y in zip(va, vb))

    def concurrent(self, a: int, b: int) -> bool:
        """True if neither of two process steps happens before the other."""
        return a != b and not self.happens_before(a, b) and not self.happens_before(b, a)

    def concurrent_pairs(self, kinds=("send", "deliver")) -> int:
        """How many pairs of events (of the given kinds, on different nodes) are concurrent."""
        _, vc = self.clocks()
        idx = [i for i, r in enumerate(self.rows) if r[1] in kinds and vc[i] is not None]
        count = 0
        for x in range(len(idx)):
            va = vc[idx[x]]
            for y in range(x + 1, len(idx)):
                vb = vc[idx[y]]
                le = all(p <= q for p, q in zip(va, vb))
                ge = all(p >= q for p, q in zip(va, vb))
                if not le and not ge:
                    count += 1
        return count

    # -- files --------------------------------------------------------------
    def save(self, path) -> None:
        """Write the trace as JSON Lines (a header line, then one line per event)."""
        from .trace_io import save_jsonl
        save_jsonl(self, path)

    @classmethod
    def load(cls, path, message_types=()) -> "Trace":
        """Read a trace written by :meth:`save` (see :func:`dsysedu.sim.trace_io.load_jsonl`:
        ``message_types`` names the message classes to rebuild besides those already known)."""
        from .trace_io import load_jsonl
        return load_jsonl(path, message_types)

    @classmethod
    def from_shiviz(cls, text: str, regex: str | None = None, *, time_step: float = 1.0) -> "Trace":
        """Build a trace from a ShiViz-style log (see :func:`dsysedu.sim.shiviz.parse_shiviz`)."""
        from .shiviz import parse_shiviz
        return parse_shiviz(text, regex, time_step=time_step)


def fault_state(rows, t: float) -> dict:
    """Fold fault rows ``(time, kind, node, peer, data, value)`` up to time ``t`` into the fault state.

    Returns a dict: ``crashed`` and ``paused`` (sets of nodes), ``groups`` (the partition in
    force or None), ``cut`` (set of one-way links), ``slow`` (node -> handler delay).
    Rows must be in time order; other kinds are ignored.
    """
    crashed, paused, cut, slow = set(), set(), set(), {}
    groups = None
    for time, kind, node, peer, data, value in rows:
        if time > t:
            break
        if kind == "crash":
            crashed.add(node)
            paused.discard(node)  # a crash ends a pause: the node recovers up, not paused
        elif kind == "recover":
            crashed.discard(node)
        elif kind == "pause":
            paused.add(node)
        elif kind == "resume":
            paused.discard(node)
        elif kind == "partition":
            groups = data
        elif kind == "heal":
            groups = None
        elif kind == "cut":
            cut.add((node, peer))
        elif kind == "restore":
            cut.discard((node, peer))
        elif kind == "slow":
            if value:
                slow[node] = value
            else:
                slow.pop(node, None)
    return {"crashed": crashed, "paused": paused, "groups": groups, "cut": cut, "slow": slow}
