"""Retries with backoff and jitter (退避与抖动), and the contention they are meant to calm.

A client whose call failed for a transient reason tries again after a *sleep*. How long, for
attempt ``n`` (0 for the first retry), with ``base`` and ``cap`` in seconds, as Brooker names
them [1]_:

=================  ==========================================================================
``none``           0: retry at once
``exponential``    ``min(cap, base * 2**n)``
``full``           ``uniform(0, min(cap, base * 2**n))`` (full jitter)
``equal``          ``e / 2 + uniform(0, e / 2)`` with ``e = min(cap, base * 2**n)`` (equal jitter)
``decorrelated``   ``min(cap, uniform(base, 3 * previous sleep))`` (decorrelated jitter)
=================  ==========================================================================

:class:`ContendedStore` is the shared resource of Brooker's simulation: an optimistic (OCC)
write reads a version, works for ``work`` seconds, and commits only if nobody committed in
between; otherwise it answers :class:`Conflict`. :class:`Contender` clients all start at
once, each wants one write through, and retries with a backoff policy until it succeeds
(observed as ``done`` ``(attempts, time)``). :func:`contention_summary` gives the total calls
and the time until the last client finished: the two curves of [1]_.

A policy may also be a ``tenacity`` wait strategy (``tenacity.wait_random_exponential(...)``):
:func:`tenacity_sleep` calls it with the attempt number, drawing its randomness from the
node's seeded stream instead of the global ``random`` module, so the run stays reproducible.

References
----------
.. [1] M. Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from types import SimpleNamespace

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["BACKOFFS", "backoff_sleep", "tenacity_sleep", "check_backoff", "Write", "Committed", "Conflict",
           "ContendedStore", "Contender", "contention_scenario", "contention_summary", "contention_table", "STORE"]

BACKOFFS = ("none", "exponential", "full", "equal", "decorrelated")
STORE = "store"


def check_backoff(policy) -> None:
    """Raise unless ``policy`` is a name of :data:`BACKOFFS` or a callable (a tenacity wait strategy)."""
    if callable(policy):
        return
    if policy not in BACKOFFS:
        raise ValueError(f"backoff must be one of {BACKOFFS} or a tenacity wait strategy, got {policy!r}")


def backoff_sleep(policy, attempt: int, previous: float, rng, base: float = 0.01, cap: float = 1.0) -> float:
    """Seconds to sleep before retry number ``attempt`` (0 = the first retry).

    Parameters
    ----------
    policy : str or callable
        A name of :data:`BACKOFFS`, or a tenacity wait strategy (see :func:`tenacity_sleep`).
    attempt : int
        Retries made before this one.
    previous : float
        The sleep before the previous retry (``base`` for the first): decorrelated jitter grows from it.
    rng : random.Random
        The node's stream (``ctx.rng``).

    Examples
    --------
    >>> import random
    >>> backoff_sleep("exponential", 3, 0.0, random.Random(0), base=0.01, cap=1.0)
    0.08
    >>> 0 <= backoff_sleep("full", 3, 0.0, random.Random(0)) <= 0.08
    True
    """
    if callable(policy):
        return tenacity_sleep(policy, attempt, rng)
    if policy == "none":
        return 0.0
    ceiling = min(cap, base * 2 ** attempt)
    if policy == "exponential":
        return ceiling
    if policy == "full":
        return rng.uniform(0.0, ceiling)
    if policy == "equal":
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)
    if policy == "decorrelated":
        return min(cap, rng.uniform(base, 3 * max(previous, base)))
    raise ValueError(f"backoff must be one of {BACKOFFS} or a tenacity wait strategy, got {policy!r}")


@contextlib.contextmanager
def _seeded_tenacity(rng):
    """tenacity's jittered waits call the module ``random``; during the call they use ``rng``."""
    import tenacity.wait as tw
    real = tw.random
    tw.random = rng
    try:
        yield
    finally:
        tw.random = real


def tenacity_sleep(wait, attempt: int, rng) -> float:
    """The sleep a tenacity wait strategy asks for before retry ``attempt`` (0-based), drawn from ``rng``.

    tenacity numbers attempts from 1 and asks for the wait after attempt ``attempt_number``
    failed, so retry ``n`` follows attempt ``n + 1``.

    Examples
    --------
    >>> import random, tenacity
    >>> tenacity_sleep(tenacity.wait_exponential(multiplier=0.01, max=1), 2, random.Random(0))
    0.04
    """
    with _seeded_tenacity(rng):
        return float(wait(SimpleNamespace(attempt_number=attempt + 1)))


@dataclass(frozen=True)
class Write:
    """An optimistic write, attempt ``attempt`` of its client."""
    attempt: int


