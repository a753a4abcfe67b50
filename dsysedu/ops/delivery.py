"""Continuous delivery (持续集成/持续部署): gates, then a release strategy with automated rollback.

A release :class:`Candidate` is a new version of the ``orders`` service. Before it reaches a user
it passes a pipeline of gates (:data:`GATES`), each a different kind of check:

``unit``
    the service's pricing rule on examples with known answers (:data:`PRICE_EXAMPLES`);
``contract``
    a consumer-driven contract, as Pact checks one: the gateway (the consumer) states which
    fields of an answer it reads (:data:`CONTRACT`), and the provider's new version must still
    send them;
``model check``
    the two-phase-commit coordinator the version ships is model-checked for atomicity
    (:func:`~dsysedu.protocols.transactions.twopc.twopc_model`).

A defect none of them can see (a version that is slower or fails more often under load) is left to
the *release strategy* on the simulated :class:`~dsysedu.ops.cluster.Cluster` (:func:`release`):

``canary``
    one instance of the new version and a fresh baseline of the old take ``share`` of the traffic
    each for ``analysis`` seconds; the :func:`~dsysedu.ops.canary.judge` compares them
    (Mann-Whitney U) and the release is promoted or rolled back automatically;
``blue-green``
    a full fleet of the new version (green) is started beside the old (blue), all traffic is
    switched to it, green is judged against blue's window before the switch, and traffic is
    switched back if it fails;
``all-at-once``
    every instance is replaced; nothing is judged, nothing rolls back.

:func:`release_experiment` releases many seeded candidates, some bad, with each strategy and
counts what the issue asks for: bad releases caught, user-facing errors during the rollout, and
false rollbacks of good releases (:func:`release_summary`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions.twopc import Coordinator, MajorityCoordinator, atomicity, twopc_model
from dsysedu.sim.kernel import run
from dsysedu.sim.validate import number

from .canary import Judgement, instance_samples, judge
from .cluster import Cluster, instance_id
from .telemetry import spans

__all__ = ["Candidate", "price", "PRICE_EXAMPLES", "CONTRACT", "Gate", "GateResult", "GATES", "run_pipeline",
           "STRATEGIES", "ReleaseOutcome", "release", "candidates", "release_experiment", "release_summary"]

SERVICE = "orders"


def price(quantity: int, unit_cents: int) -> int:
    """The orders service's rule: ``quantity * unit_cents``, 10 % off (rounded down) from 10 items on."""
    total = quantity * unit_cents
    return total - total // 10 if quantity >= 10 else total


def _price_off_by_one(quantity: int, unit_cents: int) -> int:
    total = quantity * unit_cents
    return total - total // 10 if quantity > 10 else total


#: (quantity, unit price in cents, expected total): the unit gate's examples
PRICE_EXAMPLES = ((1, 250, 250), (9, 100, 900), (10, 100, 900), (12, 199, 2150), (0, 500, 0))
#: the consumer-driven contract: the fields of an answer that the gateway reads
CONTRACT = ("call", "ok")


@dataclass(frozen=True)
class Candidate:
    """A new version of the orders service, as the pipeline and the cluster see it.

    ``work`` and ``error_rate`` are how it behaves under load (only a release shows them);
    ``price``, ``answer_fields`` and ``coordinator`` are what the gates test. ``defect`` is the
    experiment's ground truth ("" for a good release), never read by a gate or a judge.
    """
    version: str
    work: float = 0.005
    error_rate: float = 0.0
    price: Callable = field(default=price, compare=False)
    answer_fields: tuple = CONTRACT + ("total",)
    coordinator: type = Coordinator
    defect: str = ""


@dataclass(frozen=True)
class Gate:
    """A pipeline stage: ``test(candidate)`` returns ``(passed, detail)``."""
    name: str
    test: Callable


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str


def _unit(c: Candidate):
    wrong = [(q, u, want, c.price(q, u)) for q, u, want in PRICE_EXAMPLES if c.price(q, u) != want]
    if wrong:
        q, u, want, got = wrong[0]
        return False, f"price({q}, {u}) = {got}, expected {want} ({len(wrong)} of {len(PRICE_EXAMPLES)} fail)"
    return True, f"{len(PRICE_EXAMPLES)} examples pass"


def _contract(c: Candidate):
    missing = [f for f in CONTRACT if f not in c.answer_fields]
    if missing:
        return False, f"the gateway reads {missing}, which the new answer no longer has"
    return True, f"answers carry {list(CONTRACT)}"


