"""Sagas on the simulator: the properties checked on a trace, random fault schedules, the missing isolation.

:func:`saga_verdicts` replays the services' effects of a run in time order and checks, after
each one, that compensations ran in reverse order and that no effect was applied twice; at the
end, that every saga ended all-done or all-compensated, as its coordinator (or its services)
said. :func:`random_saga_scenario` draws a fault schedule (crashes with recovery, lost,
duplicated and reordered messages) for the randomized tests.

Sagas give no isolation (隔离性): a step's local transaction commits at once, so a second saga
sees the first one's reservation before the first saga knows whether it will keep it.
:func:`dirty_read_scenario` runs two orders for the last item in stock while the first order's
payment is declined; :func:`saga_history` turns the run into a list-append history for
:func:`~dsysedu.check.isolation.check_isolation`, which names the anomaly: ``G1a``, a read of
a value written by a transaction that aborted (here: compensated). The countermeasure
``semantic_lock=True`` keeps the reservation *pending* until the saga ends, and a saga that
meets a pending reservation waits (it is told :class:`~.saga.Busy` and retries).
"""
from __future__ import annotations

import random
import time

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.check.isolation import Transaction
from dsysedu.sim import run
from dsysedu.sim.faults import Crash
from dsysedu.sim.network import LinkModel, Uniform
from .saga_choreography import FireAndForget, choreography_scenario
from .saga import (COMPENSATIONS, ForgetfulOrchestrator, ForwardCompensation, NonIdempotentService, ORCHESTRATOR, STEPS, at_most_once_holds, consistent, effect_status, reverse_order_holds,
                   saga_outcomes, saga_scenario)

__all__ = ["saga_verdicts", "saga_ledgers", "random_saga_scenario", "dirty_read_scenario", "saga_history",
           "compensation_table", "variant_table", "VARIANTS", "saga_runs_per_s"]


def saga_ledgers(trace, services=STEPS) -> dict:
    """``{service: ((saga, kind), ...)}``: the effects each service applied, from its ``effect`` observations."""
    led = {s: () for s in services}
    for e in trace.events:
        if e.kind == "observe" and e.data == "effect" and e.node in led:
            led[e.node] = led[e.node] + (tuple(e.value),)
    return led


def saga_verdicts(trace, services=STEPS, outcomes=None) -> list:
    """Three verdicts on a saga run: reverse order, each effect at most once, consistent end.

    ``outcomes``: ``{saga: "done" | "compensated"}``; by default what the orchestrator observed.
    """
    led = {s: () for s in services}
    order = once = None
    for e in trace.events:
        if not (e.kind == "observe" and e.data == "effect" and e.node in led):
            continue
        led[e.node] = led[e.node] + (tuple(e.value),)
        ledgers = [led[s] for s in services]
        if order is None and not reverse_order_holds(ledgers):
            order = (e.seq, f"{e.node} compensated {e.value[0]} at t={e.time:.3f} while a later step still held it")
        if once is None and not at_most_once_holds(ledgers):
            once = (e.seq, f"{e.node} applied {e.value[1]} of {e.value[0]} again at t={e.time:.3f}")
    ledgers = [led[s] for s in services]
    outcomes = saga_outcomes(trace) if outcomes is None else outcomes
    sagas = sorted({saga for ledger in ledgers for saga, _ in ledger} | set(outcomes))
    bad = [saga for saga in sagas if outcomes.get(saga) not in ("done", "compensated")
           or not consistent(ledgers, saga, outcomes[saga])]
    states = {saga: [effect_status(ledger, saga) for ledger in ledgers] for saga in bad}
    return [Verdict(order is None, "compensations in reverse order",
                    order[1] if order else f"{len(sagas)} saga(s), every compensation after the later steps'",
                    (order[0],) if order else ()),
            Verdict(once is None, "each effect at most once",
                    once[1] if once else "no action or compensation applied twice", (once[0],) if once else ()),
            Verdict(not bad, "all-done or all-compensated",
                    f"not settled: {states}" if bad else f"outcomes {dict((s, outcomes[s]) for s in sagas)}")]


def random_saga_scenario(seed, orchestrator=None, service=None, style="orchestration"):
    """A saga with a random failing step and a random fault schedule drawn from ``seed``.

    Crashes (of the orchestrator or a service) end with a recovery by t = 2 s; links lose,
    duplicate and reorder messages; the run lasts 6 s, enough for the retries to finish.
    ``style``: ``"orchestration"`` or ``"choreography"`` (then ``service`` replaces
    :class:`~.saga_choreography.ChoreographyService`).
    """
    if style not in ("orchestration", "choreography"):
        raise ValueError(f"style must be 'orchestration' or 'choreography', got {style!r}")
    rnd = random.Random(seed)
    nodes = STEPS if style == "choreography" else (ORCHESTRATOR,) + STEPS
    faults = []
    for _ in range(rnd.randint(0, 3)):
        at = round(rnd.uniform(0.0, 1.5), 3)
        faults.append(Crash(rnd.choice(nodes), at=at, until=round(at + rnd.uniform(0.01, 0.5), 3)))
    link = LinkModel(latency=Uniform(0.002, 0.03), loss=rnd.choice((0.0, 0.1, 0.3)),
                     duplicate=rnd.choice((0.0, 0.2, 0.5)), reorder=rnd.random() < 0.5)
    fail_step = rnd.choice((None, 1, 2, 3))
    extra = {"faults": _no_overlap(faults), "link": link, "until": 6.0}
    if service is not None:
        extra["service"] = service
    if style == "choreography":
        return choreography_scenario(fail_step, **extra)
    if orchestrator is not None:
        extra["orchestrator"] = orchestrator
    return saga_scenario(fail_step, **extra)