@dataclass(frozen=True)
class Committed:
    attempt: int


@dataclass(frozen=True)
class Conflict:
    attempt: int


class ContendedStore(Node):
    """One record written optimistically: a write commits iff no other write committed while it worked.

    Parameters
    ----------
    work : float
        Seconds between a write's read of the version and its commit.

    Observes ``commits`` (the version after each commit).
    """
    state_fields = ("version",)

    def __init__(self, node_id, peers=(), work=0.01):
        super().__init__(node_id, peers)
        self.work = number("work", work, low=0.0, low_open=True)
        self.version = 0

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Write):
            ctx.set_timer(("commit", src, msg.attempt, self.version), self.work)

    def on_timer(self, ctx, name):
        _, src, attempt, read = name
        if read == self.version:
            self.version += 1
            ctx.observe("commits", self.version)
            ctx.send(src, Committed(attempt))
        else:
            ctx.send(src, Conflict(attempt))


class Contender(Node):
    """A client that wants one write through and retries after each conflict with ``backoff``.

    Parameters
    ----------
    backoff : str or callable
        A name of :data:`BACKOFFS` or a tenacity wait strategy.
    base, cap : float
        Seconds (see the module docstring).

    Observes ``done`` ``(attempts, time)`` when its write committed.
    """
    state_fields = ("attempt", "sleep")

    def __init__(self, node_id, peers=(), store=STORE, backoff="full", base=0.01, cap=1.0):
        super().__init__(node_id, peers)
        check_backoff(backoff)
        self.store, self.backoff = store, backoff
        self.base = number("base", base, low=0.0)
        self.cap = number("cap", cap, low=0.0)
        self.attempt = 0
        self.sleep = self.base

    def on_start(self, ctx):
        ctx.send(self.store, Write(0))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Committed):
            ctx.observe("done", (msg.attempt + 1, ctx.now))
        elif isinstance(msg, Conflict) and msg.attempt == self.attempt:
            self.sleep = backoff_sleep(self.backoff, self.attempt, self.sleep, ctx.rng, self.base, self.cap)
            self.attempt += 1
            if self.sleep > 0:
                ctx.set_timer("retry", self.sleep)
            else:
                ctx.send(self.store, Write(self.attempt))

    def on_timer(self, ctx, name):
        if name == "retry":
            ctx.send(self.store, Write(self.attempt))


def contention_scenario(clients: int = 20, backoff="full", base: float = 0.01, cap: float = 1.0,
                        work: float = 0.01, latency: float = 0.001, until: float = 120.0) -> Scenario:
    """``clients`` contenders that all start at 0 against one :class:`ContendedStore`.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> contention_summary(run(contention_scenario(5, "full"), seed=1))["finished"]
    5
    """
    positive_int("clients", clients, high=2000)
    check_backoff(backoff)
    ids = [f"c{i:04d}" for i in range(clients)]
    return Scenario({STORE: ContendedStore, **{i: Contender for i in ids}}, nodes=[STORE, *ids],
                    params={}, node_params={STORE: {"work": work},
                                            **{i: {"backoff": backoff, "base": base, "cap": cap} for i in ids}},
                    link=LinkModel(latency=latency), until=until,
                    name=f"{clients} clients, backoff {getattr(backoff, '__name__', backoff)}")


def contention_summary(trace) -> dict:
    """``calls`` (writes sent), ``finished`` (clients whose write committed) and ``completion``
    (the time the last one committed; the run's end if some never did)."""
    done = [e.value for e in trace.events if e.kind == "observe" and e.data == "done"]
    clients = len(trace.nodes) - 1
    calls = sum(1 for e in trace.events if e.kind == "send" and isinstance(e.data, Write))
    completion = max((t for _a, t in done), default=0.0) if len(done) == clients else trace.end_time
    return {"calls": calls, "finished": len(done), "completion": completion}


def contention_table(clients=(5, 10, 20, 40, 60), policies=BACKOFFS, seeds=range(3), **scenario):
    """Calls and completion time per number of clients, policy and seed: a long DataFrame with
    columns ``clients``, ``backoff``, ``seed``, ``calls``, ``completion``. A policy may be a name
    or a ``(label, tenacity wait)`` pair."""
    import pandas as pd
    from dsysedu.sim.kernel import run
    rows = []
    for n in clients:
        for policy in policies:
            label, wait = policy if isinstance(policy, tuple) else (policy, policy)
            for seed in seeds:
                s = contention_summary(run(contention_scenario(n, wait, **scenario), seed=seed))
                rows.append((n, label, seed, s["calls"], s["completion"]))
    return pd.DataFrame(rows, columns=["clients", "backoff", "seed", "calls", "completion"])
