"""Traces on disk: JSON Lines save/load, and ShiViz-style logs from other tools.

JSON Lines: the first line is a header (format, nodes, edges, seed, how the run
ended), then one line per event ``[time, kind, node, peer, msg_id, data,
value]``. Messages (frozen dataclasses) are written with their class path and
fields and rebuilt on load when the class can be imported; otherwise they come
back as :class:`LoadedMessage` with the same type name and fields.

ShiViz (Beschastnikh et al., "Debugging distributed systems", CACM 2016) reads
logs in which each event is a text line followed by a line ``host {vector
clock as JSON}``. :func:`parse_shiviz` reads that default format (or any regex
with the named groups ``event``, ``host`` and ``clock``) and rebuilds the
messages from the vector clocks, so logs made by other tools can be drawn with
the same views.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import re
from dataclasses import dataclass
from typing import Any

import networkx as nx

from .trace import Trace

__all__ = ["save_jsonl", "load_jsonl", "parse_shiviz", "LoadedMessage", "LogMessage", "SHIVIZ_DEFAULT_REGEX"]

FORMAT = "dsysedu-trace"
VERSION = 1
SHIVIZ_DEFAULT_REGEX = r"(?P<event>.*)\n(?P<host>\S*) (?P<clock>{.*})"


@dataclass(frozen=True)
class LoadedMessage:
    """A message read back from a file whose class could not be imported."""
    type_name: str
    fields: tuple

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields)
        return f"{self.type_name}({inner})"


@dataclass(frozen=True)
class LogMessage:
    """A message rebuilt from a log: the text of the event that sent it."""
    text: str

    def __repr__(self) -> str:
        return self.text


def _encode(v: Any):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else {"__float__": repr(v)}
    if isinstance(v, bytes):  # messages may be bytes (check_message allows them)
        return {"__bytes__": v.hex()}
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"__set__": sorted((_encode(x) for x in v), key=repr)}
    if isinstance(v, dict):
        return {"__dict__": [[_encode(k), _encode(x)] for k, x in v.items()]}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        if isinstance(v, LoadedMessage):
            path = v.type_name
            fields = {k: _encode(x) for k, x in v.fields}
        else:
            t = type(v)
            path = f"{t.__module__}:{t.__qualname__}"
            fields = {f.name: _encode(getattr(v, f.name)) for f in dataclasses.fields(v)}
        return {"__dataclass__": path, "fields": fields}
    return {"__repr__": repr(v)}


def _decode(v: Any):
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "__tuple__" in v:
        return tuple(_decode(x) for x in v["__tuple__"])
    if "__set__" in v:
        return frozenset(_decode(x) for x in v["__set__"])
    if "__dict__" in v:
        return {_decode(k): _decode(x) for k, x in v["__dict__"]}
    if "__float__" in v:
        return float(v["__float__"])
    if "__bytes__" in v:
        return bytes.fromhex(v["__bytes__"])
    if "__repr__" in v:
        return v["__repr__"]
    if "__dataclass__" in v:
        path = v["__dataclass__"]
        fields = {k: _decode(x) for k, x in v["fields"].items()}
        cls = _import(path)
        if cls is not None:
            try:
                return cls(**fields)
            except TypeError:
                pass
        name = path.split(":")[-1]
        return LoadedMessage(name, tuple(fields.items()))
    raise ValueError(f"unknown encoded value {v!r}")


def _import(path: str):
    if ":" not in path:
        return None
    module, qual = path.split(":", 1)
    try:
        obj = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj if dataclasses.is_dataclass(obj) else None


def save_jsonl(trace: Trace, path) -> None:
    """Write ``trace`` to ``path`` as JSON Lines (see the module docstring)."""
    edges = [] if trace.graph is None else [[_encode(u), _encode(v)] for u, v in trace.graph.edges]
    meta = {k: v for k, v in trace.meta.items() if k in ("name", "until", "stamp_clocks", "source")}
    header = {"format": FORMAT, "version": VERSION, "nodes": [_encode(n) for n in trace.nodes], "edges": edges,
              "seed": trace.seed, "end_time": trace.end_time, "ended_by": trace.ended_by, "meta": meta}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        for row in trace.rows:
            fh.write(json.dumps([_encode(x) for x in row]) + "\n")


def load_jsonl(path) -> Trace:
    """Read a trace written by :func:`save_jsonl`.

    Raises
    ------
    ValueError
        If the file is not a dsysedu trace (wrong header) or a line is malformed.
    """
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
        try:
            header = json.loads(first)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: line 1 is not JSON; expected a dsysedu trace header ({exc})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"{path}: not a dsysedu trace (line 1 must be a header with format={FORMAT!r})")
        nodes = [_decode(n) for n in header["nodes"]]
        graph = nx.Graph()
        graph.add_nodes_from(nodes)
        graph.add_edges_from((_decode(u), _decode(v)) for u, v in header.get("edges", []))
        rows = []
        for lineno, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {lineno} is not JSON ({exc})") from None
            if not isinstance(item, list) or len(item) != 7:
                raise ValueError(f"{path}: line {lineno} must be a list of 7 fields "
                                 f"[time, kind, node, peer, msg_id, data, value], got {line[:80]!r}")
            rows.append(tuple(_decode(x) for x in item))
    return Trace(nodes, rows, graph=graph, seed=header.get("seed"), end_time=header.get("end_time", 0.0),
                 ended_by=header.get("ended_by", "stopped"), meta=header.get("meta", {}))


def parse_shiviz(text: str, regex: str | None = None, *, time_step: float = 1.0) -> Trace:
    """Build a Trace from a ShiViz-style log.

    Parameters
    ----------
    text : str
        The log. In ShiViz's default format each event is two lines: the event's text,
        then ``host {"host": n, "other": m, ...}`` (its vector clock).
    regex : str, optional
        A Python regex with named groups ``event``, ``host`` and ``clock`` (JSON object);
        default :data:`SHIVIZ_DEFAULT_REGEX`. ShiViz's ``(?<name>...)`` is accepted too.
    time_step : float
        Logs carry no times: events are placed ``time_step`` apart in a causal order.

    Returns
    -------
    Trace
        Each log event becomes an ``observe`` row (key ``"event"``, value the text). An event
        whose clock shows it received from another host gets a ``deliver`` row, and the
        matching event on the sender a ``send`` row, so the space-time view draws the arrow.

    Raises
    ------
    ValueError
        If nothing matches, a clock is not a JSON object of ints, or clocks are inconsistent.

    Examples
    --------
    >>> log = 'start\\na {"a": 1}\\nsend m\\na {"a": 2}\\nrecv m\\nb {"a": 2, "b": 1}'
    >>> parse_shiviz(log).count("deliver")
    1
    """
    pattern = re.compile((regex or SHIVIZ_DEFAULT_REGEX).replace("(?<", "(?P<").replace("(?P<=", "(?<=")
                         .replace("(?P<!", "(?<!"))
    missing = {"event", "host", "clock"} - set(pattern.groupindex)
    if missing:
        raise ValueError(f"regex must have the named groups event, host and clock; missing {sorted(missing)}")
    events = []  # (host, clock dict, text)
    for m in pattern.finditer(text):
        try:
            clock = json.loads(m.group("clock"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"vector clock {m.group('clock')!r} is not JSON ({exc})") from None
        if not isinstance(clock, dict) or not all(isinstance(v, int) for v in clock.values()):
            raise ValueError(f"vector clock must be a JSON object of host -> int, got {m.group('clock')!r}")
        events.append((m.group("host"), clock, m.group("event").strip()))
    if not events:
        raise ValueError("no events matched the regex; ShiViz's default format is "
                         "'<event text>\\n<host> {\"host\": n, ...}' per event")
    hosts = sorted({h for h, _, _ in events} | {k for _, c, _ in events for k in c})
    # index of each host's events by their own clock component
    by_local: dict[tuple[str, int], int] = {}
    for i, (h, c, _) in enumerate(events):
        if h not in c:
            raise ValueError(f"event {i} at host {h!r}: its clock {c} has no entry for its own host")
        by_local[(h, c[h])] = i
    # incoming messages: an event whose clock grew in other hosts' components received a message.
    # Its sender is the event whose clock, merged with the host's previous clock, gives exactly the
    # new clock (the rest of what grew was learned through the sender, not sent directly).
    last: dict[str, dict] = {}
    incoming: dict[int, list[int]] = {}
    for i, (h, c, _) in enumerate(events):
        prev = last.get(h, {})
        grew = [by_local[(g, n)] for g, n in c.items() if g != h and n > prev.get(g, 0) and (g, n) in by_local]
        others = set(c) - {h}
        direct = [s for s in grew
                  if all(max(prev.get(k, 0), events[s][1].get(k, 0)) == c.get(k, 0) for k in others)]
        if direct:
            incoming[i] = direct[:1]
        elif grew:  # knowledge merged from several senders: keep those no other candidate explains
            incoming[i] = [s for s in grew if not any(
                t != s and all(events[s][1].get(k, 0) <= events[t][1].get(k, 0) for k in events[s][1])
                for t in grew)]
        last[h] = c
    outgoing: dict[int, list[int]] = {}
    for dst, srcs in incoming.items():
        for s in srcs:
            outgoing.setdefault(s, []).append(dst)
    # a causal order: by the sum of the clock, then log order (vector sums grow along causality)
    order = sorted(range(len(events)), key=lambda i: (sum(events[i][1].values()), i))
    rows = []
    mids: dict[tuple[int, int], int] = {}
    for step, i in enumerate(order):
        h, c, txt = events[i]
        t = step * time_step
        for s in incoming.get(i, []):
            mid = mids[(s, i)]
            rows.append((t, "deliver", h, events[s][0], mid, LogMessage(events[s][2]), None))
        rows.append((t, "observe", h, None, None, "event", txt))
        for d in outgoing.get(i, []):
            mid = mids[(i, d)] = len(mids)
            rows.append((t, "send", h, events[d][0], mid, LogMessage(txt), None))
    graph = nx.Graph()
    graph.add_nodes_from(hosts)
    graph.add_edges_from((r[2], r[3]) for r in rows if r[1] == "send")
    end = (len(order) - 1) * time_step if order else 0.0
    return Trace(hosts, rows, graph=graph, seed=None, end_time=end, ended_by="quiescent",
                 meta={"source": "shiviz"})