_MODEL_CHECKED: dict = {}


def _model_check(c: Candidate):
    if c.coordinator not in _MODEL_CHECKED:
        _MODEL_CHECKED[c.coordinator] = check(twopc_model(3, c.coordinator), atomicity)
    r = _MODEL_CHECKED[c.coordinator]
    if r.verdict != "ok":
        return False, f"atomicity violated after {len(r.path)} actions ({r.states} states)"
    return True, f"atomicity verified over {r.states} states"


GATES = (Gate("unit", _unit), Gate("contract", _contract), Gate("model check", _model_check))
"""The pipeline's gates, in order."""


def run_pipeline(candidate: Candidate, gates=GATES) -> list:
    """Run the gates in order and stop at the first that fails: a list of :class:`GateResult`."""
    if not isinstance(candidate, Candidate):
        raise TypeError(f"run_pipeline() takes a Candidate, got {candidate!r}")
    out = []
    for g in gates:
        passed, detail = g.test(candidate)
        out.append(GateResult(g.name, bool(passed), detail))
        if not passed:
            break
    return out


# ------------------------------------------------------------------ releases on the cluster

STRATEGIES = ("canary", "blue-green", "all-at-once")


@dataclass(frozen=True)
class ReleaseOutcome:
    """What one release did: promoted or rolled back, and what the users saw during it.

    ``samples`` holds the latencies the judge compared, ``(baseline, new version)`` (empty for all-at-once).
    """
    strategy: str
    version: str
    promoted: bool
    judgement: Judgement | None
    user_errors: int
    requests: int
    cluster: Cluster = field(compare=False, repr=False)
    samples: tuple = field(default=(), compare=False, repr=False)


def _users(trace) -> tuple:
    roots = [s for s in spans(trace) if s.parent_id is None and s.finished]
    return sum(s.status == "ERROR" for s in roots), len(roots)


def release(cluster: Cluster, candidate: Candidate, strategy: str = "canary", *, seed=None, rate: float = 100.0,
            analysis: float = 3.0, watch: float = 1.0, share: float = 0.2, retries: int = 0,
            **judge_options) -> ReleaseOutcome:
    """Release ``candidate`` onto the ``orders`` instances of ``cluster`` (which is left unchanged).

    Parameters
    ----------
    cluster : Cluster
        Runs at least one ``orders`` instance.
    candidate : Candidate
    strategy : {"canary", "blue-green", "all-at-once"}
    seed : int, optional
        Seeds every window of the release.
    rate : float
        User requests per second.
    analysis, watch : float
        Seconds of the judged window, and of the window after the decision.
    share : float
        The canary's (and the baseline's) share of the orders traffic, in (0, 0.5).
    retries : int
        Further attempts of every caller (a retry may land on another instance).
    judge_options
        Passed to :func:`~dsysedu.ops.canary.judge` (``alpha``, ``latency_effect``...).

    Returns
    -------
    ReleaseOutcome
        ``user_errors`` and ``requests`` count the users' requests over both windows.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if not isinstance(candidate, Candidate):
        raise TypeError(f"release() takes a Candidate, got {candidate!r}")
    old = cluster.instances_of(SERVICE)
    if not old:
        raise ValueError(f"the cluster runs no {SERVICE!r} instance to release onto")
    share = number("share", share, low=0.0, low_open=True, high=0.5)
    if share >= 0.5:
        raise ValueError("share must be < 0.5: the canary and the baseline each take it")
    seed = 0 if seed is None else seed
    old_version = cluster.instances[old[0]]
    work = cluster.copy()
    work.behaviour[(SERVICE, candidate.version)] = {"work": candidate.work, "error_rate": candidate.error_rate}

    def window(c, seconds, k, weights=None):
        return run(c.scenario(rate=rate, duration=seconds, weights=weights, retries=retries), seed=seed * 7 + k)

    promoted, verdict, compared = True, None, ()
    new = work.copy()
    for iid in old:
        new.add(iid, candidate.version)
    if strategy == "canary":
        trial = work.copy()
        base, can = instance_id(SERVICE, "baseline"), instance_id(SERVICE, "canary")
        trial.add(base, old_version)
        trial.add(can, candidate.version)
        w = share * len(old) / (1 - 2 * share)
        first = window(trial, analysis, 1, {base: w, can: w})
        (bl, be), (cl, ce) = instance_samples(first, base), instance_samples(first, can)
        verdict, compared = (judge(bl, cl, be, ce, **judge_options) if bl and cl else None), (bl, cl)
        promoted = verdict is None or verdict.promote
    elif strategy == "blue-green":
        before = window(work, analysis, 0)
        green = work.copy()
        for i in range(len(old)):
            green.add(instance_id(SERVICE, f"green{i}"), candidate.version)
        first = window(green, analysis, 1, {iid: 0.0 for iid in old})
        samples = [instance_samples(before, i) for i in old], [instance_samples(first, instance_id(SERVICE, f"green{i}"))
                                                               for i in range(len(old))]
        (bl, be), (cl, ce) = ([sum((s[j] for s in side), []) for j in (0, 1)] for side in samples)
        verdict, compared = (judge(bl, cl, be, ce, **judge_options) if bl and cl else None), (bl, cl)
        promoted = verdict is None or verdict.promote
    else:
        first = window(new, analysis, 1)
    after = new if promoted else work
    second = window(after, watch, 2)
    e1, n1 = _users(first)
    e2, n2 = _users(second)
    return ReleaseOutcome(strategy, candidate.version, promoted, verdict, e1 + e2, n1 + n2, after, compared)


def candidates(n: int = 20, *, seed=None, bad_share: float = 0.4) -> list:
    """``n`` seeded release candidates; about ``bad_share`` of them defective.

    A good candidate differs from the running version by up to ±5 % of work (good releases are
    not identical either). A defect is one of ``slow`` (work x 1.6 to 3), ``errors`` (5 to 15 %
    of requests fail), ``unit`` (the pricing rule's off-by-one), ``contract`` (the ``ok`` field
    renamed) or ``model`` (a coordinator that commits on a majority of votes).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    bad_share = number("bad_share", bad_share, low=0.0, high=1.0)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        version = f"1.{5 + i}.0"
        good = Candidate(version, work=0.005 * float(rng.uniform(0.95, 1.05)))
        if rng.random() >= bad_share:
            out.append(good)
            continue
        kind = str(rng.choice(["slow", "errors", "slow", "errors", "unit", "contract", "model"]))
        changes = {"slow": {"work": 0.005 * float(rng.uniform(1.6, 3.0))},
                   "errors": {"error_rate": float(rng.uniform(0.05, 0.15))},
                   "unit": {"price": _price_off_by_one},
                   "contract": {"answer_fields": ("call", "success", "total")},
                   "model": {"coordinator": MajorityCoordinator}}[kind]
        out.append(replace(good, defect=kind, **changes))
    return out


