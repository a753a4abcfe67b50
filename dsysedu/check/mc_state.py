"""The state space of a model: what a state is, which actions a state enables, what they do.

A :class:`Model` wraps a :class:`~dsysedu.sim.Scenario` (the same protocol classes the
simulator runs) and turns it into a transition system:

* a **state** is a tuple ``(nodes, in_flight, timers, budget)``: each node's comparable
  state (its ``state_fields``, frozen into hashable values) and whether it is up; the
  multiset of messages in flight ``(src, dst, msg) -> count``; the set of pending timers
  ``(node, name)``; the fault budget left (drops, duplicates, crashes, recoveries);
* an **action** is one of ``deliver`` (a message in flight arrives), ``timer`` (a pending
  timer fires), and, within the budget, ``drop``, ``duplicate``, ``crash`` and ``recover``.

**Time is abstracted away**: any pending timer may fire at any moment, whatever its delay,
and any message in flight may arrive next, whatever was sent first. This covers every
timing the simulator could produce (and more: orders no real latency would give).
Handlers run on a fresh node object rebuilt from the state; their effects are applied
to the successor state as the kernel would apply them. ``ctx.rng`` is reset before every
handler call, so a step is a function of the state (random choices are not explored).

Crash and recovery mirror the kernel: a crashed node keeps only its ``durable`` fields
and loses its timers; messages already sent to it stay in flight and are dropped if
they arrive while it is down; recovery builds a fresh instance, copies the durable
fields and calls ``on_recover`` (by default ``on_start``).
"""
from __future__ import annotations

import random
from typing import Any, Callable, NamedTuple

from ..sim.node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, Context, Node
from ..sim.scenario import Scenario

__all__ = ["Model", "Action", "StateView", "NodeView", "freeze", "thaw"]

BUDGET_KINDS = ("drops", "duplicates", "crashes", "recoveries")
_DROP, _DUP, _CRASH, _RECOVER = range(4)


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

class NodeView:
    """Read-only attribute access to one node's fields in a state (mutable fields come thawed)."""
    __slots__ = ("_model", "_i", "_values", "_up", "_cache")

    def __init__(self, model, i, entry):
        self._model, self._i = model, i
        self._up, self._values = entry
        self._cache = None

    def __getattr__(self, name):
        cache = self._cache
        if cache is None:
            m = self._model
            fields = m._fields[self._i] if self._up else m._durable[self._i]
            cache = self._cache = dict(zip(fields, self._values))
        if name in cache:
            v = cache[name]
            return thaw(v) if type(v) in _THAWED else v
        template = self._model._templates[self._i].__dict__
        if self._up and name in template:
            return template[name]
        raise AttributeError(f"node {self._model.ids[self._i]!r} has no field {name!r}"
                             + ("" if self._up else " while crashed (only durable fields survive)"))


class StateView:
    """What a property's predicate sees: ``s[node].field``, ``s.is_up(node)``, messages, timers.

    Examples
    --------
    ``lambda s: sum(s[p].state == "critical" for p in s.nodes if s.is_up(p)) <= 1``
    """
    __slots__ = ("model", "state")

    def __init__(self, model, state):
        self.model, self.state = model, state

    def __getitem__(self, node) -> NodeView:
        i = self.model.index[node]
        return NodeView(self.model, i, self.state[0][i])

    @property
    def nodes(self) -> tuple:
        return self.model.ids

    def is_up(self, node) -> bool:
        return self.state[0][self.model.index[node]][0]

    def field(self, name) -> dict:
        """``{node: value}`` of one field over the up nodes that have it."""
        out = {}
        m = self.model
        for i, (up, values) in enumerate(self.state[0]):
            if up and name in m._pos[i]:
                v = values[m._pos[i][name]]
                out[m.ids[i]] = thaw(v) if type(v) in _THAWED else v
        return out

    @property
    def in_flight(self) -> list:
        """Messages on the wire as ``(src, dst, msg)``, repeated by multiplicity."""
        return [k for k, c in sorted(self.state[1], key=lambda kc: repr(kc[0])) for _ in range(c)]

    @property
    def timers(self) -> frozenset:
        """Pending timers as ``(node, name)``."""
        return self.state[2]

    def __repr__(self) -> str:
        return self.model.describe(self.state)


# ------------------------------------------------------------------------------ the model

