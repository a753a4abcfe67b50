"""Sagas (Saga模式): a long transaction cut into local steps, each with a compensation (补偿).

An order saga runs three local transactions on three services: reserve the stock, charge the
payment, arrange the shipping (:data:`STEPS`). Each commits at once in its own service, so
nothing is locked across services; if step k fails, the steps before it are *compensated*
(release, refund, cancel) in reverse order, and the saga ends all-compensated instead of
all-done [1]_. Two styles:

* **orchestration** (编排): a coordinator node, :class:`Orchestrator`, tells each service what
  to do (:class:`Do`, :class:`Undo`) and writes every answer to its durable *saga log* first,
  so that after a crash it resumes where it was (it re-sends the request it was waiting for);
* **choreography** (协同): the services react to each other's events, no one in charge
  (:mod:`.saga_choreography`).

Every request may arrive twice (a retry after a timeout, a resend after a crash, a duplicated
message), so every service keeps a durable *ledger* of the effects it applied and applies each
action and each compensation at most once (idempotent, 幂等).

Properties (on a model-checker state, and on the last state of a simulated run):
:data:`reverse_order` (a step is compensated only after every later step is no longer held),
:data:`at_most_once` (no effect applied twice, no compensation without its action),
:data:`outcome_matches` (a saga the coordinator ended is all-done or all-compensated in the
services too) and :data:`all_settled` (eventually every saga ends one of the two ways).
Broken on purpose: :class:`ForwardCompensation` (undoes step 1 first),
:class:`NonIdempotentService` (applies a duplicated compensation twice: a double refund),
:class:`ForgetfulOrchestrator` (its log is in memory only).

References
----------
.. [1] H. Garcia-Molina and K. Salem, "Sagas", Proc. ACM SIGMOD 1987.
.. [2] C. Richardson, *Microservices Patterns*, Manning 2018, ch. 4 (orchestration, choreography,
   countermeasures against the missing isolation: semantic lock, pending states).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check.model_checker import Model, eventually, invariant
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Input, Scenario

__all__ = ["STEPS", "ACTIONS", "COMPENSATIONS", "ORCHESTRATOR", "PHASES", "Order", "Do", "Done", "Busy", "Undo", "Undone",
           "Finish", "Hello", "Service", "Orchestrator", "ForwardCompensation", "NonIdempotentService",
           "ForgetfulOrchestrator", "saga_scenario", "saga_model", "effect_status", "saga_outcomes",
           "reverse_order", "at_most_once", "outcome_matches", "all_settled"]

STEPS = ("stock", "payment", "shipping")
"""The services of the order saga, in the order of its steps (step 1 is ``stock``)."""
ACTIONS = {"stock": "reserve", "payment": "charge", "shipping": "ship"}
COMPENSATIONS = {"stock": "release", "payment": "refund", "shipping": "cancel"}
ORCHESTRATOR = "orch"
PHASES = {"do": "committed", "undo": "compensated", "refuse": "aborted"}
"""The ``phase`` a service observes after each kind of effect (for the views' node colours)."""


@dataclass(frozen=True)
class Order:
    """From a client: start the saga ``saga``."""
    saga: str


@dataclass(frozen=True)
class Do:
    """Run your step's local transaction for ``saga``."""
    saga: str
    step: int


@dataclass(frozen=True)
class Done:
    """The local transaction committed (``ok``) or was refused (step failed)."""
    saga: str
    step: int
    ok: bool


@dataclass(frozen=True)
class Busy:
    """Not now: another saga holds a pending reservation (the semantic lock); ask again later."""
    saga: str
    step: int


@dataclass(frozen=True)
class Undo:
    """Compensate your step for ``saga``."""
    saga: str
    step: int


@dataclass(frozen=True)
class Undone:
    saga: str
    step: int


@dataclass(frozen=True)
class Finish:
    """The saga completed: its reservations are no longer pending."""
    saga: str


@dataclass(frozen=True)
class Hello:
    """A service is back after a crash: resend what I may have missed."""


def effect_status(ledger, saga) -> str:
    """What a service's ledger says about ``saga``: ``none``, ``do``, ``undo`` or ``refuse`` (the last effect)."""
    last = "none"
    for s, kind in ledger:
        if s == saga:
            last = kind
    return last


class Service(Node):
    """One step of the saga: applies its action and its compensation at most once each.

    Parameters
    ----------
    step : int
        Its position in the saga (1-based).
    fail : bool or "maybe"
        True: refuses every action (the step fails); "maybe": may fail at any moment before it
        acts (a timer; the model checker lets it fire anywhere); False: never fails.
    fail_sagas : tuple of str
        Refuses the action for these sagas only (a card declined for one customer).
    capacity : int or None
        Items in stock: at most this many sagas hold a reservation at once (None: no limit).
    semantic_lock : bool
        Held reservations stay *pending* until :class:`Finish`; a saga meeting another
        saga's pending reservation is told :class:`Busy` instead of reading it as taken.

    Observes ``effect`` = ``(saga, kind)`` for each effect, and ``read`` = ``(saga, holders)``
    when it checks the stock (for :func:`~.saga_isolation.saga_history`).
    """
    state_fields = ("ledger", "finished", "broken")
    durable = ("ledger", "finished", "broken")

    def __init__(self, node_id, peers=(), step=1, fail=False, fail_sagas=(), capacity=None, semantic_lock=False,
                 coordinator=ORCHESTRATOR):
        super().__init__(node_id, peers)
        if fail not in (True, False, "maybe"):
            raise ValueError(f"fail must be True, False or 'maybe', got {fail!r}")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0):
            raise ValueError(f"capacity must be None or an int >= 0, got {capacity!r}")
        self.step, self.fail, self.fail_sagas = step, fail, tuple(fail_sagas)
        self.capacity, self.semantic_lock, self.coordinator = capacity, semantic_lock, coordinator
        self.ledger = ()          # (saga, "do" | "undo" | "refuse"), in the order applied
        self.finished = ()        # sagas whose reservations are no longer pending
        self.broken = False

    def on_start(self, ctx):
        if self.fail == "maybe" and not self.ledger and not self.broken:
            ctx.set_timer("fail", 1.0)

    def on_recover(self, ctx):
        self.on_start(ctx)
        ctx.send(self.coordinator, Hello())

    def on_timer(self, ctx, name):
        if name == "fail" and not self.ledger:
            self.broken = True

    def holders(self) -> tuple:
        return tuple(s for s in dict.fromkeys(s for s, _ in self.ledger) if effect_status(self.ledger, s) == "do")

    def record(self, ctx, saga, kind) -> None:
        self.ledger = self.ledger + ((saga, kind),)
        ctx.observe("effect", (saga, kind))
        ctx.observe("phase", PHASES[kind])

    def act(self, ctx, saga) -> str:
        """Apply the action once; the answer: ``do`` (committed), ``refuse`` (failed) or ``busy``."""
        status = effect_status(self.ledger, saga)
        if status != "none":                      # a retry or a duplicate: answer as before
            return "do" if status == "do" else "refuse"
        if self.capacity is not None:
            held = self.holders()
            if self.semantic_lock and any(s not in self.finished for s in held):
                return "busy"
            ctx.observe("read", (saga, held))
            if len(held) >= self.capacity:
                self.record(ctx, saga, "refuse")
                return "refuse"
        if self.fail is True or self.broken or saga in self.fail_sagas:
            self.record(ctx, saga, "refuse")
            return "refuse"
        self.record(ctx, saga, "do")
        if self.capacity is not None:
            ctx.observe("append", saga)
        return "do"

    def compensate(self, ctx, saga) -> None:
        """Undo the action once; nothing to undo if it was refused. A compensation that arrives
        before its action (reordered messages) leaves a refusal, so that the late action is refused."""
        status = effect_status(self.ledger, saga)
        if status == "do":
            self.record(ctx, saga, "undo")
        elif status == "none":
            self.record(ctx, saga, "refuse")

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Do):
            answer = self.act(ctx, msg.saga)
            ctx.send(src, Busy(msg.saga, msg.step) if answer == "busy" else Done(msg.saga, msg.step, answer == "do"))
        elif isinstance(msg, Undo):
            self.compensate(ctx, msg.saga)
            ctx.send(src, Undone(msg.saga, msg.step))
        elif isinstance(msg, Finish) and msg.saga not in self.finished:
            self.finished = self.finished + (msg.saga,)


