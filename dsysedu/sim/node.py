"""The node API that every protocol is written against.

A protocol is a subclass of :class:`Node` with three handlers::

    class Echo(Node):
        def on_message(self, ctx, src, msg):
            ctx.send(src, msg)

Handlers talk to the world only through ``ctx``. ``ctx`` does not act: it
*records* the effects (send, set a timer, cancel a timer, observe a value) and
the driver applies them after the handler returns. The simulator applies them
with time and faults; the model checker applies them to copies of the state.
Handlers never sleep, never read the wall clock and never use global
randomness (``ctx.rng`` is a seeded stream of this node's own).
"""
from __future__ import annotations

import copy
import dataclasses
import random
from typing import Any, ClassVar, Hashable, Iterable

from .validate import number

__all__ = ["Node", "Context", "SEND", "SET_TIMER", "CANCEL_TIMER", "OBSERVE", "check_message", "message_type"]

# Effect kinds recorded by Context (first item of each effect tuple).
SEND = 0
SET_TIMER = 1
CANCEL_TIMER = 2
OBSERVE = 3

_PLAIN = (str, int, float, bool, bytes, type(None))
_checked_types: set[type] = set()   # types whose every value is immutable: checked once per type
_deep_fields: dict[type, tuple] = {}  # frozen dataclass -> the fields that may hold a container
_message_types: dict[str, type] = {}  # "module:qualname" -> a frozen dataclass checked as a message here
# annotations of fields that can only hold a plain value (a declared int field holding a list is not looked for)
_FLAT_ANNOTATIONS = frozenset({"int", "float", "str", "bool", "bytes", "None", "complex", "int | None",
                               "float | None", "str | None", "bool | None", "Optional[int]", "Optional[float]",
                               "Optional[str]"})
_FLAT_ANNOTATION_TYPES = (int, float, str, bool, bytes, complex)


def _field_is_flat(f) -> bool:
    a = f.type
    return a in _FLAT_ANNOTATIONS if isinstance(a, str) else a in _FLAT_ANNOTATION_TYPES


_verified: dict[int, object] = {}  # id -> a tuple or dataclass instance found deeply immutable (held: no id reuse)
_VERIFIED_MAX = 8192


def _immutable(v) -> bool:
    """True if ``v`` is known deeply immutable (the fast path of :func:`check_message`); False means
    "not known": the slow path then decides, naming the culprit, and learns the new types.

    A tuple or a frozen dataclass whose parts are all immutable stays so: such values are
    remembered by identity (and held, so that their id is not reused), so a Raft log entry
    sent again and again is looked into once."""
    t = type(v)
    if t in _checked_types or _verified.get(id(v)) is v:
        return True
    deep = _deep_fields.get(t)
    plain, seen = _checked_types, _verified
    if deep is not None:
        for name in deep:
            x = getattr(v, name)
            if type(x) not in plain and seen.get(id(x)) is not x and not _immutable(x):
                return False
    elif t is tuple or t is frozenset:
        for x in v:
            if type(x) not in plain and seen.get(id(x)) is not x and not _immutable(x):
                return False
    else:
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[id(v)] = v
    return True


def check_message(msg, where: str = "message") -> None:
    """Raise TypeError unless ``msg`` is deeply immutable (frozen dataclass, tuple, frozenset, str, number).

    A frozen dataclass is looked into: a field holding a list, dict or set would let a receiver
    change the sender's copy (and the recorded send row). The fields that can hold a container
    (by their annotation) are found once per type and checked at every send; a type whose fields
    are all declared plain (``int``, ``str``...) is checked once. The error names the field
    (``message.entries[3].op``).
    """
    if _immutable(msg):
        return
    t = type(msg)
    if dataclasses.is_dataclass(t) and isinstance(msg, t):
        if not t.__dataclass_params__.frozen:
            raise TypeError(
                f"messages must be immutable: make {t.__name__} a @dataclass(frozen=True)")
        deep = _deep_fields.get(t)
        if deep is None:
            deep = tuple(f.name for f in dataclasses.fields(t) if not _field_is_flat(f))
            _message_types[f"{t.__module__}:{t.__qualname__}"] = t
        for name in deep:
            check_message(getattr(msg, name), f"{where}.{name}")
        if deep:
            _deep_fields[t] = deep
        else:
            _checked_types.add(t)
        return
    if t is tuple or t is frozenset:
        for i, item in enumerate(msg):
            check_message(item, f"{where}[{i}]" if t is tuple else f"{where} item")
        return
    if t not in _PLAIN:
        if where == "message":
            raise TypeError(
                f"a message must be a frozen dataclass, a tuple, a str or a number; got {msg!r} ({t.__name__})")
        raise TypeError(
            f"messages must be deeply immutable: {where} is a {t.__name__} ({msg!r}); use a tuple, "
            f"a frozenset or a frozen dataclass instead")
    _checked_types.add(t)


def message_type(path: str):
    """The frozen dataclass named ``module:qualname`` if this process has checked it as a message
    (a run sent it, or an Input carried it), else None: the message types a trace file may name."""
    return _message_types.get(path)


