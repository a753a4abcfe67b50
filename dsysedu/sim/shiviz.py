"""ShiViz-style logs from other tools, read into a Trace.

ShiViz (Beschastnikh et al., "Debugging distributed systems", CACM 2016) reads logs in
which each event is a text line followed by a line ``host {vector clock as JSON}``.
:func:`parse_shiviz` reads that default format (or any regex with the named groups
``event``, ``host`` and ``clock``) and rebuilds the messages from the vector clocks, so
logs made by other tools can be drawn with the same views.

A log is checked before it is drawn: every stretch of text between matches must be blank
(a line the regex cannot read is an error, not skipped), each host's own clock entry must
grow from one of its events to the next, and no event may have heard of another host's
event that comes later than that host's last logged one (a receive from the future).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import networkx as nx

from .trace import Trace
from .validate import number

__all__ = ["parse_shiviz", "LogMessage", "SHIVIZ_DEFAULT_REGEX"]

# Anchored at line starts (MULTILINE): an unanchored ``.*`` is tried from every position of a
# long line, quadratic in its length (a 40 KB line took 5 s).
SHIVIZ_DEFAULT_REGEX = r"^(?P<event>.*)\n(?P<host>\S*) (?P<clock>\{.*\})$"


@dataclass(frozen=True)
class LogMessage:
    """A message rebuilt from a log: the text of the event that sent it."""
    text: str

    def __repr__(self) -> str:
        return self.text


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _read_events(text: str, pattern) -> list:
    """(host, clock, event text) per match; an error for text between matches or a bad clock."""
    events = []
    pos = 0
    matches = list(pattern.finditer(text))
    if not matches:
        raise ValueError("no events matched the regex; ShiViz's default format is "
                         "'<event text>\\n<host> {\"host\": n, ...}' per event")
    for m in matches:
        if m.end() == m.start():
            raise ValueError(f"the regex matched empty text at line {_line(text, m.start())}; "
                             f"it must match each event's text and clock")
        gap = text[pos:m.start()]
        if gap.strip():
            at = pos + (len(gap) - len(gap.lstrip()))
            raise ValueError(f"line {_line(text, at)} does not match the log's regex: "
                             f"{gap.strip().splitlines()[0][:80]!r}")
        pos = m.end()
        raw = m.group("clock")
        try:
            clock = json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"line {_line(text, m.start('clock'))}: vector clock {raw[:80]!r} is not JSON "
                             f"({exc})") from None
        if not isinstance(clock, dict) or not all(type(v) is int and v >= 0 for v in clock.values()):
            raise ValueError(f"line {_line(text, m.start('clock'))}: vector clock must be a JSON object of "
                             f"host -> int >= 0, got {raw[:80]!r}")
        host = m.group("host")
        if not host:
            raise ValueError(f"line {_line(text, m.start('host'))}: the event has no host name")
        events.append((host, clock, m.group("event").strip()))
    if text[pos:].strip():
        rest = text[pos:]
        at = pos + (len(rest) - len(rest.lstrip()))
        raise ValueError(f"line {_line(text, at)} does not match the log's regex: "
                         f"{rest.strip().splitlines()[0][:80]!r}")
    return events


def _check_clocks(events) -> dict:
    """Each host's own entry grows; nobody hears of an event its host never logged. Returns
    ``(host, own clock) -> event index``."""
    by_local: dict[tuple[str, int], int] = {}
    last_own: dict[str, int] = {}
    for i, (h, c, _) in enumerate(events):
        if h not in c:
            raise ValueError(f"event {i} at host {h!r}: its clock {c} has no entry for its own host")
        own = c[h]
        if own <= last_own.get(h, 0):
            raise ValueError(f"event {i} at host {h!r}: its own clock entry {own} does not grow "
                             f"(the host's previous event had {last_own.get(h, 0)})")
        last_own[h] = own
        by_local[(h, own)] = i
    for i, (h, c, _) in enumerate(events):
        for g, n in c.items():
            if g != h and n > last_own.get(g, 0):
                raise ValueError(f"event {i} at host {h!r} has heard of event {n} of host {g!r}, but {g!r} "
                                 f"logged only up to {last_own.get(g, 0)} (a receive from the future)")
            if g != h and (g, n) in by_local:
                s = by_local[(g, n)]
                sent = events[s][1]
                if not all(sent.get(k, 0) <= c.get(k, 0) for k in sent):
                    raise ValueError(f"event {i} at host {h!r} has heard of event {s} of host {g!r} "
                                     f"(clock {sent}) but its own clock {c} is not later")
    return by_local


def parse_shiviz(text: str, regex: str | None = None, *, time_step: float = 1.0) -> Trace:
    """Build a Trace from a ShiViz-style log.

    Parameters
    ----------
    text : str
        The log. In ShiViz's default format each event is two lines: the event's text,
        then ``host {"host": n, "other": m, ...}`` (its vector clock).
    regex : str, optional
        A Python regex with named groups ``event``, ``host`` and ``clock`` (JSON object);
        default :data:`SHIVIZ_DEFAULT_REGEX` (matched with ``re.MULTILINE``). ShiViz's
        ``(?<name>...)`` is accepted too.
    time_step : float
        Logs carry no times: events are placed ``time_step`` (> 0) seconds apart in a causal order.

    Returns
    -------
    Trace
        Each log event becomes an ``observe`` row (key ``"event"``, value the text). An event
        whose clock shows it received from another host gets a ``deliver`` row, and the
        matching event on the sender a ``send`` row, so the space-time view draws the arrow.

    Raises
    ------
    ValueError
        If nothing matches, a line does not match, a clock is not a JSON object of ints >= 0,
        or clocks are inconsistent (a host's own entry does not grow, a receive from the future).
    TypeError
        If ``text`` or ``regex`` is not a str.

    Examples
    --------
    >>> log = 'start\\na {"a": 1}\\nsend m\\na {"a": 2}\\nrecv m\\nb {"a": 2, "b": 1}'
    >>> parse_shiviz(log).count("deliver")
    1
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be the log as a str, got {type(text).__name__}")
    if regex is not None and not isinstance(regex, str):
        raise TypeError(f"regex must be a str or None, got {regex!r}")
    time_step = number("time_step", time_step, low=0.0, low_open=True)
    source = (regex or SHIVIZ_DEFAULT_REGEX).replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")
    try:
        pattern = re.compile(source, re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"regex {regex!r} does not compile: {exc}") from None
    missing = {"event", "host", "clock"} - set(pattern.groupindex)
    if missing:
        raise ValueError(f"regex must have the named groups event, host and clock; missing {sorted(missing)}")
    events = _read_events(text, pattern)
    hosts = sorted({h for h, _, _ in events} | {k for _, c, _ in events for k in c})
    by_local = _check_clocks(events)
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
    end = (len(order) - 1) * time_step
    return Trace(hosts, rows, graph=graph, seed=None, end_time=end, ended_by="quiescent",
                 meta={"source": "shiviz"})
