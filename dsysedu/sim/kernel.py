"""The simulation kernel: runs a Scenario and records a Trace.

The clock and the event heap are SimPy's (:mod:`dsysedu.sim.event_queue`), keyed
``(time, priority, insertion id)``, so events at the same time run in the order they
were scheduled and a run is deterministic. Faults are scheduled with URGENT priority:
a crash at t=2 happens before a message that arrives at t=2. Work a node had to defer
(a slow handler's effects, events queued behind it, a paused node's backlog) is URGENT
too, so it keeps its place ahead of fresh arrivals at the same instant and FIFO links
stay FIFO.

Handlers run through a :class:`~dsysedu.sim.node.Context` that records their effects;
the kernel applies the effects (sends, timers, observations) in one place,
:meth:`Simulation._apply`. Where a message goes is the :class:`~dsysedu.sim.network.Network`'s
decision; each fault kind of :data:`~dsysedu.sim.faults.FAULT_KINDS` is one ``_on_<kind>``
method here; step mode and fork are :mod:`dsysedu.sim.stepping`. The same handlers can
run under the model checker, which applies effects its own way.

Queue entries are tuples ``(time, priority, id, handler, *fields)`` (see
:mod:`~dsysedu.sim.event_queue`):

==========  =====================================
handler     fields
==========  =====================================
_deliver    dst, src, msg id, message, copy (0, or 1 for a duplicate)
_fire       node, timer name, timer generation, node epoch
_fault      fault kind, its arguments, step-mode id
_start      node
_deferred   node, effects, node epoch (a slow node's handler finishing)
==========  =====================================
"""
from __future__ import annotations

import copy
from functools import partial
from itertools import count

from .event_queue import CANCELLED, NORMAL, URGENT, EventQueue
from .faults import expand
from .network import Network
from .node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, Context
from .scenario import Scenario, sort_key
from .stepping import StepMode, fault_event_id
from .streams import normalize_seed, stream
from .trace import Trace
from .validate import number

__all__ = ["Simulation", "run"]

UP, CRASHED, PAUSED = "up", "crashed", "paused"
_CUT = ("max_events", "max_rows")  # how a run ends when a bound cuts it off


