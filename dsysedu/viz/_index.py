"""A read-only index of one Trace, so that views can ask "what was true at t" quickly.

:meth:`Trace.value_at`, :meth:`Trace.status_at` and :meth:`Trace.in_flight` scan the whole
trace on every call; scrubbing a 2,000-node run asks them dozens of times a second. The
index scans the trace once and answers the same questions with the same meaning
(tests check that the answers agree). It also accepts the DataFrame that
:meth:`Trace.to_frame` returns, so views can take either.
"""
from __future__ import annotations

import math

import numpy as np

from dsysedu.sim.faults import FAULT_KINDS
from dsysedu.sim.trace import Trace, fault_state

__all__ = ["as_trace", "TraceIndex", "view_end", "format_groups"]


def _clean(x):
    """Undo what pandas does to ids in mixed columns (ints become floats, None becomes NaN)."""
    if isinstance(x, float):
        if math.isnan(x):
            return None
        if x.is_integer():
            return int(x)
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # numpy scalar
        return _clean(x.item())
    return x


def as_trace(obj) -> Trace:
    """A Trace from a Trace (returned as is) or from the DataFrame of :meth:`Trace.to_frame`."""
    if isinstance(obj, Trace):
        return obj
    cols = ["time", "kind", "node", "peer", "msg_id", "data", "value"]
    if hasattr(obj, "columns") and all(c in obj.columns for c in cols):
        rows, nodes = [], set()
        for time, kind, node, peer, mid, data, value in obj[cols].itertuples(index=False, name=None):
            node, peer, mid = _clean(node), _clean(peer), _clean(mid)
            if kind != "observe":
                value = _clean(value) if isinstance(value, float) else value
            rows.append((float(time), kind, node, peer, mid, data, value))
            if kind == "partition" and data is not None:
                nodes.update(n for g in data for n in g)
            for n in (node, peer):
                if n is not None:
                    nodes.add(n)
        ordered = sorted(nodes, key=lambda n: (0, n, "") if isinstance(n, int) else (1, 0, str(n)))
        end = max((r[0] for r in rows), default=0.0)
        return Trace(ordered, rows, end_time=end, ended_by="time")
    raise TypeError(f"expected a Trace or the DataFrame of Trace.to_frame() (columns {cols}), "
                    f"got {type(obj).__name__}")


def view_end(trace: Trace) -> float:
    """The last moment worth showing: the last event of a run that went quiet, else its end time.

    A run that ran out of things to do stops its clock at the scenario's bound (``until``),
    which can be far after its last event; views and animations stop at that last event.
    """
    last = trace.rows[-1][0] if trace.rows else 0.0
    if trace.ended_by == "quiescent" and last > 0:
        return float(last)
    return float(trace.end_time if trace.end_time > 0 else last)


