"""The simulation kernel: runs a Scenario on SimPy and records a Trace.

SimPy's :class:`simpy.Environment` keeps the clock and the event heap, keyed
``(time, priority, insertion id)``, so events at the same time run in the
order they were scheduled and a run is deterministic. Faults are scheduled
with SimPy's URGENT priority: a crash at t=2 happens before a message that
arrives at t=2. Work a node had to defer (a slow handler's effects, events
queued behind it, a paused node's backlog) is URGENT too, so it keeps its
place ahead of fresh arrivals at the same instant and FIFO links stay FIFO.

Handlers run through a :class:`~dsysedu.sim.node.Context` that records their
effects; the kernel applies the effects (sends, timers, observations), which is
where the network model, faults and the trace come in. The same handlers can
therefore run under the model checker, which applies effects its own way.
"""
from __future__ import annotations

import copy
import gc
from dataclasses import dataclass
from functools import partial
from heapq import heappop, heappush
from typing import Any, Hashable, NamedTuple

import simpy
from simpy.core import NORMAL, URGENT

from .faults import Fault, expand
from .network import Constant, Uniform
from .node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, Context
from .scenario import Scenario, sort_key
from .streams import normalize_seed, stream
from .trace import Trace

__all__ = ["Simulation", "run", "PendingEvent"]

# payload kinds
_DELIVER, _TIMER, _FAULT, _EFFECTS, _START, _SKIP = range(6)
UP, CRASHED, PAUSED = "up", "crashed", "paused"


class _Ev:
    """A triggered SimPy event that carries a payload: the smallest object ``Environment.step``
    accepts (it reads ``callbacks`` and ``_ok``). Cheaper than ``simpy.Event`` + attribute sets,
    and it shares one callbacks tuple (SimPy replaces the attribute, never mutates it)."""

    __slots__ = ("_value", "callbacks")
    _ok = True

    def __init__(self, value, callbacks):
        self._value = value
        self.callbacks = callbacks


class PendingEvent(NamedTuple):
    """An event waiting in the queue, as step mode shows it."""
    id: str
    time: float
    kind: str          # "deliver", "timer", "fault", "start", "effects"
    node: Any
    src: Any = None
    detail: Any = None  # the message, the timer name, or the fault action

    def label(self) -> str:
        if self.kind == "deliver":
            who = "outside" if self.src is None else f"{self.src}"
            return f"t={self.time:.3f} deliver {_short(self.detail)} {who}→{self.node}"
        if self.kind == "timer":
            return f"t={self.time:.3f} timer {self.detail!r} at {self.node}"
        return f"t={self.time:.3f} {self.kind} {self.detail if self.detail is not None else ''} {self.node if self.node is not None else ''}".strip()


def _short(msg) -> str:
    text = repr(msg)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class _Action(Fault):
    """One primitive fault action at a time (used to replay a schedule when forking)."""
    at: float
    kind: str
    args: tuple

    def actions(self):
        return [(self.at, self.kind, self.args)]

    def nodes(self):
        if self.kind == "partition":
            return tuple(n for g in self.args[0] for n in g)
        if self.kind in ("heal",):
            return ()
        return tuple(self.args[:2]) if self.kind in ("cut", "restore") else (self.args[0],)


class _SentNow:
    """A time-dependent latency bound to the simulation clock: ``sample`` passes the send time."""
    __slots__ = ("latency", "env")

    def __init__(self, latency, env):
        self.latency, self.env = latency, env

    def sample(self, rnd) -> float:
        return self.latency.sample_at(rnd, self.env.now)


