"""The state space of a model: what a state is, which actions a state enables, what they do.

A :class:`Model` wraps a :class:`~dsysedu.sim.Scenario` (the same protocol classes the
simulator runs) and turns it into a transition system:

* a **state** holds each node's comparable state (its ``state_fields``, frozen into
  hashable values) and whether it is up; the multiset of messages in flight
  ``(src, dst, msg)``; the set of pending timers ``(node, name)``; and the fault budget
  left (drops, duplicates, crashes, recoveries);
* with ``fifo=True`` the messages in flight are one queue per directed link ``(src, dst)``:
  only the oldest message on a link can arrive (a TCP connection, a Spin channel);
* an **action** is one of ``deliver`` (a message in flight arrives), ``timer`` (a pending
  timer fires), and, within the budget, ``drop``, ``duplicate``, ``crash`` and ``recover``.

**Time is abstracted away**: any pending timer may fire at any moment, whatever its delay,
and any message in flight may arrive next, whatever was sent first (unless the model is
FIFO: then any link's oldest message). This covers every timing the simulator could
produce (and more: orders no real latency would give).
Handlers run on a node object rebuilt from the state; their effects are applied to the
successor state as the kernel would apply them. ``ctx.rng`` is reset before every handler
call, so a step is a function of the state (random choices are not explored).

Crash and recovery mirror the kernel: a crashed node keeps only its ``durable`` fields
and loses its timers; messages already sent to it stay in flight and are lost if they
arrive while it is down; recovery builds a fresh instance, copies the durable fields and
calls ``on_recover`` (by default ``on_start``).

Speed: every node state, message and timer is *interned* (numbered once), so a state is
a tuple of small ints ``(node entries, sorted message ids, sorted timer ids, budget)``,
cheap to hash and compare. Because a handler's outcome depends only on its node's state
and the event, each ``(node state, event)`` is run through the handler once and the
outcome remembered: most transitions of a large search never call a handler. An outcome
also remembers the timer tuples that follow from it, and the ``(code, x)`` action tuples
are made once per message or timer, so a remembered transition allocates little more than
its successor state.

Length: this module is longer than our ~500-line rule on purpose. :class:`Model` is one
concept, and its transition function (``_successors`` with ``_step``) is the model checker's
inner loop, kept in one place with its tables in local variables because that is where the
search spends its time. The search, symmetry reduction, the values predicates read and the
results live in the sibling modules.
"""
from __future__ import annotations

import random
from typing import Callable

from dsysedu.sim.node import CANCEL_TIMER, SEND, SET_TIMER, Context, Node
from dsysedu.sim.scenario import Scenario, sort_key
from .values import _THAWED, Action, NodeReader, StateReader, _short, freeze, thaw

__all__ = ["Model", "Action", "StateReader", "NodeReader", "freeze", "thaw"]

BUDGET_KINDS = ("drops", "duplicates", "crashes", "recoveries")
_DROP, _DUP, _CRASH, _RECOVER = range(4)


class _LazyRng:
    """``ctx.rng`` for one handler call: a ``random.Random(0)`` made only if the handler uses it."""
    __slots__ = ("_r",)

    def __init__(self):
        self._r = None

    def __getattr__(self, name):
        if self._r is None:
            self._r = random.Random(0)
        return getattr(self._r, name)