class Simulation(StepMode):
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
        self._queue = queue = EventQueue()
        self._push, self._ids = queue.push, queue.ids
        ids = scenario.node_ids
        graph = scenario._graph
        self._net = Network(scenario.link_of, stream(self.seed, "network"), ids)
        self.neighbors = {n: tuple(sorted(graph.neighbors(n), key=sort_key)) for n in ids}
        self.nodes: dict = {n: self._make_node(n) for n in ids}
        self._offset = {n: scenario.offset_of(n) for n in ids}
        self._drift = {n: scenario.drift_of(n) for n in ids}
        self._jump = {n: 0.0 for n in ids}
        # timers on the node's own oscillator: true seconds per second of the node's clock
        self._timer_rate = ({n: 1.0 / (1.0 + d) for n, d in self._drift.items()}
                            if scenario.timer_clock == "local" else None)
        self._due: dict = {n: {} for n in ids}      # local timers: node -> {name: due time}
        clock = partial(_clock_reading, self._offset, self._drift, self._jump)  # not a bound method: no cycle
        self._ctx = {n: Context(n, self.neighbors[n], make_rng=partial(stream, self.seed, f"node:{n}"), clock=clock,
                                known=self.neighbors[n] + (n,)) for n in ids}
        self._status = {n: UP for n in ids}
        self._epoch = {n: 0 for n in ids}
        self._timers: dict = {n: {} for n in ids}   # node -> {timer name: generation}
        self._timer_gens = count(1)
        self._backlog: dict = {n: [] for n in ids}  # events a paused node will handle when resumed
        self._handler_delay: dict = {}              # slow nodes: node -> seconds per handler
        self._busy_until: dict = {}
        self._calm = True                           # no fault in force: see _do_fault
        self._mids = count()
        self._manual: list = []                     # step mode's log: (op, arg, queue pops, time)
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
            self._schedule_fault(at, kind, args)
        for inp in scenario.inputs:
            queue.schedule(inp.at, _DELIVER, inp.node, None, next(self._mids), inp.msg, 0)
        for n in ids:
            queue.schedule(0.0, _START, n)

    # -- construction ---------------------------------------------------------
    def _make_node(self, n):
        cls = self.scenario.protocol_of(n)
        params = self.scenario.params_of(n)
        try:
            return cls(n, self.neighbors[n], **params)
        except TypeError as exc:
            raise TypeError(f"could not build {cls.__name__} for node {n!r} with params {params!r}: {exc}") from exc

    def _schedule_fault(self, at: float, kind: str, args: tuple) -> None:
        self._queue.schedule(at, _FAULT, kind, args, fault_event_id(kind, args, at), priority=URGENT)

    def _clock_of(self, node, now: float) -> float:
        return _clock_reading(self._offset, self._drift, self._jump, node, now)

    @property
    def now(self) -> float:
        return self._queue.now

    @property
    def handled(self) -> int:
        """Events handled so far (bounded by ``scenario.max_events``)."""
        return self._queue.handled

    def status(self, node) -> str:
        """``"up"``, ``"crashed"`` or ``"paused"``."""
        return self._status[node]

    # -- running --------------------------------------------------------------
    def run_until(self, t: float) -> Trace:
        """Handle every event up to and including time ``t`` (within the bounds).

        The returned trace says whether the run was cut off: ``ended_by`` is ``"max_events"``
        or ``"max_rows"`` (and ``truncated`` is True) when a bound stopped it before ``t``.
        """
        t = number("until", t, low=0.0)
        if self.ended_by in _CUT:  # a bound already stopped this run: nothing more is handled
            return self.trace
        self._advance(t)
        if self.ended_by in _CUT:
            self.trace.ended_by = self.ended_by
        self.trace.end_time = self._queue.now
        return self.trace

    def _advance(self, t: float) -> None:
        """Run the queue to ``t`` in slices, so the trace's growth is checked between them."""
        queue, rows, sc = self._queue, self.rows, self.scenario
        max_events, max_rows = sc.max_events, sc.max_rows
        while True:
            room = max_rows - len(rows)
            if room <= 0:
                self.ended_by = "max_rows"
                return
            # a slice handles few enough events that a handler sending to ~10 peers stays near the bound
            limit = min(max_events, queue.handled + max(256, room // 16))
            if not queue.run_until(t, limit, self):
                return
            if queue.handled >= max_events:
                self.ended_by = "max_events"
                return

    def run(self, until: float | None = None) -> Trace:
        """Run to ``until`` (default: the scenario's bound) and return the finished Trace.

        ``trace.ended_by`` says how it ended: ``"quiescent"`` (nothing left to do), ``"time"``
        (reached ``until``), ``"max_events"`` or ``"max_rows"`` (cut off by a bound of the
        scenario; ``trace.truncated`` is then True).
        """
        until = self.scenario.until if until is None else number("until", until, low=0.0)
        self.run_until(until)
        if self.ended_by not in _CUT:
            self.ended_by = "time" if any(self._is_live(e) for e in self._queue.entries()) else "quiescent"
        self.trace.ended_by = self.ended_by
        self.trace.end_time = self._queue.now
        if self.scenario.stamp_clocks:
            self.trace.clocks()
        return self.trace

    def _is_live(self, entry) -> bool:
        if entry[3] is _FIRE:
            _, _, _, _, node, name, gen, epoch = entry
            return epoch == self._epoch[node] and self._timers[node].get(name) == gen
        return entry[3] is not CANCELLED

    # -- event handlers: ``handler(self, entry, now)``, True if the event counts towards the bound --
    def _deliver(self, ev, now) -> bool:
        _, _, _, _, dst, src, mid, msg, _copy = ev
        if not self._calm and self._held(dst, ev, now):
            return True
        self.rows.append((now, "deliver", dst, src, mid, msg, None))
        ctx = self._ctx[dst]
        ctx.now = now
        self.nodes[dst].on_message(ctx, src, msg)
        if ctx.effects:
            self._apply(dst, ctx.effects, now)
        return True

    def _fire(self, ev, now) -> bool:
        _, _, _, _, node, name, gen, epoch = ev
        if epoch != self._epoch[node] or self._timers[node].get(name) != gen:
            return False  # cancelled, replaced, or the node crashed since
        if not self._calm and self._held(node, ev, now):
            return True
        del self._timers[node][name]
        self.rows.append((now, "timer_fire", node, None, None, name, None))
        self._run_handler(node, self.nodes[node].on_timer, now, name)
        return True

    def _held(self, node, ev, now) -> bool:
        """Whether a fault in force stops a delivery or a timer at ``node`` now: a message lost (crashed
        node, cut or partitioned link), or the event queued (paused node, slow handler still busy)."""
        status = self._status[node]
        if status is not UP:
            if status is CRASHED:  # only messages: a crashed node's timers are stale
                self.rows.append((now, "drop", node) + ev[5:8] + ("crashed",))
            elif not self._busy(node, ev, now):  # paused: behind a slow handler's queue, or in the backlog
                self._backlog[node].append(ev)
            return True
        if ev[3] is _DELIVER and self._net.blocked and ev[5] is not None:  # a message from a node (not an input)
            reason = self._net.block_reason(ev[5], node)
        else:
            reason = None
        if reason:
            self.rows.append((now, "drop", node) + ev[5:8] + (reason,))
            return True
        return bool(self._busy_until) and self._busy(node, ev, now)

    def _start(self, ev, now) -> bool:
        node = ev[4]
        if self._status[node] is PAUSED:  # a node paused before it started starts when resumed
            self._backlog[node].append(ev)
        elif self._status[node] is UP:
            self.rows.append((now, "start", node, None, None, None, None))
            self._run_handler(node, self.nodes[node].on_start, now)
        return True

    def _deferred(self, ev, now) -> bool:
        _, _, _, _, node, effects, epoch = ev
        if epoch == self._epoch[node]:
            if self._status[node] is PAUSED:
                self._backlog[node].append(ev)
            else:
                self._apply(node, effects, now, defer=False)
        return False

    def _fault(self, ev, now) -> bool:
        self._do_fault(ev[4], ev[5], now)
        return True

    def _busy(self, node, ev, now) -> bool:
        """A slow node handles one event at a time: re-queue ``ev`` until it is free.

        Re-queued work is URGENT, like the handler's own effects, so it stays ahead of
        anything that arrives at the instant the node frees up (FIFO links stay FIFO)."""
        until = self._busy_until.get(node)
        if until is not None and until > now:
            self._queue.reschedule(until, ev, URGENT)
            return True
        return False

    # -- handlers' effects ------------------------------------------------------
    def _run_handler(self, node, handler, now, *args) -> None:
        ctx = self._ctx[node]
        ctx.now = now
        handler(ctx, *args)
        if ctx.effects:
            self._apply(node, ctx.effects, now)

    def _apply(self, node, effects, now, defer=True) -> None:
        """The one place where a handler's effects happen: sends, timers, observations.

        ``effects`` is the list the handler's context recorded; it is emptied. The effects of a
        slow node's handler (``defer``) happen when the handler ends, ``delay`` seconds later.
        """
        if defer and self._handler_delay:
            delay = self._handler_delay.get(node)
            if delay:
                self._busy_until[node] = now + delay
                self._calm = False
                self._queue.schedule(now + delay, _DEFERRED, node, effects.copy(), self._epoch[node], priority=URGENT)
                effects.clear()
                return
        rows = self.rows
        for kind, a, b in effects:
            if kind == SEND:
                mid = next(self._mids)
                rows.append((now, "send", node, a, mid, b, None))
                arrival = self._net.transmit(node, a, now)
                if type(arrival) is float:  # the common case: delivered once
                    self._push((arrival, NORMAL, next(self._ids), _DELIVER, a, node, mid, b, 0))
                elif isinstance(arrival, str):
                    rows.append((now, "drop", a, node, mid, b, arrival))
                else:
                    first, again = arrival if isinstance(arrival, tuple) else (arrival, None)
                    self._push((first, NORMAL, next(self._ids), _DELIVER, a, node, mid, b, 0))
                    if again is not None:
                        rows.append((now, "duplicate", a, node, mid, b, None))
                        self._push((again, NORMAL, next(self._ids), _DELIVER, a, node, mid, b, 1))
            elif kind == SET_TIMER:
                gen = next(self._timer_gens)
                self._timers[node][a] = gen
                if self._timer_rate is not None:
                    b = b * self._timer_rate[node]
                    self._due[node][a] = now + b
                rows.append((now, "timer_set", node, None, None, a, now + b))
                self._push((now + b, NORMAL, next(self._ids), _FIRE, node, a, gen, self._epoch[node]))
            elif kind == CANCEL_TIMER:
                if self._timers[node].pop(a, None) is not None:
                    rows.append((now, "timer_cancel", node, None, None, a, None))
            elif kind == OBSERVE:
                rows.append((now, "observe", node, None, None, a, b))
        effects.clear()

    # -- faults: one method per kind of faults.FAULT_KINDS ----------------------
    def _do_fault(self, kind: str, args: tuple, now: float) -> None:
        getattr(self, "_on_" + kind)(now, *args)
        # deliveries skip the fault checks while no fault is in force (and no slow handler ever ran)
        self._calm = not self._net.blocked and not self._busy_until and all(
            s is UP for s in self._status.values())

    def _on_crash(self, now, node) -> None:
        if self._status[node] is CRASHED:
            return
        self._status[node] = CRASHED
        self._epoch[node] += 1
        self._timers[node] = {}
        waiting, self._backlog[node] = self._backlog[node], []
        self._busy_until.pop(node, None)
        rows = self.rows
        rows.append((now, "crash", node, None, None, None, None))
        # messages waiting at a paused node are lost with it, and so are those queued behind a slow
        # handler (the only URGENT deliveries in the queue)
        queued = sorted(e for e in self._queue.entries() if e[1] == URGENT and e[3] is _DELIVER and e[4] == node)
        self._queue.cancel(queued)
        for ev in waiting + queued:
            if ev[3] is _DELIVER:
                rows.append((now, "drop", node, ev[5], ev[6], ev[7], "crashed"))

    def _on_recover(self, now, node) -> None:
        if self._status[node] is not CRASHED:
            return
        old = self.nodes[node]
        fresh = self._make_node(node)
        for f in type(old).durable:
            setattr(fresh, f, copy.deepcopy(getattr(old, f)))
        self.nodes[node] = fresh
        self._status[node] = UP
        self.rows.append((now, "recover", node, None, None, None, None))
        self._run_handler(node, fresh.on_recover, now)

    def _on_pause(self, now, node) -> None:
        if self._status[node] is UP:
            self._status[node] = PAUSED
            self.rows.append((now, "pause", node, None, None, None, None))

    def _on_resume(self, now, node) -> None:
        if self._status[node] is PAUSED:
            self._status[node] = UP
            self.rows.append((now, "resume", node, None, None, None, None))
            waiting, self._backlog[node] = self._backlog[node], []
            for ev in waiting:  # URGENT: ahead of what arrives at this same instant
                self._queue.reschedule(now, ev, URGENT)

    def _on_slow(self, now, node, delay) -> None:
        if delay:
            self._handler_delay[node] = delay
        else:
            self._handler_delay.pop(node, None)
        self.rows.append((now, "slow", node, None, None, None, delay))

    def _on_clock_jump(self, now, node, delta) -> None:
        self._jump[node] += delta
        self.rows.append((now, "clock_jump", node, None, None, None, delta))

    def _on_clock_drift(self, now, node, drift) -> None:
        # the clock keeps its reading at ``now`` and runs at the new rate from here
        old = self._drift[node]
        self._offset[node] += (old - drift) * now
        self._drift[node] = drift
        if self._timer_rate is not None:
            # local timers: what a pending timer still has to run, counted on the node's clock, is
            # unchanged, so in true time it stretches or shrinks with the rate
            self._timer_rate[node] = 1.0 / (1.0 + drift)
            timers, due, epoch = self._timers[node], self._due[node], self._epoch[node]
            for name in list(timers):
                if due.get(name, now) > now:
                    gen = next(self._timer_gens)
                    timers[name] = gen
                    due[name] = now + (due[name] - now) * (1.0 + old) / (1.0 + drift)
                    self._push((due[name], NORMAL, next(self._ids), _FIRE, node, name, gen, epoch))
        self.rows.append((now, "clock_drift", node, None, None, None, drift))

    def _on_partition(self, now, groups) -> None:
        self._net.partition(groups)
        self.rows.append((now, "partition", None, None, None, groups, None))

    def _on_heal(self, now) -> None:
        if self._net.heal():
            self.rows.append((now, "heal", None, None, None, None, None))

    def _on_cut(self, now, src, dst) -> None:
        self._net.cut(src, dst)
        self.rows.append((now, "cut", src, dst, None, None, None))

    def _on_restore(self, now, src, dst) -> None:
        if self._net.restore(src, dst):
            self.rows.append((now, "restore", src, dst, None, None, None))


# The event handlers as plain functions: queued events hold these, not bound methods (see event_queue).
_DELIVER, _FIRE, _FAULT = Simulation._deliver, Simulation._fire, Simulation._fault
_START, _DEFERRED = Simulation._start, Simulation._deferred


def _clock_reading(offset: dict, drift: dict, jump: dict, node, now: float) -> float:
    """A node's physical clock at true time ``now``: its offset, drift and jumps so far."""
    return offset[node] + (1.0 + drift[node]) * now + jump[node]


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