class NonIdempotentService(Service):
    """BROKEN on purpose: compensates on every Undo it receives, without looking at its ledger.

    A retried or duplicated refund is paid twice; the model checker finds it with one duplicate.
    """

    def compensate(self, ctx, saga) -> None:
        if effect_status(self.ledger, saga) in ("do", "undo"):
            self.record(ctx, saga, "undo")


class Orchestrator(Node):
    """Runs each saga step by step; every answer goes to the durable saga log before the next request.

    Parameters
    ----------
    services : tuple
        The services in the order of the steps.
    orders : tuple of str
        Sagas to start at once (more can come as :class:`Order` inputs).
    retry_after : float or None
        Re-send the pending request after this many seconds without an answer (None: never;
        the model checker explores duplicates and crashes instead).

    The log holds ``(saga, event, step)``: ``begin``, ``done``, ``failed``, ``undone``, and
    ``end`` with step ``"done"`` or ``"compensated"``. Observes ``saga`` = ``(saga, status)``.
    """
    state_fields = ("log",)
    durable = ("log",)

    def __init__(self, node_id, peers=(), services=STEPS, orders=(), retry_after=0.05):
        super().__init__(node_id, peers)
        self.services, self.orders, self.retry_after = tuple(services), tuple(orders), retry_after
        self.log = ()

    def on_start(self, ctx):
        for saga in self.orders:
            self.begin(ctx, saga)
            self.send_next(ctx, saga)

    def on_recover(self, ctx):
        for saga in self.sagas():                  # resume from the log: a request may be sent twice
            self.send_next(ctx, saga)

    def sagas(self) -> tuple:
        return tuple(s for s, ev, _ in self.log if ev == "begin")

    def entries(self, saga, event) -> list:
        return [step for s, ev, step in self.log if s == saga and ev == event]

    def to_undo(self, saga) -> int | None:
        """The step to compensate next: the latest one still held (reverse order)."""
        left = sorted(set(self.entries(saga, "done")) - set(self.entries(saga, "undone")))
        return left[-1] if left else None

    def next_request(self, saga):
        """``("do", k)``, ``("undo", k)``, ``("end", outcome)`` or None (ended), read from the log."""
        if self.entries(saga, "end"):
            return None
        if self.entries(saga, "failed"):
            k = self.to_undo(saga)
            return ("undo", k) if k is not None else ("end", "compensated")
        k = len(self.entries(saga, "done")) + 1
        return ("do", k) if k <= len(self.services) else ("end", "done")

    def write(self, saga, event, step) -> None:
        self.log = self.log + ((saga, event, step),)

    def begin(self, ctx, saga) -> None:
        if saga not in self.sagas():
            self.write(saga, "begin", 0)
            ctx.observe("saga", (saga, "running"))
            ctx.observe("phase", "running")

    def send_next(self, ctx, saga) -> None:
        req = self.next_request(saga)
        if req is None:
            return
        kind, arg = req
        if kind == "end":
            self.write(saga, "end", arg)
            ctx.observe("saga", (saga, arg))
            ctx.observe("phase", arg)
            ctx.cancel_timer(("retry", saga))
            if arg == "done":
                for s in sorted(self.services):
                    ctx.send(s, Finish(saga))
            return
        ctx.send(self.services[arg - 1], Do(saga, arg) if kind == "do" else Undo(saga, arg))
        if self.retry_after is not None:
            ctx.set_timer(("retry", saga), self.retry_after)

    def on_timer(self, ctx, name):
        if isinstance(name, tuple) and name[0] == "retry":
            self.send_next(ctx, name[1])

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Order):
            if msg.saga not in self.sagas():
                self.begin(ctx, msg.saga)
                self.send_next(ctx, msg.saga)
            return
        if isinstance(msg, Hello):
            for saga in self.sagas():
                self.send_next(ctx, saga)
            return
        if not isinstance(msg, (Done, Undone)) or msg.saga not in self.sagas():
            return                                # Busy: the retry timer asks again
        req = self.next_request(msg.saga)
        if isinstance(msg, Done) and req == ("do", msg.step):
            self.write(msg.saga, "done" if msg.ok else "failed", msg.step)
            if not msg.ok:
                ctx.observe("saga", (msg.saga, "compensating"))
                ctx.observe("phase", "compensating")
            self.send_next(ctx, msg.saga)
        elif isinstance(msg, Undone) and req == ("undo", msg.step):
            self.write(msg.saga, "undone", msg.step)
            self.send_next(ctx, msg.saga)