def _no_overlap(faults):
    """Keep one crash per node at a time (a node cannot crash while it is down)."""
    out, busy = [], {}
    for f in sorted(faults, key=lambda f: f.at):
        if f.at > busy.get(f.node, -1.0):
            out.append(f)
            busy[f.node] = f.until
    return out


def dirty_read_scenario(semantic_lock=False, **kwargs):
    """Two orders for the last item in stock; the first order's payment is declined.

    Order ``s1`` reserves the item at t = 0.01 s and gives it back after its payment fails;
    order ``s2`` asks for the item at t = 0.03 s, in between. Without a countermeasure ``s2``
    reads the reservation of a saga that will be compensated and is refused: out of stock.
    """
    return saga_scenario(None, orders=(("s1", 0.0), ("s2", 0.02)), capacity=1, fail_sagas=("s1",),
                         semantic_lock=semantic_lock, **kwargs)


def saga_history(trace, key="stock") -> list:
    """The run as list-append transactions, one per saga (its reads and reservations of ``key``).

    A saga whose reservation was compensated is a failed transaction (``status="fail"``); one that
    ended all-done, or was refused before it wrote anything (its answer, "out of stock", was
    given to the client on what it read), is committed. Feed it to :func:`~dsysedu.check.isolation.check_isolation`.
    """
    ops, start, end = {}, {}, {}
    outcomes = {}
    for e in trace.events:
        if e.kind != "observe":
            continue
        if e.data == "saga":
            saga, status = e.value
            start.setdefault(saga, e.time)
            if status in ("done", "compensated"):
                end[saga], outcomes[saga] = e.time, status
        elif e.node == key and e.data == "read":
            ops.setdefault(e.value[0], []).append(("r", key, list(e.value[1])))
        elif e.node == key and e.data == "append":
            ops.setdefault(e.value, []).append(("append", key, e.value))
    def status(saga):
        if saga not in outcomes:
            return "info"
        wrote = any(op[0] == "append" for op in ops.get(saga, ()))
        return "fail" if outcomes[saga] == "compensated" and wrote else "ok"

    return [Transaction(i, saga, tuple(ops.get(saga, ())), status=status(saga),
                        invoke=start[saga], complete=end.get(saga))
            for i, saga in enumerate(sorted(start), 1)]


def compensation_table(style="orchestration", seed=None) -> pd.DataFrame:
    """For each failing step (none, 1, 2, 3): the outcome, the compensations in the order they ran,
    and the number of messages, from one run each of the chosen style."""
    build = choreography_scenario if style == "choreography" else saga_scenario
    if style not in ("orchestration", "choreography"):
        raise ValueError(f"style must be 'orchestration' or 'choreography', got {style!r}")
    rows = []
    for k in (None, 1, 2, 3):
        trace = run(build(k), seed=seed)
        undo = [COMPENSATIONS[e.node] for e in trace.events
                if e.kind == "observe" and e.data == "effect" and e.value[1] == "undo"]
        rows.append({"failing step": "none" if k is None else f"{k} ({STEPS[k - 1]})",
                     "outcome": saga_outcomes(trace).get("s1"), "compensations": " → ".join(undo) or "-",
                     "messages": trace.count("send"), "checks hold": all(saga_verdicts(trace))})
    return pd.DataFrame(rows).set_index("failing step")


VARIANTS = {"orchestration": {}, "choreography": {"style": "choreography"},
            "ForwardCompensation": {"orchestrator": ForwardCompensation},
            "NonIdempotentService": {"service": NonIdempotentService},
            "ForgetfulOrchestrator": {"orchestrator": ForgetfulOrchestrator},
            "FireAndForget (choreography)": {"service": FireAndForget, "style": "choreography"}}
"""The correct sagas and the broken variants, as keyword arguments of :func:`random_saga_scenario`."""


def variant_table(runs=500, seed=0, variants=None) -> pd.DataFrame:
    """Runs (of ``runs`` random fault schedules, seeds ``seed``...) that break each property, per variant."""
    rows = {}
    for name, kw in (VARIANTS if variants is None else variants).items():
        bad = {}
        for s in range(seed, seed + runs):
            for v in saga_verdicts(run(random_saga_scenario(s, **kw), seed=s)):
                bad[v.property] = bad.get(v.property, 0) + (not v.ok)
        rows[name] = bad
    short = {"compensations in reverse order": "reverse order", "each effect at most once": "at most once"}
    return pd.DataFrame(rows).T.rename(columns=short).rename_axis(f"violations in {runs} runs")


def saga_runs_per_s(runs: int = 400, seed: int = 0, style: str = "orchestration") -> float:
    """Simulated order sagas per wall second: 3 services (and a coordinator when orchestrated), 10 ms
    links, the failing step cycling through none, 1, 2, 3; each run checked (it must end settled)."""
    if style not in ("orchestration", "choreography"):
        raise ValueError(f"style must be 'orchestration' or 'choreography', got {style!r}")
    build = saga_scenario if style == "orchestration" else choreography_scenario
    scenarios = [build(k) for k in (None, 1, 2, 3)]
    t0 = time.perf_counter()
    for i in range(runs):
        trace = run(scenarios[i % 4], seed=seed + i)
        if saga_outcomes(trace).get("s1") not in ("done", "compensated"):
            raise AssertionError(f"saga run {i} did not settle")
    return runs / (time.perf_counter() - t0)
