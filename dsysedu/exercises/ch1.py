"""Chapter 1 exercises: what a client can know over an unreliable link."""
from __future__ import annotations

from dsysedu.protocols.basics import request_reply_scenario
from dsysedu.sim import Crash, run
from .core import Exercise, close, register

__all__ = []


def _classify_cases():
    cases = []
    for loss, seed, faults in ((0.0, 1, ()), (0.2, 2, ()), (0.4, 3, ()), (0.3, 4, (Crash(1, at=0.5, until=1.2),)),
                               (0.1, 5, ())):
        tr = run(request_reply_scenario(loss=loss, requests=15, faults=faults), seed=seed)
        cases.append((f"request/reply with loss={loss}, seed={seed}, faults={list(faults)}", (tr,)))
    return cases


register(Exercise(
    id="ch1-classify",
    title="Which requests happened?",
    cases=_classify_cases,
    hint="client outcomes are observe rows with key 'outcome'; the server observes 'applied'.",
))


def _timeout_cases():
    return [(f"max_latency={m}, processing={p}", (m, p)) for m, p in
            ((0.05, 0.0), (0.01, 0.002), (0.2, 0.05), (1.0, 0.0))]


register(Exercise(
    id="ch1-timeout",
    title="A timeout that never gives up too early",
    cases=_timeout_cases,
    same=close,
    hint="a reply arrives after the request's trip, the server's work and the reply's trip.",
))