class ForwardCompensation(Orchestrator):
    """BROKEN on purpose: compensates the earliest step first (release the stock before the refund)."""

    def to_undo(self, saga) -> int | None:
        left = sorted(set(self.entries(saga, "done")) - set(self.entries(saga, "undone")))
        return left[0] if left else None


class ForgetfulOrchestrator(Orchestrator):
    """BROKEN on purpose: the saga log lives in memory only; after a crash the saga is forgotten half-done."""
    durable = ()


def _check_fail_step(fail_step, n):
    if fail_step is not None and (isinstance(fail_step, bool) or not isinstance(fail_step, int)
                                  or not 1 <= fail_step <= n):
        raise ValueError(f"fail_step must be None (no failure) or a step 1..{n}, got {fail_step!r}")


def saga_scenario(fail_step=None, *, orders=(("s1", 0.0),), orchestrator=Orchestrator, service=Service,
                  retry_after=0.05, capacity=None, semantic_lock=False, fail_sagas=(), by_client=True,
                  **kwargs) -> Scenario:
    """The order saga, orchestrated: node ``"orch"`` and the services of :data:`STEPS`.

    Parameters
    ----------
    fail_step : int or None
        The step (1..3) whose local transaction fails; None: every step succeeds.
    orders : tuple of (saga, time)
        Sagas started by clients at those times.
    capacity, semantic_lock
        The stock service's capacity and countermeasure (see :class:`Service`).
    fail_sagas : tuple of str
        Sagas whose payment is declined (step 2 fails for them only).
    by_client : bool
        True: each order is a message from outside (a client); False: the coordinator starts
        the sagas itself at t = 0 (the start times must be 0).
    kwargs
        Passed to :class:`~dsysedu.sim.Scenario` (``faults``, ``link``, ``until``...).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> saga_outcomes(run(saga_scenario(fail_step=3), seed=1))
    {'s1': 'compensated'}
    """
    _check_fail_step(fail_step, len(STEPS))
    if not orders or any(not (isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str)) for o in orders):
        raise ValueError(f"orders must be a non-empty tuple of (saga name, start time), got {orders!r}")
    protocol = {ORCHESTRATOR: orchestrator, **{s: service for s in STEPS}}
    node_params = {ORCHESTRATOR: {"retry_after": retry_after}}
    for k, s in enumerate(STEPS, 1):
        node_params[s] = {"step": k, "fail": fail_step == k}
    node_params["stock"].update(capacity=capacity, semantic_lock=semantic_lock)
    node_params["payment"]["fail_sagas"] = tuple(fail_sagas)
    inputs = tuple(Input(at, ORCHESTRATOR, Order(saga)) for saga, at in orders)
    if not by_client:
        if any(at != 0 for _, at in orders):
            raise ValueError(f"by_client=False starts every saga at t = 0; got start times {[at for _, at in orders]}")
        node_params[ORCHESTRATOR]["orders"], inputs = tuple(saga for saga, _ in orders), ()
    kwargs.setdefault("until", 5.0)
    return Scenario(protocol, nodes=[ORCHESTRATOR, *STEPS], node_params=node_params, inputs=inputs,
                    name="order saga (orchestration)", **kwargs)