class Model:
    """A Scenario seen as a transition system, with a fault budget.

    Parameters
    ----------
    scenario : Scenario, or a Node subclass (or dict node -> Node subclass)
        The protocol and its nodes, as the simulator takes them. Inputs become messages in
        flight from outside (``src=None``). Scheduled faults and link models are not used:
        the checker explores faults itself, within the budget below.
    nodes, params, node_params, inputs
        Passed to :class:`~dsysedu.sim.Scenario` when ``scenario`` is a protocol.
    drops, duplicates, crashes, recoveries : int
        How many of each fault the search may inject along one path (>= 0).
    symmetric : sequence of node ids
        Interchangeable nodes (same class, same parameters, same links). States that differ
        only by a permutation of these ids are explored once. Ids stored in states and
        messages are renamed too: generically (any value equal to an id, inside tuples,
        frozensets, dicts and frozen dataclasses), so symmetric ids must be strings that
        appear nowhere else as plain values, or give ``rename``.
    final : callable(StateView) -> bool, optional
        States where having nothing left to do is success, not a deadlock.
    fire : callable(NodeView, name) -> bool, optional
        Which pending timers may fire (default: all). A way to bound a model, e.g. no
        election timeouts once ``current_term >= max_term``.
    rename : callable(value, mapping) -> value, optional
        Replaces the generic renaming of ids under symmetry.
    name : str
        Shown in results.

    Examples
    --------
    >>> from dsysedu.protocols.toys import Flood
    >>> m = Model(Flood, nodes=3)
    >>> len(m.successors(m.initial()))
    2
    """

    def __init__(self, scenario, nodes=3, params=None, node_params=None, inputs=(), *, drops=0, duplicates=0,
                 crashes=0, recoveries=0, symmetric=(), final: Callable | None = None, fire: Callable | None = None,
                 rename: Callable | None = None, name: str | None = None):
        if not isinstance(scenario, Scenario):
            if isinstance(scenario, type) and issubclass(scenario, Node) or isinstance(scenario, dict):
                scenario = Scenario(scenario, nodes=nodes, params=params or {}, node_params=node_params or {},
                                    inputs=tuple(inputs))
            else:
                raise TypeError(f"Model takes a Scenario or a Node subclass, got {scenario!r}")
        if scenario.faults or scenario.nemesis is not None:
            raise ValueError("Model explores faults itself (drops, duplicates, crashes, recoveries budgets); "
                             "give a Scenario without faults or nemesis")
        self.scenario = scenario
        self.name = scenario.name if name is None else str(name)
        budget = []
        for kind, v in zip(BUDGET_KINDS, (drops, duplicates, crashes, recoveries)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"budget {kind} must be an int >= 0, got {v!r}")
            budget.append(v)
        self.budget = tuple(budget)
        for f, label in ((final, "final"), (fire, "fire"), (rename, "rename")):
            if f is not None and not callable(f):
                raise TypeError(f"{label} must be callable or None, got {f!r}")
        self.final, self.fire, self.rename = final, fire, rename
        graph = scenario._graph
        self.ids = scenario.node_ids
        self.index = {n: i for i, n in enumerate(self.ids)}
        self._classes, self._templates, self._fields, self._durable, self._pos, self._ctx = [], [], [], [], [], []
        self._neighbors = []
        from ..sim.scenario import _sort_key
        for n in self.ids:
            nbrs = tuple(sorted(graph.neighbors(n), key=_sort_key))
            self._neighbors.append(nbrs)
            cls = scenario.protocol_of(n)
            tpl = cls(n, nbrs, **scenario.params_of(n))
            fields = cls.state_fields
            if fields is None:
                fields = tuple(sorted(k for k in vars(tpl) if k not in ("id", "peers")))
            self._classes.append(cls)
            self._templates.append(tpl)
            self._fields.append(tuple(fields))
            self._durable.append(tuple(cls.durable))
            self._pos.append({f: j for j, f in enumerate(fields)})
            self._ctx.append(Context(n, nbrs, rng=random.Random(0), known=nbrs + (n,)))
        self._rng_state = random.Random(0).getstate()
        self.symmetric = tuple(symmetric)
        self._check_symmetric()
        self._inputs = tuple((None, inp.node, inp.msg) for inp in scenario.inputs)
        self._init = None

    def _check_symmetric(self) -> None:
        sym = self.symmetric
        if not sym:
            return
        if len(set(sym)) != len(sym):
            raise ValueError(f"symmetric ids must be distinct, got {list(sym)}")
        for n in sym:
            if n not in self.index:
                raise ValueError(f"symmetric: unknown node {n!r}; nodes are {list(self.ids)}")
            if self.rename is None and not isinstance(n, str):
                raise ValueError(f"symmetric ids must be strings for the generic renaming (an int id such as {n!r} "
                                 "cannot be told apart from a counter); use string ids or give rename=")
        first = sym[0]
        cls, params = self.scenario.protocol_of(first), self.scenario.params_of(first)
        closed = set(self._neighbors[self.index[first]]) | {first}
        for n in sym[1:]:
            if self.scenario.protocol_of(n) is not cls or self.scenario.params_of(n) != params:
                raise ValueError(f"symmetric nodes must run the same class with the same params: {first!r} and {n!r} differ")
            if set(self._neighbors[self.index[n]]) | {n} != closed:
                raise ValueError(f"symmetric nodes must have the same links: {first!r} and {n!r} differ")

    def __repr__(self) -> str:
        b = ", ".join(f"{k}={v}" for k, v in zip(BUDGET_KINDS, self.budget) if v)
        return (f"<Model {self.name or self._classes[0].__name__}: {len(self.ids)} nodes"
                + (f", {b}" if b else "") + (f", symmetric {list(self.symmetric)}" if self.symmetric else "") + ">")

    # -- nodes <-> state ---------------------------------------------------------------------
    def _build(self, i, values):
        tpl = self._templates[i]
        obj = object.__new__(self._classes[i])
        d = obj.__dict__
        d.update(tpl.__dict__)
        for f, v in zip(self._fields[i], values):
            d[f] = thaw(v) if type(v) in _THAWED else v
        return obj

    def _freeze_node(self, i, obj) -> tuple:
        d = obj.__dict__
        return tuple(freeze(d[f]) for f in self._fields[i])

    def _run(self, i, call, *args):
        ctx = self._ctx[i]
        ctx.effects = []
        ctx.rng.setstate(self._rng_state)
        call(ctx, *args)
        return ctx.effects

    @staticmethod
    def _apply(node, effects, msgs: dict, timers: set, record=None) -> None:
        for kind, a, b in effects:
            if kind == SEND:
                key = (node, a, b)
                msgs[key] = msgs.get(key, 0) + 1
            elif kind == SET_TIMER:
                timers.add((node, a))
            elif kind == CANCEL_TIMER:
                timers.discard((node, a))
            if record is not None:
                record.append((kind, a, b))

    def initial(self, record=None) -> tuple:
        """The initial state: every node built and started (in id order), inputs in flight."""
        if self._init is not None and record is None:
            return self._init
        msgs, timers, nodes = {}, set(), []
        for i, n in enumerate(self.ids):
            obj = self._build(i, self._freeze_node(i, self._templates[i]))
            eff = self._run(i, obj.on_start)
            if record is not None:
                record.append(("start", n, eff))
            self._apply(n, eff, msgs, timers)
            nodes.append((True, self._freeze_node(i, obj)))
        for key in self._inputs:
            msgs[key] = msgs.get(key, 0) + 1
        state = (tuple(nodes), frozenset(msgs.items()), frozenset(timers), self.budget)
        if record is None:
            self._init = state
        return state

    # -- actions ---------------------------------------------------------------------------
    def actions(self, state, protocol_only: bool = False) -> list:
        """The actions enabled in ``state``, in a fixed order (``protocol_only``: no fault actions)."""
        nodes, msgs, timers, budget = state
        index = self.index
        out = []
        for (src, dst, msg), _c in msgs:
            out.append(Action("deliver", dst, src, msg))
        fire = self.fire
        for n, name in timers:
            i = index[n]
            if fire is None or fire(NodeView(self, i, nodes[i]), name):
                out.append(Action("timer", n, None, name))
        if protocol_only:
            return out
        if budget[_DROP] or budget[_DUP]:
            for (src, dst, msg), _c in msgs:
                if budget[_DROP]:
                    out.append(Action("drop", dst, src, msg))
                if budget[_DUP]:
                    out.append(Action("duplicate", dst, src, msg))
        if budget[_CRASH] or budget[_RECOVER]:
            for i, (up, _v) in enumerate(nodes):
                if up and budget[_CRASH]:
                    out.append(Action("crash", self.ids[i]))
                elif not up and budget[_RECOVER]:
                    out.append(Action("recover", self.ids[i]))
        if len(out) > 1:
            out.sort(key=_action_key)
        return out

    def step(self, state, action: Action, record=None) -> tuple:
        """The state after ``action`` (which must be enabled in ``state``).

        ``record``, a list, receives what happened: ``(kind, ...)`` entries for the trace.
        """
        nodes, msgs, timers, budget = state
        kind = action.kind
        if kind == "deliver" or kind == "drop" or kind == "duplicate":
            key = (action.peer, action.node, action.data)
            m = dict(msgs)
            c = m.get(key)
            if not c:
                raise ValueError(f"{action} is not enabled: that message is not in flight")
            if kind == "duplicate":
                m[key] = c + 1
                return nodes, frozenset(m.items()), timers, _spend(budget, _DUP)
            if c == 1:
                del m[key]
            else:
                m[key] = c - 1
            if kind == "drop":
                return nodes, frozenset(m.items()), timers, _spend(budget, _DROP)
            i = self.index[action.node]
            up, values = nodes[i]
            if not up:  # it arrives while the node is down: lost
                if record is not None:
                    record.append(("lost",))
                return nodes, frozenset(m.items()), timers, budget
            obj = self._build(i, values)
            eff = self._run(i, obj.on_message, action.peer, action.data)
            t = set(timers)
            self._apply(action.node, eff, m, t, record)
            nodes = nodes[:i] + ((True, self._freeze_node(i, obj)),) + nodes[i + 1:]
            return nodes, frozenset(m.items()), frozenset(t), budget
        n = action.node
        i = self.index.get(n)
        if i is None:
            raise ValueError(f"{action}: unknown node {n!r}")
        up, values = nodes[i]
        if kind == "timer":
            tk = (n, action.data)
            if tk not in timers or not up:
                raise ValueError(f"{action} is not enabled: no such pending timer")
            t = set(timers)
            t.discard(tk)
            obj = self._build(i, values)
            eff = self._run(i, obj.on_timer, action.data)
            m = dict(msgs)
            self._apply(n, eff, m, t, record)
            nodes = nodes[:i] + ((True, self._freeze_node(i, obj)),) + nodes[i + 1:]
            return nodes, frozenset(m.items()), frozenset(t), budget
        if kind == "crash":
            if not up or not budget[_CRASH]:
                raise ValueError(f"{action} is not enabled (node down or crash budget spent)")
            obj = self._build(i, values)
            durable = tuple(freeze(getattr(obj, f)) for f in self._durable[i])
            nodes = nodes[:i] + ((False, durable),) + nodes[i + 1:]
            t = frozenset(x for x in timers if x[0] != n)
            return nodes, msgs, t, _spend(budget, _CRASH)
        if kind == "recover":
            if up or not budget[_RECOVER]:
                raise ValueError(f"{action} is not enabled (node up or recovery budget spent)")
            fresh = self._build(i, self._freeze_node(i, self._templates[i]))
            for f, v in zip(self._durable[i], values):
                setattr(fresh, f, thaw(v))
            eff = self._run(i, fresh.on_recover)
            m, t = dict(msgs), set(timers)
            self._apply(n, eff, m, t, record)
            nodes = nodes[:i] + ((True, self._freeze_node(i, fresh)),) + nodes[i + 1:]
            return nodes, frozenset(m.items()), frozenset(t), _spend(budget, _RECOVER)
        raise ValueError(f"unknown action kind {kind!r}; kinds are deliver, timer, drop, duplicate, crash, recover")

    def successors(self, state) -> list:
        """``[(action, next_state), ...]`` for every enabled action."""
        step = self.step
        return [(a, step(state, a)) for a in self.actions(state)]

    def is_deadlock(self, state) -> bool:
        """No message can be delivered to an up node and no timer can fire, and the state is not final."""
        up = [u for u, _v in state[0]]
        if any(up[self.index[dst]] for (_s, dst, _m), _c in state[1]):
            return False
        if state[2] and self.actions(state, protocol_only=True):
            return False
        return not (self.final is not None and self.final(StateView(self, state)))

    def view(self, state) -> StateView:
        return StateView(self, state)

    def describe(self, state) -> str:
        """A few readable lines: each node's fields, the messages in flight, the timers, the budget left."""
        lines = []
        for i, (up, values) in enumerate(state[0]):
            fields = self._fields[i] if up else self._durable[i]
            body = ", ".join(f"{f}={v!r}" for f, v in zip(fields, values))
            lines.append(f"{self.ids[i]}{'' if up else ' (crashed)'}: {body}")
        msgs = sorted((f"{s}→{d} {_short(m)}" + (f" ×{c}" if c > 1 else "")) for (s, d, m), c in state[1])
        lines.append("in flight: " + ("; ".join(msgs) or "none"))
        lines.append("timers: " + (", ".join(f"{n}:{t}" for n, t in sorted(state[2], key=repr)) or "none"))
        if any(self.budget):
            lines.append("budget left: " + ", ".join(f"{k}={v}" for k, v in zip(BUDGET_KINDS, state[3]) if
                                                       self.budget[BUDGET_KINDS.index(k)]))
        return "\n".join(lines)


_KIND_ORDER = {"deliver": 0, "timer": 1, "drop": 2, "duplicate": 3, "crash": 4, "recover": 5}
_repr_cache: dict = {}


def _action_key(a: Action):
    r = _repr_cache.get(a)
    if r is None:
        if len(_repr_cache) > 200_000:
            _repr_cache.clear()
        r = _repr_cache[a] = (_KIND_ORDER[a.kind], repr(a.node), repr(a.peer), repr(a.data))
    return r


def _spend(budget: tuple, k: int) -> tuple:
    b = list(budget)
    b[k] -= 1
    return tuple(b)

