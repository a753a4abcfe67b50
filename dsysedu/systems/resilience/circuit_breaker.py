"""Circuit breaker (熔断器): stop calling a failing service, try again later, carefully.

A :class:`CircuitBreaker` sits between its clients and a :class:`FlakyService`. It is a
state machine with three states [1]_:

closed
    calls pass through; ``threshold`` failures in a row *trip* it open;
open
    calls are refused at once (fail fast) until the ``cooldown`` timer fires;
half-open
    one trial call is let through: success closes the breaker, failure opens it again.

Client requests arrive on the ``request`` timer; at most ``max_in_flight`` calls are out at
a time. The service answers :class:`Ok` or :class:`Fail` depending on its health, which
its ``flip`` timer toggles (under the model checker: at any moment).

Invariants (:data:`invariants`): the failure count stays below the threshold while closed;
an open breaker has its cooldown pending; a half-open breaker has at most one trial out;
Reachability: :data:`recovers` (half-open, then closed).
:class:`EagerBreaker` is broken on purpose: half-open, it lets every request through.

References
----------
.. [1] M. T. Nygard, *Release It!*, Pragmatic Bookshelf, 2007 (the Circuit Breaker pattern).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check.model_checker import Model, invariant, reachable
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["Call", "Ok", "Fail", "CircuitBreaker", "EagerBreaker", "FlakyService", "breaker_scenario",
           "breaker_model", "closed_failures_below_threshold", "open_has_cooldown", "one_trial",
           "invariants", "recovers", "mode_transitions", "ALLOWED_TRANSITIONS", "CLOSED", "OPEN", "HALF_OPEN", "BREAKER", "SERVICE"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
BREAKER, SERVICE = "breaker", "service"


@dataclass(frozen=True)
class Call:
    """A request passed on to the service (``rid`` numbers it where replies must be matched)."""
    rid: int = 0


@dataclass(frozen=True)
class Ok:
    rid: int = 0


@dataclass(frozen=True)
class Fail:
    rid: int = 0


class CircuitBreaker(Node):
    """The closed / open / half-open state machine.

    Parameters
    ----------
    service : node id
    threshold : int
        Failures in a row that open the breaker.
    cooldown : float
        Seconds open before trying again (half-open).
    request_every : float
        Seconds between client requests (the simulator's timing).
    max_in_flight : int
        Calls out at once (closed); half-open always allows one.

    Observes ``breaker`` (its mode) and ``refused`` (a request answered by failing fast).
    """
    state_fields = ("mode", "previous", "failures", "in_flight")

    def __init__(self, node_id, peers=(), service=SERVICE, threshold=2, cooldown=1.0, request_every=0.2,
                 max_in_flight=1):
        super().__init__(node_id, peers)
        self.service, self.threshold, self.cooldown = service, threshold, cooldown
        self.request_every, self.max_in_flight = request_every, max_in_flight
        self.mode = CLOSED
        self.previous = None
        self.failures = 0
        self.in_flight = 0

    def on_start(self, ctx):
        ctx.observe("breaker", self.mode)
        ctx.set_timer("request", self.request_every)

    def allowed(self) -> bool:
        if self.mode == CLOSED:
            return self.in_flight < self.max_in_flight
        if self.mode == HALF_OPEN:
            return self.in_flight == 0      # one trial call at a time
        return False

    def on_timer(self, ctx, name):
        if name == "request":
            if self.allowed():
                self.in_flight += 1
                ctx.send(self.service, Call())
            else:
                ctx.observe("refused", True)   # fail fast
            ctx.set_timer("request", self.request_every)
        elif name == "cooldown" and self.mode == OPEN:
            self.move(ctx, HALF_OPEN)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, (Ok, Fail)) or self.in_flight == 0:
            return
        self.in_flight -= 1
        if isinstance(msg, Ok):
            self.failures = 0
            if self.mode == HALF_OPEN:
                self.move(ctx, CLOSED)
        elif self.mode == HALF_OPEN:
            self.trip(ctx)
        elif self.mode == CLOSED:
            self.failures += 1
            if self.failures >= self.threshold:
                self.trip(ctx)

    def trip(self, ctx) -> None:
        self.failures = 0
        self.move(ctx, OPEN)
        ctx.set_timer("cooldown", self.cooldown)

    def move(self, ctx, mode) -> None:
        self.previous, self.mode = self.mode, mode
        ctx.observe("breaker", mode)


class EagerBreaker(CircuitBreaker):
    """BROKEN on purpose: half-open, it lets requests through as if closed."""

    def allowed(self) -> bool:
        if self.mode == HALF_OPEN:
            return self.in_flight < self.max_in_flight
        return super().allowed()


class FlakyService(Node):
    """Answers each call Ok while healthy, Fail while not; its ``flip`` timer toggles health."""
    state_fields = ("healthy",)

    def __init__(self, node_id, peers=(), flip_every=2.0):
        super().__init__(node_id, peers)
        self.flip_every = flip_every
        self.healthy = True

    def on_start(self, ctx):
        ctx.set_timer("flip", self.flip_every)

    def on_timer(self, ctx, name):
        if name == "flip":
            self.healthy = not self.healthy
            ctx.observe("healthy", self.healthy)
            ctx.set_timer("flip", self.flip_every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Call):
            ctx.send(src, Ok(msg.rid) if self.healthy else Fail(msg.rid))


def breaker_scenario(breaker=CircuitBreaker, threshold: int = 2, max_in_flight: int = 2, **kwargs) -> Scenario:
    """A breaker and a flaky service for the simulator (or a Model)."""
    return Scenario({BREAKER: breaker, SERVICE: FlakyService}, nodes=[BREAKER, SERVICE],
                    node_params={BREAKER: {"threshold": threshold, "max_in_flight": max_in_flight}},
                    name="circuit breaker", **kwargs)


def breaker_model(breaker=CircuitBreaker, threshold: int = 2, max_in_flight: int = 2, **budget) -> Model:
    """The breaker as a model (finite: at most ``max_in_flight`` calls out, failures < threshold, timers are a set).

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(breaker_model(), recovers).verdict
    'ok'
    """
    return Model(breaker_scenario(breaker, threshold, max_in_flight), name="circuit breaker", **budget)


closed_failures_below_threshold = invariant(
    "closed: failures below threshold",
    lambda s: s[BREAKER].mode != CLOSED or s[BREAKER].failures < s[BREAKER].threshold)
open_has_cooldown = invariant("open: cooldown pending",
                              lambda s: s[BREAKER].mode != OPEN or (BREAKER, "cooldown") in s.timers)
one_trial = invariant("half-open: at most one trial",
                      lambda s: s[BREAKER].mode != HALF_OPEN or s[BREAKER].in_flight <= 1)
invariants = (closed_failures_below_threshold, open_has_cooldown, one_trial)
recovers = reachable("half-open, then closed",
                     lambda s: s[BREAKER].mode == CLOSED and s[BREAKER].previous == HALF_OPEN)

#: the moves the pattern allows: trip, cool down, trial succeeded, trial failed
ALLOWED_TRANSITIONS = frozenset({(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED), (HALF_OPEN, OPEN)})


def mode_transitions(model=None) -> dict:
    """The breaker's modes seen over every reachable state and transition of ``model``.

    Returns ``{"states": {mode: number of states}, "moves": {(from, to): number of transitions}}``,
    counting only transitions that change the mode. For a correct breaker the moves are exactly
    :data:`ALLOWED_TRANSITIONS`.
    """
    from dsysedu.check.model_checker import reachable_graph
    model = breaker_model() if model is None else model
    g = reachable_graph(model, max_states=5000)
    mode = {k: model.view(k)[BREAKER].mode for k in g.nodes}
    states, moves = {}, {}
    for k in g.nodes:
        states[mode[k]] = states.get(mode[k], 0) + 1
    for a, b in g.edges():
        if mode[a] != mode[b]:
            moves[(mode[a], mode[b])] = moves.get((mode[a], mode[b]), 0) + 1
    return {"states": states, "moves": moves}