def saga_outcomes(trace) -> dict:
    """``{saga: last status}`` observed by the orchestrator (``done``, ``compensated``, or still running)."""
    out = {}
    for e in trace.events:
        if e.kind == "observe" and e.data == "saga":
            out[e.value[0]] = e.value[1]
    return out


# ------------------------------------------------------------------------------ properties

def _ledgers(s) -> list:
    return [s[x].ledger for x in STEPS]


def _sagas(ledgers) -> set:
    return {saga for ledger in ledgers for saga, _ in ledger}


def reverse_order_holds(ledgers) -> bool:
    """Step i is compensated only when no later step j > i still holds the saga's effect."""
    for saga in _sagas(ledgers):
        st = [effect_status(ledger, saga) for ledger in ledgers]
        for i, a in enumerate(st):
            if a == "undo" and any(b == "do" for b in st[i + 1:]):
                return False
    return True


def at_most_once_holds(ledgers) -> bool:
    """Each ledger applies, per saga, at most one action and at most one compensation, in that order."""
    for ledger in ledgers:
        kinds = {}
        for saga, kind in ledger:
            kinds.setdefault(saga, []).append(kind)
        if any(k not in (["do"], ["refuse"], ["do", "undo"]) for k in kinds.values()):
            return False
    return True


def consistent(ledgers, saga, outcome) -> bool:
    """``done``: every step holds the saga; ``compensated``: none does (and one step refused)."""
    st = [effect_status(ledger, saga) for ledger in ledgers]
    if outcome == "done":
        return all(x == "do" for x in st)
    return "do" not in st and "refuse" in st