class Context:
    """A node's only window on the world during one handler call.

    Attributes
    ----------
    node : hashable
        The id of the node whose handler is running.
    now : float
        Simulated time in seconds (the true time; see :meth:`clock` for the node's own clock).
    rng : random.Random
        This node's seeded random stream.
    effects : list
        What the handler asked for, in order; read by the driver.
    """

    __slots__ = ("node", "now", "_rng", "_make_rng", "effects", "peers", "_known", "_clock")

    def __init__(self, node, peers: Iterable, rng: random.Random | None = None, clock=None,
                 known: Iterable | None = None, make_rng=None):
        self.node = node
        self.peers = tuple(peers)
        self._known = frozenset(self.peers) if known is None else frozenset(known)
        # ``make_rng`` makes the stream when a handler first draws from it (most nodes of a
        # large run never do: building 10,000 seeded streams up front was a fifth of such a run)
        self._make_rng = make_rng
        self._rng = rng if rng is not None or make_rng is not None else random.Random(0)
        self.now = 0.0
        self.effects: list = []
        self._clock = clock

    @property
    def rng(self) -> random.Random:
        rng = self._rng
        if rng is None:
            rng = self._rng = self._make_rng()
        return rng

    @rng.setter
    def rng(self, value) -> None:
        self._rng = value

    def send(self, dst, msg) -> None:
        """Send ``msg`` to node ``dst`` over the link between them."""
        if dst not in self._known:
            raise ValueError(
                f"node {self.node!r} has no link to {dst!r}; it can send to {sorted(self._known, key=repr)}")
        if type(msg) not in _checked_types and not _immutable(msg):
            check_message(msg)
        self.effects.append((SEND, dst, msg))

    def broadcast(self, msg, include_self: bool = False) -> None:
        """Send ``msg`` to every peer (in sorted order), and to itself if asked."""
        if type(msg) not in _checked_types and not _immutable(msg):
            check_message(msg)
        eff = self.effects
        for p in self.peers:
            eff.append((SEND, p, msg))
        if include_self:
            eff.append((SEND, self.node, msg))

    def set_timer(self, name: Hashable, delay: float) -> None:
        """Fire ``on_timer(ctx, name)`` after ``delay`` seconds; replaces a timer of the same name."""
        number(f"set_timer({name!r}) delay", delay, low=0.0)
        self.effects.append((SET_TIMER, name, float(delay)))

    def cancel_timer(self, name: Hashable) -> None:
        """Cancel the timer ``name`` if it is pending (no error if it is not)."""
        self.effects.append((CANCEL_TIMER, name, None))

    def observe(self, key: str, value: Any) -> None:
        """Record a value for the views (``role``, ``term``, ``informed``...)."""
        self.effects.append((OBSERVE, key, value))

    def clock(self) -> float:
        """This node's own physical clock: true time with its offset, drift and jumps."""
        return self.now if self._clock is None else self._clock(self.node, self.now)

    def take_effects(self) -> list:
        eff, self.effects = self.effects, []
        return eff


class Node:
    """Base class of a protocol node.

    Subclasses keep their state in plain fields and override the handlers.

    Class attributes
    ----------------
    durable : tuple of str
        Fields that survive a crash (written to "disk"): after recovery the node is a
        fresh instance with these fields copied over. Everything else resets.
    state_fields : tuple of str or None
        Fields that make up the comparable state (for the model checker and state
        hashes). ``None`` means every field except ``id`` and ``peers``.
    """

    durable: ClassVar[tuple[str, ...]] = ()
    state_fields: ClassVar[tuple[str, ...] | None] = None
    needs_complete_graph: ClassVar[bool] = False

    @classmethod
    def check_scenario(cls, scenario) -> None:
        """Refuse a scenario this protocol cannot run correctly: raise ValueError saying why.

        A :class:`~dsysedu.sim.Scenario` calls it once per protocol class it runs, after its
        own checks. The default refuses, for a class with ``needs_complete_graph`` (one that
        counts a majority among its neighbours, or talks to nodes it was not linked to), any
        topology where a node running it is not linked to every other node: on a ring, Raft's
        "majority of my neighbours" is 2 of 3 and two leaders win one term.
        """
        if not cls.needs_complete_graph:
            return
        graph = scenario._graph
        n = graph.number_of_nodes()
        for node in scenario.node_ids:
            if scenario.protocol_of(node) is cls and graph.degree(node) != n - 1:
                missing = next(v for v in scenario.node_ids if v != node and not graph.has_edge(node, v))
                raise ValueError(
                    f"{cls.__name__} needs a complete graph (it computes its majority from, or talks to, "
                    f"every other node), but node {node!r} has no link to {missing!r}; give nodes=int, a list "
                    f"of ids, or a complete networkx graph")

    def __init__(self, node_id, peers: Iterable = ()):
        self.id = node_id
        self.peers = tuple(peers)

    # -- handlers ---------------------------------------------------------
    def on_start(self, ctx: Context) -> None:
        """Called once when the run starts."""

    def on_message(self, ctx: Context, src, msg) -> None:
        """Called when ``msg`` from ``src`` is delivered (``src`` is None for outside input)."""

    def on_timer(self, ctx: Context, name) -> None:
        """Called when timer ``name`` fires."""

    def on_recover(self, ctx: Context) -> None:
        """Called after a crash, on the fresh instance holding the durable fields. Default: on_start."""
        self.on_start(ctx)

    # -- state ------------------------------------------------------------
    def state(self) -> tuple:
        """The comparable state: a tuple of ``(field, value)`` pairs, sorted by field."""
        names = self.state_fields
        if names is None:
            names = sorted(k for k in vars(self) if k not in ("id", "peers"))
        return tuple((n, _freeze(getattr(self, n))) for n in names)

    def durable_state(self) -> dict:
        return {f: copy.deepcopy(getattr(self, f)) for f in self.durable}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.state())
        return f"{type(self).__name__}(id={self.id!r}, {fields})"


def _freeze(value):
    """A hashable copy of a value built from lists, dicts and sets."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted(((k, _freeze(v)) for k, v in value.items()), key=repr))
    if isinstance(value, set):
        return frozenset(_freeze(v) for v in value)
    return value