def release_experiment(cluster: Cluster, cands, strategies=STRATEGIES, *, seed=None, **release_options) -> pd.DataFrame:
    """Every candidate through the gates, then (if it passed them) released with each strategy.

    Returns
    -------
    pandas.DataFrame
        One row per (candidate, strategy): ``version``, ``defect`` ("" if good), ``bad``,
        ``strategy``, ``stopped_by`` (the gate that stopped it, ``"judge"`` for a rollback,
        ``""`` if it reached every user), ``rolled_back``, ``user_errors``, ``requests``.
    """
    rows = []
    base = 0 if seed is None else seed
    for i, c in enumerate(cands):
        gates = run_pipeline(c)
        failed = next((g.gate for g in gates if not g.passed), "")
        for strategy in strategies:
            row = {"version": c.version, "defect": c.defect, "bad": bool(c.defect), "strategy": strategy}
            if failed:
                row.update(stopped_by=failed, rolled_back=False, user_errors=0, requests=0)
            else:
                out = release(cluster, c, strategy, seed=base * 1000 + i, **release_options)
                row.update(stopped_by="" if out.promoted else "judge", rolled_back=not out.promoted,
                           user_errors=out.user_errors, requests=out.requests)
            rows.append(row)
    return pd.DataFrame(rows)


def release_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: bad releases caught (by a gate or the judge), missed, false rollbacks, user errors."""
    out = []
    for strategy, g in table.groupby("strategy", sort=False):
        bad, good = g[g["bad"]], g[~g["bad"]]
        out.append({"strategy": strategy, "bad": len(bad), "caught_by_gates": int((bad["stopped_by"].isin(
            [x.name for x in GATES])).sum()), "caught_by_judge": int((bad["stopped_by"] == "judge").sum()),
            "missed": int((bad["stopped_by"] == "").sum()), "good": len(good),
            "false_rollbacks": int(good["rolled_back"].sum()), "user_errors": int(g["user_errors"].sum()),
            "user_requests": int(g["requests"].sum())})
    return pd.DataFrame(out).set_index("strategy")