def _ended(s) -> dict:
    if ORCHESTRATOR not in s.nodes:              # choreography: the first and last services say it
        return {saga: o for x in STEPS for saga, o in s[x].ends}
    try:
        log = s[ORCHESTRATOR].log
    except AttributeError:                       # a forgetful orchestrator while crashed
        return {}
    return {saga: step for saga, ev, step in log if ev == "end"}


reverse_order = invariant("compensations in reverse order", lambda s: reverse_order_holds(_ledgers(s)))
at_most_once = invariant("each effect at most once", lambda s: at_most_once_holds(_ledgers(s)))
outcome_matches = invariant("outcome matches the services",
                            lambda s: all(consistent(_ledgers(s), saga, o) for saga, o in _ended(s).items()))


def _settled(s) -> bool:
    ended = _ended(s)
    sagas = _sagas(_ledgers(s)) | set(ended) | {"s1"}
    return all(saga in ended and consistent(_ledgers(s), saga, ended[saga]) for saga in sagas)


all_settled = eventually("every saga ends all-done or all-compensated", _settled)


def saga_model(orchestrator=Orchestrator, service=Service, *, fail="maybe", **budget) -> Model:
    """One order saga as a model: any step may fail (``fail="maybe"``), requests are never retried by
    timer; ``budget`` (``duplicates``, ``crashes``, ``recoveries``) brings the duplicates.

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(saga_model(ForwardCompensation), reverse_order).verdict
    'violation'
    """
    sc = Scenario({ORCHESTRATOR: orchestrator, **{s: service for s in STEPS}}, nodes=[ORCHESTRATOR, *STEPS],
                  node_params={ORCHESTRATOR: {"retry_after": None, "orders": ("s1",)},
                               **{s: {"step": k, "fail": fail} for k, s in enumerate(STEPS, 1)}})
    variant = ", ".join(c.__name__ for c, d in ((orchestrator, Orchestrator), (service, Service)) if c is not d)
    return Model(sc, final=_settled, name=f"order saga{' (' + variant + ')' if variant else ''}", **budget)