class Simulation:
    """A run of a Scenario that can be advanced, stepped, poked and forked.

    Parameters
    ----------
    scenario : Scenario
    seed : None, int or numpy.random.Generator
        Defaults to ``scenario.seed``.

    Examples
    --------
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> sim = Simulation(Scenario(Flood, nodes=4, until=1.0), seed=1)
    >>> trace = sim.run()
    >>> trace.ended_by
    'quiescent'
    """

    def __init__(self, scenario: Scenario, seed=None):
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {scenario!r}")
        self.scenario = scenario
        self.seed = normalize_seed(scenario.seed if seed is None else seed)
        self.env = env = simpy.Environment()
        self._queue = env._queue  # SimPy's heap: (time, priority, eid, event)
        self._eid = env._eid
        self._callbacks = (self._dispatch,)
        self._deliver_callbacks = (self._on_deliver,)  # the hot paths skip the general dispatch
        self._timer_callbacks = (self._on_timer,)
        ids = scenario.node_ids
        graph = scenario._graph
        self._net = stream(self.seed, "network")
        self.neighbors = {n: tuple(sorted(graph.neighbors(n), key=sort_key)) for n in ids}
        self.nodes: dict = {}
        self._ctx: dict = {}
        for n in ids:
            self.nodes[n] = self._make_node(n)
            self._ctx[n] = Context(n, self.neighbors[n], make_rng=partial(stream, self.seed, f"node:{n}"),
                                   clock=self._clock_of, known=self.neighbors[n] + (n,))
        self._offset = {n: scenario.offset_of(n) for n in ids}
        self._drift = {n: scenario.drift_of(n) for n in ids}
        self._jump = {n: 0.0 for n in ids}
        self._status = {n: UP for n in ids}
        self._epoch = {n: 0 for n in ids}
        self._timers: dict = {n: {} for n in ids}
        self._timer_gen = 0
        self._backlog: dict = {n: [] for n in ids}
        self._slow: dict = {}
        self._busy_until: dict = {}
        self._groups: dict | None = None
        self._cut: set = set()
        self._blocked = False
        self._links: dict = {}
        self._last_arrival: dict = {}
        self._next_mid = 0
        self.handled = 0      # events dispatched (bounded by scenario.max_events)
        self._pops = 0        # queue entries taken, for replaying manual steps
        self._manual: list = []
        self.rows: list = []
        self.ended_by = "stopped"
        faults = list(scenario.faults)
        if scenario.nemesis is not None:
            faults += scenario.nemesis.schedule(ids, stream(self.seed, "faults"))
        self.faults = tuple(faults)
        self.trace = Trace(ids, self.rows, graph=graph, seed=self.seed,
                           meta={"stamp_clocks": scenario.stamp_clocks, "name": scenario.name,
                                 "until": scenario.until, "faults": self.faults})
        for at, _i, kind, args in expand(self.faults):
            self._schedule(at, (_FAULT, kind, args, f"fault:{kind}:{args!r}@{at:.9g}"), URGENT)
        for inp in scenario.inputs:
            mid = self._new_mid()
            self._schedule(inp.at, (_DELIVER, inp.node, None, mid, inp.msg, 0))
        for n in ids:
            self._schedule(0.0, (_START, n))

    # -- construction ---------------------------------------------------------
    def _make_node(self, n):
        cls = self.scenario.protocol_of(n)
        params = self.scenario.params_of(n)
        try:
            return cls(n, self.neighbors[n], **params)
        except TypeError as exc:
            raise TypeError(f"could not build {cls.__name__} for node {n!r} with params {params!r}: {exc}") from exc

    def _new_mid(self) -> int:
        mid = self._next_mid
        self._next_mid = mid + 1
        return mid

    def _schedule(self, at: float, payload, priority=NORMAL) -> None:
        heappush(self._queue, (at, priority, next(self._eid), _Ev(payload, self._callbacks)))

    def _clock_of(self, node, now: float) -> float:
        return self._offset[node] + (1.0 + self._drift[node]) * now + self._jump[node]

    @property
    def now(self) -> float:
        return self.env.now

    # -- running --------------------------------------------------------------
    def run_until(self, t: float) -> Trace:
        """Handle every event up to and including time ``t`` (within the event bound)."""
        queue = self._queue
        env = self.env
        limit = self.scenario.max_events
        # The trace grows by millions of small tuples; Python's cyclic GC would rescan them
        # again and again (it was 2/3 of the run time). Runs make no reference cycles worth
        # collecting mid-run, so the collector waits until the loop ends.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            while queue and queue[0][0] <= t:
                if self.handled >= limit:
                    self.ended_by = "max_events"
                    break
                self._pops += 1
                # SimPy's Environment.step, inlined: only our own _Ev events (always ok) are queued
                env._now, _, _, ev = heappop(queue)
                for callback in ev.callbacks:
                    callback(ev)
            else:
                if t > env._now:
                    env._now = t
        finally:
            if gc_was_enabled:
                gc.enable()
        self.trace.end_time = self.env._now
        return self.trace

    def run(self, until: float | None = None) -> Trace:
        """Run to ``until`` (default: the scenario's bound) and return the finished Trace."""
        until = self.scenario.until if until is None else float(until)
        self.run_until(until)
        if self.ended_by != "max_events":
            self.ended_by = "time" if self._live_queue() else "quiescent"
        self.trace.ended_by = self.ended_by
        self.trace.end_time = self.env._now
        if self.scenario.stamp_clocks:
            self.trace.clocks()
        return self.trace

    def _live_queue(self) -> bool:
        return any(self._is_live(e[3]._value) for e in self._queue)

    def _is_live(self, p) -> bool:
        k = p[0]
        if k == _SKIP:
            return False
        if k == _TIMER:
            _, node, name, gen, epoch = p
            return epoch == self._epoch[node] and self._timers[node].get(name) == gen
        return True

    # -- dispatch -------------------------------------------------------------
    def _dispatch(self, ev) -> None:
        p = ev._value
        k = p[0]
        if k == _DELIVER:
            self.handled += 1
            self._deliver(p)
        elif k == _TIMER:
            self._timer(p)
        elif k == _FAULT:
            self.handled += 1
            self._fault(p[1], p[2])
        elif k == _EFFECTS:
            self._effects_later(p)
        elif k == _START:
            self.handled += 1
            self._start(p[1])

    def _on_deliver(self, ev) -> None:
        self.handled += 1
        self._deliver(ev._value)

    def _on_timer(self, ev) -> None:
        self._timer(ev._value)

    def _run_handler(self, node, call, *args) -> None:
        ctx = self._ctx[node]
        now = ctx.now = self.env._now
        call(ctx, *args)
        if ctx.effects:
            eff = ctx.effects
            ctx.effects = []
            delay = self._slow.get(node) if self._slow else None
            if delay:
                self._busy_until[node] = now + delay
                self._schedule(now + delay, (_EFFECTS, node, eff, self._epoch[node]), URGENT)
            else:
                self._apply(node, eff, now)

    def _busy(self, node, p) -> bool:
        """A slow node handles one event at a time: re-queue ``p`` until it is free.

        Re-queued work is URGENT, like the handler's own effects, so it stays ahead of
        anything that arrives at the instant the node frees up (FIFO links stay FIFO)."""
        until = self._busy_until.get(node)
        if until is not None and until > self.env._now:
            self._schedule(until, p, URGENT)
            return True
        return False

    def _start(self, node) -> None:
        if self._status[node] is PAUSED:  # a node paused before it started starts when resumed
            self._backlog[node].append((_START, node))
            return
        if self._status[node] != UP:
            return
        self.rows.append((self.env._now, "start", node, None, None, None, None))
        self._run_handler(node, self.nodes[node].on_start)

    def _deliver(self, p) -> None:
        _, dst, src, mid, msg, _copy = p
        now = self.env._now
        status = self._status[dst]
        if status is not UP:
            if status is CRASHED:
                self.rows.append((now, "drop", dst, src, mid, msg, "crashed"))
            elif not (self._busy_until and self._busy(dst, p)):  # behind a slow handler's queue
                self._backlog[dst].append(p)
            return
        if self._blocked and src is not None:
            reason = self._block_reason(src, dst)
            if reason:
                self.rows.append((now, "drop", dst, src, mid, msg, reason))
                return
        if self._busy_until and self._busy(dst, p):
            return
        self.rows.append((now, "deliver", dst, src, mid, msg, None))
        ctx = self._ctx[dst]
        ctx.now = now
        self.nodes[dst].on_message(ctx, src, msg)
        if ctx.effects:
            eff = ctx.effects
            ctx.effects = []
            if self._slow and self._slow.get(dst):
                delay = self._slow[dst]
                self._busy_until[dst] = now + delay
                self._schedule(now + delay, (_EFFECTS, dst, eff, self._epoch[dst]), URGENT)
            else:
                self._apply(dst, eff, now)

    def _timer(self, p) -> None:
        _, node, name, gen, epoch = p
        if epoch != self._epoch[node] or self._timers[node].get(name) != gen:
            return  # cancelled, replaced, or the node crashed since
        self.handled += 1
        if self._status[node] is PAUSED:
            if not (self._busy_until and self._busy(node, p)):  # behind a slow handler's queue
                self._backlog[node].append(p)
            return
        if self._busy_until and self._busy(node, p):
            return
        del self._timers[node][name]
        self.rows.append((self.env._now, "timer_fire", node, None, None, name, None))
        self._run_handler(node, self.nodes[node].on_timer, name)

    def _effects_later(self, p) -> None:
        _, node, eff, epoch = p
        if epoch != self._epoch[node]:
            return
        if self._status[node] is PAUSED:
            self._backlog[node].append(p)
            return
        self._apply(node, eff, self.env._now)

    def _apply(self, node, effects, now) -> None:
        rows = self.rows
        for kind, a, b in effects:
            if kind == SEND:
                self._send(node, a, b, now)
            elif kind == SET_TIMER:
                self._timer_gen += 1
                gen = self._timer_gen
                self._timers[node][a] = gen
                rows.append((now, "timer_set", node, None, None, a, now + b))
                heappush(self._queue, (now + b, NORMAL, next(self._eid),
                                       _Ev((_TIMER, node, a, gen, self._epoch[node]), self._timer_callbacks)))
            elif kind == CANCEL_TIMER:
                if self._timers[node].pop(a, None) is not None:
                    rows.append((now, "timer_cancel", node, None, None, a, None))
            elif kind == OBSERVE:
                rows.append((now, "observe", node, None, None, a, b))

    def _link(self, src, dst):
        if src == dst:
            lm = None
            entry = (0.0, None, 0.0, 0.0, False, None)
        else:
            lm = self.scenario.link_of(src, dst)
            latency = lm.latency
            const = uniform = None
            if getattr(latency, "time_dependent", False):
                latency = _SentNow(latency, self.env)
            elif isinstance(latency, Constant):
                const = latency.delay
            elif isinstance(latency, Uniform):
                # drawn inline as low + span * random(), the same draw as Uniform.sample
                uniform = (latency.low, latency.high - latency.low)
            entry = (const, latency, lm.loss, lm.duplicate, lm.reorder, uniform)
        self._links[(src, dst)] = entry
        return entry

    def _send(self, src, dst, msg, now) -> None:
        mid = self._next_mid
        self._next_mid = mid + 1
        rows = self.rows
        rows.append((now, "send", src, dst, mid, msg, None))
        key = (src, dst)
        link = self._links.get(key) or self._link(src, dst)
        const, latency, loss, dup, reorder, uniform = link
        if self._blocked:
            reason = self._block_reason(src, dst)
            if reason:
                rows.append((now, "drop", dst, src, mid, msg, reason))
                return
        net = self._net
        if loss and net.random() < loss:
            rows.append((now, "drop", dst, src, mid, msg, "loss"))
            return
        if const is not None:
            arrival = now + const
        elif uniform is not None:
            arrival = now + uniform[0] + uniform[1] * net.random()
        else:
            arrival = now + latency.sample(net)
        if not reorder:
            last = self._last_arrival.get(key)
            if last is not None and arrival < last:
                arrival = last
            self._last_arrival[key] = arrival
        heappush(self._queue, (arrival, NORMAL, next(self._eid),
                               _Ev((_DELIVER, dst, src, mid, msg, 0), self._deliver_callbacks)))
        if dup and net.random() < dup:
            rows.append((now, "duplicate", dst, src, mid, msg, None))
            arrival2 = now + (const if const is not None else latency.sample(net))
            if not reorder:
                arrival2 = max(arrival2, self._last_arrival[key])
                self._last_arrival[key] = arrival2
            self._schedule(arrival2, (_DELIVER, dst, src, mid, msg, 1))

    def _block_reason(self, src, dst) -> str | None:
        if (src, dst) in self._cut:
            return "cut"
        g = self._groups
        if g is not None and src != dst and g[src] != g[dst]:
            return "partition"
        return None

    # -- faults ---------------------------------------------------------------
    def _fault(self, kind: str, args: tuple) -> None:
        now = self.env._now
        rows = self.rows
        if kind == "crash":
            (node,) = args
            if self._status[node] is CRASHED:
                return
            self._status[node] = CRASHED
            self._epoch[node] += 1
            self._timers[node] = {}
            waiting, self._backlog[node] = self._backlog[node], []
            self._busy_until.pop(node, None)
            rows.append((now, "crash", node, None, None, None, None))
            for p in waiting:  # messages waiting at a paused node are lost with it
                if p[0] == _DELIVER:
                    rows.append((now, "drop", node, p[2], p[3], p[4], "crashed"))
            # so are those queued behind a slow handler: the only URGENT deliveries in the queue
            for entry in sorted(e for e in self._queue if e[1] == URGENT and e[3]._value[0] == _DELIVER
                                and e[3]._value[1] == node):
                p = entry[3]._value
                entry[3]._value = (_SKIP,)
                entry[3].callbacks = self._callbacks
                rows.append((now, "drop", node, p[2], p[3], p[4], "crashed"))
        elif kind == "recover":
            (node,) = args
            if self._status[node] is not CRASHED:
                return
            old = self.nodes[node]
            fresh = self._make_node(node)
            for f in type(old).durable:
                setattr(fresh, f, copy.deepcopy(getattr(old, f)))
            self.nodes[node] = fresh
            self._status[node] = UP
            rows.append((now, "recover", node, None, None, None, None))
            self._run_handler(node, fresh.on_recover)
        elif kind == "pause":
            (node,) = args
            if self._status[node] is UP:
                self._status[node] = PAUSED
                rows.append((now, "pause", node, None, None, None, None))
        elif kind == "resume":
            (node,) = args
            if self._status[node] is PAUSED:
                self._status[node] = UP
                rows.append((now, "resume", node, None, None, None, None))
                waiting, self._backlog[node] = self._backlog[node], []
                for p in waiting:  # URGENT: ahead of what arrives at this same instant
                    self._schedule(now, p, URGENT)
        elif kind == "partition":
            (groups,) = args
            self._groups = {n: i for i, g in enumerate(groups) for n in g}
            rows.append((now, "partition", None, None, None, groups, None))
        elif kind == "heal":
            if self._groups is not None:
                self._groups = None
                rows.append((now, "heal", None, None, None, None, None))
        elif kind == "cut":
            self._cut.add(tuple(args))
            rows.append((now, "cut", args[0], args[1], None, None, None))
        elif kind == "restore":
            if tuple(args) in self._cut:
                self._cut.discard(tuple(args))
                rows.append((now, "restore", args[0], args[1], None, None, None))
        elif kind == "slow":
            node, delay = args
            if delay:
                self._slow[node] = delay
            else:
                self._slow.pop(node, None)
            rows.append((now, "slow", node, None, None, None, delay))
        elif kind == "clock_jump":
            node, delta = args
            self._jump[node] += delta
            rows.append((now, "clock_jump", node, None, None, None, delta))
        else:  # pragma: no cover - expand() only yields the kinds above
            raise ValueError(f"unknown fault action {kind!r}")
        self._blocked = bool(self._cut) or self._groups is not None

    # -- step mode ------------------------------------------------------------
    def status(self, node) -> str:
        """``"up"``, ``"crashed"`` or ``"paused"``."""
        return self._status[node]

    def pending(self, limit: int | None = None) -> list[PendingEvent]:
        """The events waiting in the queue, earliest first (stale timers left out)."""
        out = []
        for at, _prio, _eid, ev in sorted(self._queue, key=lambda e: e[:3]):
            p = ev._value
            if not self._is_live(p):
                continue
            out.append(self._describe(at, p))
            if limit is not None and len(out) >= limit:
                break
        return out

    def _describe(self, at, p) -> PendingEvent:
        k = p[0]
        if k == _DELIVER:
            _, dst, src, mid, msg, copy_no = p
            pid = f"deliver:{mid}" + (":dup" if copy_no else "")
            return PendingEvent(pid, at, "deliver", dst, src, msg)
        if k == _TIMER:
            _, node, name, gen, _epoch = p
            return PendingEvent(f"timer:{node}:{name}:{gen}", at, "timer", node, None, name)
        if k == _FAULT:
            return PendingEvent(p[3], at, "fault", p[2][0] if p[2] and p[1] != "partition" else None, None,
                                p[1])
        if k == _START:
            return PendingEvent(f"start:{p[1]}", at, "start", p[1])
        return PendingEvent(f"effects:{p[1]}:{at:.9g}", at, "effects", p[1])

    def step(self) -> list[tuple]:
        """Handle the next live event; return the trace rows it added."""
        start = len(self.rows)
        while self._queue:
            p = self._queue[0][3]._value
            live = self._is_live(p)
            if self.handled >= self.scenario.max_events:
                self.ended_by = "max_events"
                break
            self._pops += 1
            self.env.step()
            if live:
                break
        self.trace.end_time = self.env._now
        return self.rows[start:]

    def take(self, event_id: str) -> list[tuple]:
        """Handle the pending event ``event_id`` now, out of its turn (step mode).

        A message delivered this way arrives earlier than its latency said: the learner
        chooses the order. Returns the trace rows it added.
        """
        ev, p = self._find_pending(event_id)
        self._manual.append(("take", event_id, self._pops, self.env._now))
        ev._value = (_SKIP,)
        ev.callbacks = self._callbacks  # the general dispatch, which skips it
        start = len(self.rows)
        self._dispatch_payload(p)
        return self.rows[start:]

    def _find_pending(self, event_id: str):
        for entry in self._queue:
            ev = entry[3]
            p = ev._value
            if self._is_live(p) and self._describe(entry[0], p).id == event_id:
                return ev, p
        ids = [e.id for e in self.pending(limit=20)]
        raise ValueError(f"no pending event {event_id!r}; pending: {ids}")

    def drop(self, event_id: str) -> list[tuple]:
        """Lose the pending message ``event_id`` now, by hand (step mode): a drop with reason ``manual``.

        Only deliveries can be dropped; returns the trace rows added.
        """
        ev, p = self._find_pending(event_id)
        if p[0] != _DELIVER:
            raise ValueError(f"only messages can be dropped; {event_id!r} is not a delivery")
        self._manual.append(("drop", event_id, self._pops, self.env._now))
        ev._value = (_SKIP,)
        ev.callbacks = self._callbacks  # the general dispatch, which skips it
        _, dst, src, mid, msg, _copy = p
        self.rows.append((self.env._now, "drop", dst, src, mid, msg, "manual"))
        return self.rows[-1:]

    def inject(self, node, msg) -> list[tuple]:
        """Deliver ``msg`` from outside (``src=None``, like an :class:`Input`) to ``node`` now."""
        if node not in self.nodes:
            raise ValueError(f"inject: unknown node {node!r}; nodes are {list(self.nodes)}")
        from .node import check_message
        check_message(msg)
        self._manual.append(("inject", (node, msg), self._pops, self.env._now))
        start = len(self.rows)
        self._dispatch_payload((_DELIVER, node, None, self._new_mid(), msg, 0))
        return self.rows[start:]

    def _dispatch_payload(self, p) -> None:
        self._dispatch(_Ev(p, ()))

    def apply(self, fault: Fault) -> list[tuple]:
        """Apply a fault now, by hand (its ``at`` is ignored; ``until`` parts are scheduled)."""
        if not isinstance(fault, Fault):
            raise TypeError(f"apply() takes a Fault (Crash, Partition, ...), got {fault!r}")
        from .faults import validate_faults
        validate_faults([fault], self.scenario.node_ids)
        self._manual.append(("apply", fault, self._pops, self.env._now))
        start = len(self.rows)
        acts = fault.actions()
        first = acts[0][0]
        now = self.env._now
        for at, kind, args in acts:
            if at == first:
                self._fault(kind, args)
            else:
                when = now + (at - first)
                self._schedule(when, (_FAULT, kind, args, f"fault:{kind}:{args!r}@{when:.9g}"), URGENT)
        return self.rows[start:]

    def fork(self, t: float, faults=()) -> "Simulation":
        """Replay this run to time ``t``, then continue under a different fault schedule.

        The new simulation keeps every fault action before ``t`` (and the manual steps taken
        before ``t``), drops the old schedule's actions from ``t`` on, and adds ``faults``
        (which must happen at or after ``t``). Its trace up to ``t`` equals this one's.
        """
        t = float(t)
        if faults is None:
            faults = ()
        if isinstance(faults, Fault):
            faults = [faults]
        for f in faults:
            if not isinstance(f, Fault):
                raise TypeError(f"fork faults must be Faults, got {f!r}")
            if min(a[0] for a in f.actions()) < t:
                raise ValueError(f"fork faults must happen at or after t={t:g}, got {f!r}")
        # fault events taken by hand before t already happened, whenever they were due
        taken = {arg for op, arg, _pops, when in self._manual if op == "take" and when < t}
        kept = [_Action(at, kind, args) for at, _i, kind, args in expand(self.faults)
                if at < t or f"fault:{kind}:{args!r}@{at:.9g}" in taken]
        scenario = self.scenario.replace(faults=tuple(kept) + tuple(faults), nemesis=None)
        child = Simulation(scenario, seed=self.seed)
        for op, arg, pops, when in self._manual:
            if when >= t:  # like the fault actions: only what happened before t
                break
            child._advance_pops(pops)
            child.env._now = max(child.env._now, when)  # the step may have come after run_until moved the clock
            if op == "take":
                child.take(arg)
            elif op == "drop":
                child.drop(arg)
            elif op == "inject":
                child.inject(*arg)
            else:
                child.apply(arg)
        child.run_until(t)
        return child

    def _advance_pops(self, pops: int) -> None:
        while self._pops < pops and self._queue:
            self._pops += 1
            self.env.step()


def run(scenario: Scenario, seed=None) -> Trace:
    """Run ``scenario`` to its bound and return its Trace.

    Parameters
    ----------
    scenario : Scenario
    seed : None, int or numpy.random.Generator
        Defaults to ``scenario.seed``. The same scenario and seed give the same trace.

    Examples
    --------
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> t1 = run(Scenario(Flood, nodes=5), seed=3)
    >>> t1 == run(Scenario(Flood, nodes=5), seed=3)
    True
    """
    return Simulation(scenario, seed=seed).run()
