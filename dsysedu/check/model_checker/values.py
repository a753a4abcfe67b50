"""The values a model checker passes around: actions, frozen field values, and read-only views.

:class:`Action` names one step (``deliver``, ``timer``, ``drop``, ``duplicate``, ``crash``,
``recover``). :func:`freeze` turns a node's mutable fields (dicts, lists, sets) into hashable
twins that :func:`thaw` turns back, so that a node's state can be stored in a hash set and
rebuilt for its next handler call. :class:`StateReader` and :class:`NodeReader` are what a
property's predicate reads: ``s[node].field``, ``s.is_up(node)``, ``s.field(name)``,
``s.in_flight``, ``s.timers``.
"""
from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Action", "FrozenDict", "FrozenList", "FrozenSet", "freeze", "thaw", "NodeReader", "StateReader",
           "NodesOnlyReader"]

class Action(NamedTuple):
    """One step of the transition system.

    ``kind`` is ``deliver``, ``timer``, ``drop``, ``duplicate``, ``crash`` or ``recover``;
    ``node`` is the node it happens at (the destination of a message); ``peer`` is a
    message's source; ``data`` is the message or the timer's name.
    """
    kind: str
    node: Any
    peer: Any = None
    data: Any = None

    def __str__(self) -> str:
        if self.kind in ("deliver", "drop", "duplicate"):
            src = "outside" if self.peer is None else self.peer
            return f"{self.kind} {_short(self.data)} {src}→{self.node}"
        if self.kind == "timer":
            return f"timer {self.data!r} fires at {self.node}"
        return f"{self.kind} {self.node}"


def _short(msg) -> str:
    text = repr(msg)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------------------ freezing

class FrozenDict(frozenset):
    """A dict frozen as the set of its items (hashable, order-free); thawed back into a dict."""
    __slots__ = ()

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in sorted(self, key=repr)) + "}"


class FrozenList(tuple):
    """A list frozen as a tuple; thawed back into a list."""
    __slots__ = ()


class FrozenSet(frozenset):
    """A set frozen as a frozenset; thawed back into a set."""
    __slots__ = ()


_IMMUTABLE = frozenset({int, str, bool, float, type(None), bytes, tuple, frozenset})


def freeze(value):
    """A hashable copy of ``value``: dicts, lists and sets (at any depth) become frozen twins.

    Examples
    --------
    >>> thaw(freeze({"a": [1, 2]})) == {"a": [1, 2]}
    True
    """
    t = type(value)
    if t in _IMMUTABLE:
        return value
    if t is dict:
        return FrozenDict((k, freeze(v)) for k, v in value.items())
    if t is list:
        return FrozenList(freeze(v) for v in value)
    if t is set:
        return FrozenSet(freeze(v) for v in value)
    return value


def thaw(value):
    """The mutable value :func:`freeze` came from (a new object each call)."""
    t = type(value)
    if t is FrozenDict:
        return {k: thaw(v) for k, v in value}
    if t is FrozenList:
        return [thaw(v) for v in value]
    if t is FrozenSet:
        return {thaw(v) for v in value}
    return value


_THAWED = (FrozenDict, FrozenList, FrozenSet)


# ------------------------------------------------------------------------------ views

class NodeReader:
    """Read-only attribute access to one node's fields in a state (mutable fields come thawed)."""
    __slots__ = ("_model", "_i", "_values", "_up")

    def __init__(self, model, i, entry_id):
        self._model, self._i = model, i
        _i, self._up, self._values = model._E[entry_id]

    def __getattr__(self, name):
        m = self._model
        j = (m._pos if self._up else m._dpos)[self._i].get(name)
        if j is not None:
            v = self._values[j]
            return thaw(v) if type(v) in _THAWED else v
        template = m._templates[self._i].__dict__
        if self._up and name in template:
            return template[name]
        raise AttributeError(f"node {m.ids[self._i]!r} has no field {name!r}"
                             + ("" if self._up else " while crashed (only durable fields survive)"))


class StateReader:
    """What a property's predicate sees: ``s[node].field``, ``s.is_up(node)``, messages, timers.

    Examples
    --------
    ``lambda s: sum(s[p].phase == "critical" for p in s.nodes if s.is_up(p)) <= 1``
    """
    __slots__ = ("model", "state")

    def __init__(self, model, state):
        self.model, self.state = model, state

    def __getitem__(self, node) -> NodeReader:
        i = self.model.index[node]
        return NodeReader(self.model, i, self.state[0][i])

    @property
    def nodes(self) -> tuple:
        return self.model.ids

    def is_up(self, node) -> bool:
        return self.model._E[self.state[0][self.model.index[node]]][1]

    def field(self, name) -> dict:
        """``{node: value}`` of one field over the up nodes that have it."""
        return _field(self.model, self.state[0], name)

    @property
    def in_flight(self) -> list:
        """Messages on the wire as ``(src, dst, msg)``, repeated by multiplicity."""
        return [self.model._M[x] for x in self.state[1]]

    @property
    def timers(self) -> frozenset:
        """Pending timers as ``(node, name)``."""
        return frozenset(self.model._T[x] for x in self.state[2])

    def __repr__(self) -> str:
        return self.model.describe(self.state)


def _field(m, nodes, name) -> dict:
    where = m._field_pos.get(name)
    if where is None:
        where = m._field_pos[name] = tuple((i, m.ids[i], m._pos[i][name]) for i in range(len(m.ids))
                                           if name in m._pos[i])
    out = {}
    E = m._E
    for i, n, j in where:
        _i, up, values = E[nodes[i]]
        if up:
            v = values[j]
            out[n] = thaw(v) if type(v) in _THAWED else v
    return out


class NodesOnlyReader(StateReader):
    """A :class:`StateReader` that notes whether the predicate read more than the nodes.

    ``wide`` turns true when the predicate reads the messages in flight, the timers, or the
    raw ``state`` or ``model``. While it stays false, the predicate saw only the node
    entries (``state[0]``), so its answer holds for every state with the same nodes: the
    search remembers it (:func:`dsysedu.check.model_checker.search.predicate_on`).
    """
    __slots__ = ("_m", "_s", "wide")

    def __init__(self, model, state):
        self._m, self._s, self.wide = model, state, False

    @property
    def model(self):
        self.wide = True
        return self._m

    @property
    def state(self):
        self.wide = True
        return self._s

    def __getitem__(self, node) -> NodeReader:
        m = self._m
        i = m.index[node]
        return NodeReader(m, i, self._s[0][i])

    @property
    def nodes(self) -> tuple:
        return self._m.ids

    def is_up(self, node) -> bool:
        m = self._m
        return m._E[self._s[0][m.index[node]]][1]

    def field(self, name) -> dict:
        return _field(self._m, self._s[0], name)
