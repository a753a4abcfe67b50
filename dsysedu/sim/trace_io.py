"""Traces on disk: JSON Lines save and load.

The first line is a header (format, version, nodes, edges, seed, how the run ended),
then one line per event ``[time, kind, node, peer, msg_id, data, value]``. Messages
(frozen dataclasses) are written with their class path and fields.

Loading never runs code a file names. A message comes back as its class only when that
class is allowed: named by the caller (``message_types``), or a message type this process
already knows (one that a run has sent, see :func:`dsysedu.sim.node.message_type`, or a
frozen dataclass of a ``dsysedu`` module already imported). Nothing is imported on a file's
say-so; any other message comes back as :class:`LoadedMessage` with its type name and fields.
Every row is checked (a finite time, in order; a known kind; nodes of the header), so a file
that loads is one the views and ``value_at`` read correctly. ShiViz logs are read by
:mod:`dsysedu.sim.shiviz`.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .faults import FAULT_KINDS
from .node import message_type
from .trace import MESSAGE_KINDS, PROCESS_KINDS, Trace

__all__ = ["save_jsonl", "load_jsonl", "LoadedMessage", "ROW_KINDS", "ENDINGS"]

FORMAT = "dsysedu-trace"
VERSION = 2          # 2: sets and frozensets told apart, numpy values kept
ROW_KINDS = frozenset(MESSAGE_KINDS | PROCESS_KINDS | set(FAULT_KINDS) | {"timer_set", "timer_cancel"})
ENDINGS = ("time", "max_events", "max_rows", "quiescent", "stopped")
_NO_NODE = frozenset({"partition", "heal"})   # rows whose node column is empty


@dataclass(frozen=True)
class LoadedMessage:
    """A message read back from a file whose class is not allowed (or not known here)."""
    type_name: str
    fields: tuple

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.fields)
        return f"{self.type_name}({inner})"


def _encode(v: Any):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (math.inf, -math.inf) else {"__float__": repr(v)}
    if isinstance(v, np.generic):
        if isinstance(v, np.bool_):
            return {"__numpy__": v.dtype.str, "value": bool(v)}
        if isinstance(v, (np.integer, np.floating)):
            return {"__numpy__": v.dtype.str, "value": _encode(v.item())}
        return {"__repr__": repr(v)}
    if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
        return {"__ndarray__": v.dtype.str, "shape": list(v.shape), "values": [_encode(x) for x in v.ravel().tolist()]}
    if isinstance(v, bytes):  # messages may be bytes (check_message allows them)
        return {"__bytes__": v.hex()}
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, frozenset):
        return {"__frozenset__": sorted((_encode(x) for x in v), key=repr)}
    if isinstance(v, set):
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


class _Decoder:
    """Turns JSON values back into Python values, building only the allowed message classes."""

    def __init__(self, version: int, allowed: dict):
        self.version = version
        self.allowed = allowed   # "module:qualname" -> class

    def __call__(self, v: Any):
        if isinstance(v, list):
            return [self(x) for x in v]
        if not isinstance(v, dict):
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"a bare {v!r}: infinities and NaN are written as {{\"__float__\": ...}}")
            return v
        if len(v) == 1:
            (tag, x), = v.items()
            if tag == "__tuple__":
                return tuple(self(i) for i in _list(x, tag))
            if tag == "__set__":  # version 1 wrote frozensets this way too
                items = (self(i) for i in _list(x, tag))
                return frozenset(items) if self.version < 2 else set(items)
            if tag == "__frozenset__":
                return frozenset(self(i) for i in _list(x, tag))
            if tag == "__dict__":
                pairs = _list(x, tag)
                if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                    raise ValueError("__dict__ must hold [key, value] pairs")
                return {self(k): self(i) for k, i in pairs}
            if tag == "__float__":
                if not isinstance(x, str):
                    raise ValueError(f"__float__ must hold a str, got {x!r}")
                return float(x)
            if tag == "__bytes__":
                if not isinstance(x, str):
                    raise ValueError(f"__bytes__ must hold a hex str, got {x!r}")
                return bytes.fromhex(x)
            if tag == "__repr__":
                if not isinstance(x, str):
                    raise ValueError(f"__repr__ must hold a str, got {x!r}")
                return x
        if "__numpy__" in v and set(v) == {"__numpy__", "value"}:
            return np.dtype(_numpy_dtype(v["__numpy__"])).type(self(v["value"]))
        if "__ndarray__" in v and set(v) == {"__ndarray__", "shape", "values"}:
            shape = _list(v["shape"], "shape")
            if not all(type(d) is int and d >= 0 for d in shape) or math.prod(shape) != len(_list(v["values"], "values")):
                raise ValueError(f"__ndarray__ shape {shape!r} does not fit its {len(v['values'])} values")
            return np.array([self(x) for x in v["values"]], dtype=_numpy_dtype(v["__ndarray__"])).reshape(shape)
        if "__dataclass__" in v and set(v) == {"__dataclass__", "fields"}:
            path, raw = v["__dataclass__"], v["fields"]
            if not isinstance(path, str) or not isinstance(raw, dict):
                raise ValueError("__dataclass__ must name a class (str) and give its fields (object)")
            fields = {k: self(x) for k, x in raw.items()}
            cls = self.allowed.get(path) or _known(path)
            if cls is not None:
                try:
                    return cls(**fields)
                except (TypeError, ValueError):
                    pass
            return LoadedMessage(path.split(":")[-1], tuple(fields.items()))
        raise ValueError(f"unknown encoded value {json.dumps(v)[:80]}")


def _list(x, tag: str) -> list:
    if not isinstance(x, list):
        raise ValueError(f"{tag} must hold a JSON list, got {json.dumps(x)[:40]}")
    return x


def _numpy_dtype(code) -> str:
    if not isinstance(code, str) or len(code) > 4:
        raise ValueError(f"bad numpy dtype {code!r}")
    dt = np.dtype(code)
    if dt.kind not in "biuf":
        raise ValueError(f"numpy dtype {code!r} is not a bool, int or float type")
    return code


def _known(path: str):
    """A class this process already knows as a message type, by ``module:qualname``, or None.

    Known: sent by a run (:func:`~dsysedu.sim.node.message_type`), or a frozen dataclass of a
    ``dsysedu`` module already imported. Nothing is imported here."""
    cls = message_type(path)
    if cls is not None:
        return cls
    module, _, qual = path.partition(":")
    if not (module == "dsysedu" or module.startswith("dsysedu.")) or module not in sys.modules:
        return None
    obj = sys.modules[module]
    for part in qual.split("."):
        obj = getattr(obj, part, None) if part.isidentifier() else None
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__dataclass_params__.frozen:
        return obj
    return None


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


def _header(path, first: str) -> dict:
    try:
        header = json.loads(first)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{path}: line 1 is not JSON; expected a dsysedu trace header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path}: not a dsysedu trace (line 1 must be a header with format={FORMAT!r})")
    version = header.get("version", 1)
    if type(version) is not int or version not in (1, 2):
        raise ValueError(f"{path}: the header's version is {version!r}; this dsysedu reads versions 1 and 2")
    if not isinstance(header.get("nodes"), list) or not header["nodes"]:
        raise ValueError(f"{path}: the header must list the trace's nodes (\"nodes\": [...], at least one)")
    if not isinstance(header.get("edges", []), list):
        raise ValueError(f"{path}: the header's \"edges\" must be a list of [u, v] pairs")
    seed = header.get("seed")
    if seed is not None and (type(seed) is not int or seed < 0):
        raise ValueError(f"{path}: the header's seed must be an int >= 0 or null, got {seed!r}")
    end = header.get("end_time", 0.0)
    if isinstance(end, bool) or not isinstance(end, (int, float)) or not 0 <= end < math.inf:
        raise ValueError(f"{path}: the header's end_time must be a finite number >= 0, got {end!r}")
    if header.get("ended_by", "stopped") not in ENDINGS:
        raise ValueError(f"{path}: the header's ended_by must be one of {ENDINGS}, got {header.get('ended_by')!r}")
    if not isinstance(header.get("meta", {}), dict):
        raise ValueError(f"{path}: the header's meta must be an object")
    return header


def _check_row(row: tuple, nodes: frozenset, last: float) -> str | None:
    """Why ``row`` cannot be in a trace of ``nodes`` after time ``last``, or None."""
    time, kind, node, peer, mid = row[:5]
    if isinstance(time, bool) or not isinstance(time, (int, float)) or not math.isfinite(time):
        return f"time must be a finite number, got {time!r}"
    if time < last:
        return f"time {time!r} is before the previous row's {last!r} (rows must be in time order)"
    if not isinstance(kind, str) or kind not in ROW_KINDS:
        return f"unknown kind {kind!r}; kinds are {sorted(ROW_KINDS)}"
    if kind in _NO_NODE:
        if node is not None:
            return f"a {kind} row has no node, got {node!r}"
    elif not _member(node, nodes):
        return f"node {node!r} is not one of the header's nodes"
    if peer is not None and not _member(peer, nodes):
        return f"peer {peer!r} is not one of the header's nodes"
    if mid is not None and type(mid) is not int:
        return f"msg_id must be an int or null, got {mid!r}"
    if kind in MESSAGE_KINDS and mid is None:
        return f"a {kind} row needs a msg_id"
    return None


def _member(x, nodes: frozenset) -> bool:
    try:
        return x in nodes
    except TypeError:
        return False


def load_jsonl(path, message_types=()) -> Trace:
    """Read a trace written by :func:`save_jsonl`.

    Parameters
    ----------
    path : str or Path
    message_types : iterable of classes
        Message classes (frozen dataclasses) to rebuild besides the ones this process
        already knows (see the module docstring); others load as :class:`LoadedMessage`.

    Raises
    ------
    ValueError
        If the file is not a dsysedu trace (wrong header), a line is malformed, or a row is
        not one a run could write (its time, kind or nodes), naming the line.
    TypeError
        If ``message_types`` holds something that is not a frozen dataclass.
    """
    allowed = {}
    for cls in message_types:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):
            raise TypeError(f"message_types must be frozen dataclasses, got {cls!r}")
        allowed[f"{cls.__module__}:{cls.__qualname__}"] = cls
    try:
        fh = open(path, encoding="utf-8")
    except UnicodeError as exc:
        raise ValueError(f"{path}: not a text file ({exc})") from None
    with fh:
        try:
            return _load(path, fh, allowed)
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc})") from None


def _load(path, fh, allowed) -> Trace:
    header = _header(path, fh.readline())
    decode = _Decoder(header.get("version", 1), allowed)
    try:
        nodes = [decode(n) for n in header["nodes"]]
        hash(tuple(nodes))
        edges = [(decode(u), decode(v)) for u, v in (_pair(e) for e in header.get("edges", []))]
        meta = {k: decode(v) for k, v in header.get("meta", {}).items()}
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValueError(f"{path}: line 1 (header): {exc}") from None
    known = frozenset(nodes)
    if len(known) != len(nodes):
        raise ValueError(f"{path}: line 1 (header): the nodes must be distinct")
    if any(not _member(u, known) or not _member(v, known) for u, v in edges):
        raise ValueError(f"{path}: line 1 (header): an edge names a node that is not in \"nodes\"")
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    rows = []
    last = -math.inf
    for lineno, line in enumerate(fh, start=2):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{path}: line {lineno} is not JSON ({str(exc)[:80]})") from None
        if not isinstance(item, list) or len(item) != 7:
            raise ValueError(f"{path}: line {lineno} must be a list of 7 fields "
                             f"[time, kind, node, peer, msg_id, data, value], got {line[:80]!r}")
        try:
            row = tuple(decode(x) for x in item)
        except (ValueError, TypeError, RecursionError, OverflowError) as exc:
            raise ValueError(f"{path}: line {lineno}: {str(exc)[:200]}") from None
        why = _check_row(row, known, last)
        if why:
            raise ValueError(f"{path}: line {lineno}: {why}")
        last = row[0]
        rows.append(row)
    return Trace(nodes, rows, graph=graph, seed=header.get("seed"), end_time=header.get("end_time", 0.0),
                 ended_by=header.get("ended_by", "stopped"), meta=meta)


def _pair(e):
    if not isinstance(e, list) or len(e) != 2:
        raise ValueError(f"an edge must be a [u, v] pair, got {json.dumps(e)[:40]}")
    return e