# codes of compact actions (kind, x): x is a message id, a timer id or a node index
DELIVER, TIMER, DROP, DUPLICATE, CRASH, RECOVER = range(6)
# node tuples after remembered outcomes, at most (one tuple per transition at worst: memory
# stays O(states) plus this)
NODES_REMEMBERED = 1 << 20
KINDS = ("deliver", "timer", "drop", "duplicate", "crash", "recover")


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
    final : callable(StateReader) -> bool, optional
        States where having nothing left to do is success, not a deadlock.
    fire : callable(NodeReader, name) -> bool, optional
        Which pending timers may fire (default: all). A way to bound a model, e.g. no
        election timeouts once ``current_term >= max_term``.
    rename : callable(value, mapping) -> value, optional
        Replaces the generic renaming of ids under symmetry.
    fifo : bool
        Each directed link ``(src, dst)`` delivers in the order sent, as a TCP connection,
        a Spin channel or the sequence-valued channels of most TLA+ specs do. Only the oldest
        message on each link may arrive next; a drop or a duplicate (within the budget) acts
        on that oldest message too (a lossy FIFO channel loses or repeats its head; a loss
        further back is the same run with the loss taken later). Default False: any message
        in flight may arrive next.
    discard : callable(NodeReader, src, msg) -> bool, optional
        State compression: a message for which this returns True can no longer change
        anything at its destination (a reply of a term the node has left, say), so it is
        removed from the state at once instead of lingering until a no-op delivery; states
        that differ only by such messages become one. It must stay true: true for a node's
        state means true for every later state of that node, crashes and recoveries
        included (the reader of a crashed node has only its durable fields). The result is
        the same set of node states with fewer states to store.
    name : str
        Shown in results.

    Notes
    -----
    A state is only meaningful to the Model that made it (its numbers index that model's
    tables): compare states of one model, never across two models.

    Handlers must be deterministic functions of the node's ``state_fields`` and the event
    (the course's rule for handlers); fields outside ``state_fields`` are configuration and
    must not change. The model remembers each handler outcome, so a handler that broke the
    rule would be explored wrongly.

    Examples
    --------
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> m = Model(Flood, nodes=3)
    >>> for a in m.actions(m.initial()):
    ...     print(a)
    deliver Rumor(origin=0, text='hello') 0→1
    deliver Rumor(origin=0, text='hello') 0→2
    """

    def __init__(self, scenario, nodes=3, params=None, node_params=None, inputs=(), *, drops=0, duplicates=0,
                 crashes=0, recoveries=0, symmetric=(), final: Callable | None = None, fire: Callable | None = None,
                 rename: Callable | None = None, fifo: bool = False, discard: Callable | None = None,
                 name: str | None = None):
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
        for f, label in ((final, "final"), (fire, "fire"), (rename, "rename"), (discard, "discard")):
            if f is not None and not callable(f):
                raise TypeError(f"{label} must be callable or None, got {f!r}")
        if not isinstance(fifo, bool):
            raise TypeError(f"fifo must be True or False, got {fifo!r}")
        self.final, self.fire, self.rename, self.fifo, self.discard = final, fire, rename, fifo, discard
        graph = scenario._graph
        self.ids = scenario.node_ids
        self.index = {n: i for i, n in enumerate(self.ids)}
        self._classes, self._templates, self._fields, self._durable, self._pos, self._ctx = [], [], [], [], [], []
        self._dpos: list = []
        self._field_pos: dict = {}
        self._neighbors = []
        for n in self.ids:
            nbrs = tuple(sorted(graph.neighbors(n), key=sort_key))
            self._neighbors.append(nbrs)
            cls = scenario.protocol_of(n)
            tpl = cls(n, nbrs, **scenario.params_of(n))
            fields = cls.state_fields
            if fields is None:
                fields = tuple(sorted(k for k in vars(tpl) if k not in ("id", "peers")))
            for f in fields:
                if callable(getattr(Node, f, None)):
                    raise ValueError(f"{cls.__name__}.{f} hides the Node method {f}(); rename the field")
                if f not in vars(tpl):
                    raise ValueError(f"{cls.__name__}.state_fields names {f!r}, which the node does not set")
            self._classes.append(cls)
            self._templates.append(tpl)
            self._fields.append(tuple(fields))
            self._durable.append(tuple(cls.durable))
            self._pos.append({f: j for j, f in enumerate(fields)})
            self._dpos.append({f: j for j, f in enumerate(cls.durable)})
            self._ctx.append(Context(n, nbrs, known=nbrs + (n,)))
        self.symmetric = tuple(symmetric)
        self._check_symmetric()
        # interning tables: id -> value and value -> id
        self._E, self._E_id = [], {}      # node entries (node index, up, values)
        self._M, self._M_id = [], {}      # messages (src, dst, msg)
        self._T, self._T_id = [], {}      # timers (node, name)
        self._T_node: list = []           # timer id -> node index
        self._M_dst: list = []            # message id -> destination index
        # message id -> what orders and groups messages in flight: the id itself, or under FIFO
        # the id of its link (a stable sort by link keeps each link's messages in send order)
        self._M_group: list = []
        self._L_id: dict = {}             # link (src, dst) -> link id (FIFO)
        self._order = None if not fifo else self._M_group.__getitem__   # sort key of messages in flight
        self._dead: dict = {}             # (entry id, message id) -> discard's answer
        self._memo: dict = {}             # (entry id, crash/recover, None) -> outcome
        # entry id -> {message id: (entry id, sends, timers set, cancelled, {timers: after}, {nodes: after})}
        self._memo_msg: list = []
        self._memo_timer: list = []       # entry id -> {timer id: (same)}
        self._acts: list = []             # message id -> its (DELIVER, id), shared by all transitions
        self._tacts: list = []            # timer id -> its (TIMER, id)
        self._nodes_room = NODES_REMEMBERED   # how many more node tuples the outcomes may remember
        self.handler_calls = 0
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
                raise ValueError(f"symmetric nodes must run the same class with the same params: "
                                 f"{first!r} and {n!r} differ")
            if set(self._neighbors[self.index[n]]) | {n} != closed:
                raise ValueError(f"symmetric nodes must have the same links: {first!r} and {n!r} differ")

    def __repr__(self) -> str:
        b = ", ".join(f"{k}={v}" for k, v in zip(BUDGET_KINDS, self.budget) if v)
        return (f"<Model {self.name or self._classes[0].__name__}: {len(self.ids)} nodes"
                + (", FIFO links" if self.fifo else "") + (f", {b}" if b else "")
                + (f", symmetric {list(self.symmetric)}" if self.symmetric else "") + ">")

    # -- interning ---------------------------------------------------------------------------
    def _entry(self, i, up, values) -> int:
        key = (i, up, values)
        try:
            e = self._E_id.get(key)
        except TypeError:  # a field holds a value that cannot be hashed: say which
            raise TypeError(self._unhashable(i, values)) from None
        if e is None:
            e = self._E_id[key] = len(self._E)
            self._E.append(key)
            self._memo_msg.append({})
            self._memo_timer.append({})
        return e

    def _unhashable(self, i, values) -> str:
        for f, v in zip(self._fields[i], values):
            try:
                hash(v)
            except TypeError as exc:
                return (f"the model checker keeps node states in a set: field {f!r} of node {self.ids[i]!r} "
                        f"({self._classes[i].__name__}) holds {type(v).__name__} {v!r}, which cannot be hashed "
                        f"({exc}); use a tuple, frozenset, frozen dataclass or list/dict/set of such values")
        return f"a state of node {self.ids[i]!r} cannot be hashed"

    def _msg(self, key) -> int:
        m = self._M_id.get(key)
        if m is None:
            m = self._M_id[key] = len(self._M)
            self._M.append(key)
            self._M_dst.append(self.index[key[1]])
            if self.fifo:
                link = key[:2]
                self._M_group.append(self._L_id.setdefault(link, len(self._L_id)))
            else:
                self._M_group.append(m)
            self._acts.append((DELIVER, m))
        return m

    def _timer(self, key) -> int:
        t = self._T_id.get(key)
        if t is None:
            t = self._T_id[key] = len(self._T)
            self._T.append(key)
            self._T_node.append(self.index[key[0]])
            self._tacts.append((TIMER, t))
        return t

    # -- nodes <-> state ---------------------------------------------------------------------
    def _build(self, i, values):
        obj = object.__new__(self._classes[i])
        d = obj.__dict__
        d.update(self._templates[i].__dict__)
        for f, v in zip(self._fields[i], values):
            d[f] = thaw(v) if type(v) in _THAWED else v
        return obj

    def _freeze_node(self, i, obj) -> tuple:
        d = obj.__dict__
        return tuple(freeze(d[f]) for f in self._fields[i])

    def _run(self, i, call, *args) -> list:
        ctx = self._ctx[i]
        ctx.effects = []
        ctx.rng = _LazyRng()
        self.handler_calls += 1
        call(ctx, *args)
        return ctx.effects

    def _outcome(self, i, obj, effects, record) -> tuple:
        """(new entry id, message ids sent, timers set, timers cancelled, {}, {}) of a handler's run.

        A timer set and cancelled in one call counts as what was done last. The dict fills
        with the timer tuples that follow from this outcome (see :meth:`_timers_after`), the
        second with the node tuples."""
        n = self.ids[i]
        sends, last = [], {}
        for kind, a, b in effects:
            if kind == SEND:
                sends.append(self._msg((n, a, b)))
            elif kind == SET_TIMER:
                last[self._timer((n, a))] = True
            elif kind == CANCEL_TIMER:
                last[self._timer((n, a))] = False
            if record is not None:
                record.append((kind, a, b))
        adds = frozenset(t for t, v in last.items() if v)
        removes = frozenset(t for t, v in last.items() if not v)
        return self._entry(i, True, self._freeze_node(i, obj)), tuple(sends), adds, removes, {}, {}

    def initial(self, record=None) -> tuple:
        """The initial state: every node built and started (in id order), inputs in flight."""
        if self._init is not None and record is None:
            return self._init
        msgs, timers, nodes = [], set(), []
        for i, n in enumerate(self.ids):
            obj = self._build(i, self._freeze_node(i, self._templates[i]))
            eff = self._run(i, obj.on_start)
            if record is not None:
                record.append(("start", n, eff))
            e, sends, adds, removes, _t, _n = self._outcome(i, obj, eff, None)
            msgs.extend(sends)
            timers -= removes
            timers |= adds
            nodes.append(e)
        msgs.extend(self._msg(key) for key in self._inputs)
        state = (tuple(nodes), tuple(sorted(msgs, key=self._order)), tuple(sorted(timers)), self.budget)
        if self.discard is not None:
            state = self._prune(state)
        if record is None:
            self._init = state
        return state

    # -- the hot loop --------------------------------------------------------------------------
    def _enabled(self, state, protocol_only=False) -> list:
        """Compact actions ``(code, x)`` enabled in ``state``, in a fixed order."""
        nodes, msgs, timers, budget = state
        group = self._M_group
        out = []
        prev = -1
        for x in msgs:
            if group[x] != prev:   # one per distinct message, or under FIFO one per link (its oldest)
                out.append((DELIVER, x))
                prev = group[x]
        fire = self.fire
        for t in timers:
            if fire is None:
                out.append((TIMER, t))
            else:
                i = self._T_node[t]
                if fire(NodeReader(self, i, nodes[i]), self._T[t][1]):
                    out.append((TIMER, t))
        if protocol_only:
            return out
        if budget[_DROP] or budget[_DUP]:
            prev = -1
            for x in msgs:
                if group[x] != prev:
                    if budget[_DROP]:
                        out.append((DROP, x))
                    if budget[_DUP]:
                        out.append((DUPLICATE, x))
                    prev = group[x]
        if budget[_CRASH] or budget[_RECOVER]:
            E = self._E
            for i, e in enumerate(nodes):
                if E[e][1]:
                    if budget[_CRASH]:
                        out.append((CRASH, i))
                elif budget[_RECOVER]:
                    out.append((RECOVER, i))
        return out

    def _step(self, state, code, x, record=None) -> tuple:
        nodes, msgs, timers, budget = state
        if code == DELIVER or code == TIMER:
            if code == DELIVER:
                i = self._M_dst[x]
                lst = list(msgs)
                lst.remove(x)
                e = nodes[i]
                if not self._E[e][1]:   # it arrives while the node is down: lost
                    if record is not None:
                        record.append(("lost",))
                    return nodes, tuple(lst), timers, budget
                tl = None
            else:
                i = self._T_node[x]
                e = nodes[i]
                lst = None
                tl = set(timers)
                tl.discard(x)
            table = (self._memo_msg if code == DELIVER else self._memo_timer)[e]
            out = table.get(x) if record is None else None
            if out is None:
                obj = self._build(i, self._E[e][2])
                if code == DELIVER:
                    src, _dst, msg = self._M[x]
                    eff = self._run(i, obj.on_message, src, msg)
                else:
                    eff = self._run(i, obj.on_timer, self._T[x][1])
                out = self._outcome(i, obj, eff, record)
                table[x] = out
            ne, sends, adds, removes, _t, _n = out
            if sends:
                if lst is None:
                    lst = list(msgs)
                lst.extend(sends)
                lst.sort(key=self._order)
            if adds or removes:
                if tl is None:
                    tl = set(timers)
                tl -= removes
                tl |= adds
            return (nodes[:i] + (ne,) + nodes[i + 1:], msgs if lst is None else tuple(lst),
                    timers if tl is None else tuple(sorted(tl)), budget)
        if code == DROP or code == DUPLICATE:
            lst = list(msgs)
            if code == DROP:
                lst.remove(x)
                return nodes, tuple(lst), timers, _spend(budget, _DROP)
            if self.fifo:
                lst.insert(lst.index(x), x)   # the copy arrives right after the original
            else:
                lst.append(x)
                lst.sort()
            return nodes, tuple(lst), timers, _spend(budget, _DUP)
        i = x
        e = nodes[i]
        if code == CRASH:
            out = self._memo.get((e, CRASH, None))
            if out is None:
                obj = self._build(i, self._E[e][2])
                out = self._entry(i, False, tuple(freeze(getattr(obj, f)) for f in self._durable[i]))
                self._memo[(e, CRASH, None)] = out
            tn = self._T_node
            return (nodes[:i] + (out,) + nodes[i + 1:], msgs, tuple(t for t in timers if tn[t] != i),
                    _spend(budget, _CRASH))
        # RECOVER
        out = self._memo.get((e, RECOVER, None)) if record is None else None
        if out is None:
            fresh = self._build(i, self._freeze_node(i, self._templates[i]))
            for f, v in zip(self._durable[i], self._E[e][2]):
                setattr(fresh, f, thaw(v))
            eff = self._run(i, fresh.on_recover)
            out = self._outcome(i, fresh, eff, record)
            self._memo[(e, RECOVER, None)] = out
        ne, sends, adds, removes, _t, _n = out
        lst = sorted(msgs + sends, key=self._order) if sends else msgs
        tl = (set(timers) - removes) | adds
        return nodes[:i] + (ne,) + nodes[i + 1:], tuple(lst), tuple(sorted(tl)), _spend(budget, _RECOVER)

    def _successors(self, state) -> list:
        """``[((code, x), next_state), ...]``: the search's inner loop.

        Deliveries and timers whose handler outcome is remembered are applied here directly
        (the common case); everything else goes through :meth:`_step`. Same order as :meth:`_enabled`.
        The action tuples are shared (one per message or timer), and each outcome remembers
        the timer tuples (:meth:`_timers_after`) and the node tuples that follow from it."""
        nodes, msgs, timers, budget = state
        memo_msg, memo_timer, mdst, tnode = self._memo_msg, self._memo_timer, self._M_dst, self._T_node
        acts, group, order = self._acts, self._M_group, self._order
        room = self._nodes_room
        out = []
        append = out.append
        prev = -1
        k = -1
        for x in msgs:
            k += 1
            if group[x] == prev:
                continue
            prev = group[x]
            i = mdst[x]
            r = memo_msg[nodes[i]].get(x)
            if r is None:
                append((acts[x], self._step(state, DELIVER, x)))
                continue
            ne, sends, adds, removes, after, nafter = r
            if sends:
                rest = list(msgs)
                del rest[k]
                rest += sends
                rest.sort(key=order)
                rest = tuple(rest)
            else:
                rest = msgs[:k] + msgs[k + 1:]
            if adds or removes:
                ts = after.get(timers)
                if ts is None:
                    ts = self._timers_after(timers, -1, r)
            else:
                ts = timers
            nn = nafter.get(nodes)
            if nn is None:
                nn = nodes[:i] + (ne,) + nodes[i + 1:]
                if room:
                    nafter[nodes] = nn
                    room -= 1
            append((acts[x], (nn, rest, ts, budget)))
        if timers:
            fire = self.fire
            tacts = self._tacts
            for t in timers:
                i = tnode[t]
                if fire is not None and not fire(NodeReader(self, i, nodes[i]), self._T[t][1]):
                    continue
                r = memo_timer[nodes[i]].get(t)
                if r is None:
                    append((tacts[t], self._step(state, TIMER, t)))
                    continue
                ne, sends, adds, removes, after, nafter = r
                if sends:
                    rest = list(msgs)
                    rest += sends
                    rest.sort(key=order)
                    rest = tuple(rest)
                else:
                    rest = msgs
                ts = after.get(timers)
                if ts is None:
                    ts = self._timers_after(timers, t, r)
                nn = nafter.get(nodes)
                if nn is None:
                    nn = nodes[:i] + (ne,) + nodes[i + 1:]
                    if room:
                        nafter[nodes] = nn
                        room -= 1
                append((tacts[t], (nn, rest, ts, budget)))
        self._nodes_room = room
        if any(budget):
            step = self._step
            for a in self._enabled(state)[len(out):]:
                append((a, step(state, a[0], a[1])))
        if self.discard is not None:
            prune = self._prune
            return [(a, prune(s)) for a, s in out]
        return out

    def _prune(self, state) -> tuple:
        """``state`` without the messages in flight that ``discard`` calls dead at their destination."""
        nodes, msgs, timers, budget = state
        dead, dst = self._dead, self._M_dst
        keep = None
        for k, x in enumerate(msgs):
            e = nodes[dst[x]]
            d = dead.get((e, x))
            if d is None:
                src, _dst, msg = self._M[x]
                d = dead[(e, x)] = bool(self.discard(NodeReader(self, dst[x], e), src, msg))
            if d:
                if keep is None:
                    keep = list(msgs[:k])
            elif keep is not None:
                keep.append(x)
        return state if keep is None else (nodes, tuple(keep), timers, budget)

    @staticmethod
    def _timers_after(timers, fired, outcome) -> tuple:
        """The sorted timer ids after timer ``fired`` (-1: none) and a handler ``outcome``.

        Remembered in the outcome's dict: an outcome belongs to one event (a message, or the
        timer ``fired``), so the timers before determine the timers after."""
        ts = set(timers)
        ts.discard(fired)
        ts -= outcome[3]
        ts |= outcome[2]
        out = outcome[4][timers] = tuple(sorted(ts))
        return out

    # -- the public face: readable actions ------------------------------------------------------
    def action(self, compact) -> Action:
        """The readable :class:`Action` of a compact ``(code, x)``."""
        code, x = compact
        if code in (DELIVER, DROP, DUPLICATE):
            src, dst, msg = self._M[x]
            return Action(KINDS[code], dst, src, msg)
        if code == TIMER:
            n, name = self._T[x]
            return Action("timer", n, None, name)
        return Action(KINDS[code], self.ids[x])

    def compact(self, action: Action) -> tuple:
        """The ``(code, x)`` of an :class:`Action`; ValueError if it names nothing known."""
        if not isinstance(action, Action):
            raise TypeError(f"expected an Action, got {action!r}")
        if action.kind not in KINDS:
            raise ValueError(f"unknown action kind {action.kind!r}; kinds are {', '.join(KINDS)}")
        code = KINDS.index(action.kind)
        if code in (DELIVER, DROP, DUPLICATE):
            x = self._M_id.get((action.peer, action.node, action.data))
        elif code == TIMER:
            x = self._T_id.get((action.node, action.data))
        else:
            x = self.index.get(action.node)
        if x is None:
            raise ValueError(f"{action} is not enabled: it names a message, timer or node this model has never seen")
        return code, x

    def actions(self, state, protocol_only: bool = False) -> list:
        """The :class:`Action` s enabled in ``state`` (``protocol_only``: no fault actions)."""
        return [self.action(a) for a in self._enabled(state, protocol_only)]

    def step(self, state, action: Action, record=None) -> tuple:
        """The state after ``action``; ValueError if it is not enabled in ``state``.

        ``record``, a list, receives the handler's effects ``(kind, a, b)`` (for traces).
        """
        a = self.compact(action)
        if a not in self._enabled(state):
            raise ValueError(f"{action} is not enabled in this state")
        nxt = self._step(state, a[0], a[1], record)
        return nxt if self.discard is None else self._prune(nxt)

    def successors(self, state) -> list:
        """``[(action, next_state), ...]`` for every enabled action."""
        return [(self.action(a), s) for a, s in self._successors(state)]

    def is_deadlock(self, state) -> bool:
        """No message can be delivered to an up node and no timer can fire, and the state is not final."""
        E = self._E
        nodes = state[0]
        dst = self._M_dst
        if any(E[nodes[dst[x]]][1] for x in state[1]):
            return False
        if state[2] and self._enabled((nodes, (), state[2], state[3]), protocol_only=True):
            return False
        return not (self.final is not None and self.final(StateReader(self, state)))

    def view(self, state) -> StateReader:
        return StateReader(self, state)

    def describe(self, state) -> str:
        """A few readable lines: each node's fields, the messages in flight, the timers, the budget left."""
        lines = []
        for i, e in enumerate(state[0]):
            _i, up, values = self._E[e]
            fields = self._fields[i] if up else self._durable[i]
            body = ", ".join(f"{f}={v!r}" for f, v in zip(fields, values))
            lines.append(f"{self.ids[i]}{'' if up else ' (crashed)'}: {body}")
        if self.fifo:   # one queue per link, oldest first
            queues: dict = {}
            for x in state[1]:
                queues.setdefault(self._M[x][:2], []).append(_short(self._M[x][2]))
            msgs = sorted(f"{src}→{dst} [{', '.join(q)}]" for (src, dst), q in queues.items())
        else:
            counts: dict = {}
            for x in state[1]:
                counts[x] = counts.get(x, 0) + 1
            msgs = sorted(f"{self._M[x][0]}→{self._M[x][1]} {_short(self._M[x][2])}" + (f" ×{c}" if c > 1 else "")
                          for x, c in counts.items())
        lines.append("in flight" + (" (FIFO, oldest first)" if self.fifo else "") + ": " + ("; ".join(msgs) or "none"))
        lines.append("timers: " + (", ".join(sorted(f"{n}:{t}" for n, t in (self._T[x] for x in state[2])))
                                   or "none"))
        if any(self.budget):
            lines.append("budget left: " + ", ".join(f"{k}={v}" for k, v, b in zip(BUDGET_KINDS, state[3], self.budget)
                                                       if b))
        return "\n".join(lines)


def _spend(budget: tuple, k: int) -> tuple:
    b = list(budget)
    b[k] -= 1
    return tuple(b)