class TraceIndex:
    """Scan a trace once; answer questions about time ``t`` fast.

    Attributes: ``nodes``, ``index`` (node -> row number), message arrays (``m_src``,
    ``m_dst`` as node indices or -1, ``m_send``, ``m_arrive`` with NaN when the message is
    still on the wire, ``m_type``), ``faults`` (the fault rows), ``n_rows`` (how many rows
    were indexed; a trace that grows in step mode needs a new index).
    """

    def __init__(self, trace: Trace):
        self.trace = trace
        self.nodes = tuple(trace.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        self.n_rows = len(trace.rows)
        self.faults = [(r[0], r[1], r[2], r[3], r[5], r[6]) for r in trace.rows if r[1] in FAULT_KINDS]
        self._obs: dict = {}
        mids, src, dst, send, arrive, types, pos = [], [], [], [], [], [], {}
        idx = self.index
        for time, kind, node, peer, mid, data, _value in trace.rows:
            if kind == "send":
                pos[mid] = len(mids)
                mids.append(mid)
                src.append(idx.get(node, -1))
                dst.append(idx.get(peer, -1))
                send.append(time)
                arrive.append(math.nan)
                types.append(type(data).__name__)
            elif kind in ("deliver", "drop"):
                j = pos.get(mid)
                if j is not None and math.isnan(arrive[j]):
                    arrive[j] = time
        self.m_id = np.array(mids, dtype=np.int64)
        self.m_src = np.array(src, dtype=np.int64)
        self.m_dst = np.array(dst, dtype=np.int64)
        self.m_send = np.array(send, dtype=float)
        self.m_arrive = np.array(arrive, dtype=float)
        self.m_type = types
        self.message_types = list(dict.fromkeys(types))

    def stale(self) -> bool:
        """True when the trace has grown since it was indexed."""
        return len(self.trace.rows) != self.n_rows

    # -- messages -------------------------------------------------------------
    def in_flight(self, t: float) -> np.ndarray:
        """Positions (into the message arrays) of the messages on the wire at ``t``.

        Same meaning as :meth:`Trace.in_flight`: sent at or before ``t`` and delivered or dropped
        after ``t``, or never (a message that had not arrived when the run stopped is on the
        wire from its send on).
        """
        with np.errstate(invalid="ignore"):
            later = np.isnan(self.m_arrive) | (self.m_arrive > t)
        return np.nonzero((self.m_send <= t) & later)[0]

    def progress(self, which: np.ndarray, t: float) -> np.ndarray:
        """How far (0..1) along its link each message in ``which`` is at ``t``.

        A message that never arrived has no arrival time: it moves at the median latency of
        the messages that did arrive and stops at 90 %, still visibly on the wire.
        """
        send = self.m_send[which]
        arrive = self.m_arrive[which]
        unknown = np.isnan(arrive)
        if unknown.any():
            known = self.m_arrive - self.m_send
            known = known[~np.isnan(known) & (known > 0)]
            typical = float(np.median(known)) if len(known) else max(self.trace.end_time - send.min(), 1e-9)
            arrive = np.where(unknown, send + typical, arrive)
        span = arrive - send
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(span > 0, (t - send) / span, 0.5)
        f = np.clip(f, 0.0, 1.0)
        return np.where(unknown, np.minimum(f, 0.9), f)

    # -- observations ---------------------------------------------------------
    def observations(self, key):
        """``(times, node_indices, codes, values)`` of every observation of ``key``.

        ``values`` lists the distinct values in the order they were first observed;
        ``codes[i]`` is the position of observation ``i``'s value in it.
        """
        got = self._obs.get(key)
        if got is not None:
            return got
        times, who, codes, values, lookup = [], [], [], [], {}
        idx = self.index
        for r in self.trace.rows:
            if r[1] == "observe" and r[5] == key and r[2] in idx:
                v = r[6]
                try:
                    k = lookup.get(v)
                    hashable = True
                except TypeError:
                    k, hashable = None, False
                if k is None:
                    k = len(values)
                    values.append(v)
                    if hashable:
                        lookup[v] = k
                times.append(r[0])
                who.append(idx[r[2]])
                codes.append(k)
        got = (np.array(times, dtype=float), np.array(who, dtype=np.int64), np.array(codes, dtype=np.int64),
               values)
        self._obs[key] = got
        return got

    def codes_at(self, key, t: float) -> np.ndarray:
        """Per node (in ``nodes`` order), the code of its last value of ``key`` at or before ``t`` (-1: none).

        Same meaning as :meth:`Trace.value_at`.
        """
        times, who, codes, _values = self.observations(key)
        upto = int(np.searchsorted(times, t, side="right"))
        last = np.full(len(self.nodes), -1, dtype=np.int64)
        if upto:
            np.maximum.at(last, who[:upto], np.arange(upto))
        out = np.full(len(self.nodes), -1, dtype=np.int64)
        seen = last >= 0
        out[seen] = codes[last[seen]]
        return out

    def value_at(self, key, t: float, default=None) -> dict:
        """Like :meth:`Trace.value_at`."""
        values = self.observations(key)[3]
        return {n: (values[c] if c >= 0 else default) for n, c in zip(self.nodes, self.codes_at(key, t))}

    # -- faults -----------------------------------------------------------------
    def status_at(self, t: float) -> dict:
        """Like :meth:`Trace.status_at`, from the fault rows only."""
        return fault_state(self.faults, t)

    def intervals(self, start: str, stop: str) -> list:
        """``(node, begin, end)`` for each stretch from a ``start`` fault to its ``stop`` (or the end).

        ``intervals("crash", "recover")`` are the times each node was down.
        """
        open_, out = {}, []
        for time, kind, node, peer, _data, _value in self.faults:
            key = node if kind not in ("cut", "restore") else (node, peer)
            if kind == start and key not in open_:
                open_[key] = time
            elif kind == stop and key in open_:
                out.append((key, open_.pop(key), time))
        out.extend((key, begin, self.trace.end_time) for key, begin in open_.items())
        return sorted(out, key=lambda x: x[1])

    def partitions(self) -> list:
        """``(begin, end, groups)`` of each partition."""
        out, current = [], None
        for time, kind, _node, _peer, data, _value in self.faults:
            if kind == "partition":
                if current is not None:
                    out.append((current[0], time, current[1]))
                current = (time, data)
            elif kind == "heal" and current is not None:
                out.append((current[0], time, current[1]))
                current = None
        if current is not None:
            out.append((current[0], self.trace.end_time, current[1]))
        return out


def format_groups(groups) -> str:
    """``((0, 1), (2, 3, 4))`` -> ``"{0,1} | {2,3,4}"``."""
    return " | ".join("{" + ",".join(str(n) for n in g) + "}" for g in groups)
