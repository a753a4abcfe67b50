"""The AI component as a formal interface (形式化接口), and the guard (护栏) that enforces its bounds.

A model that proposes replica counts is an untrusted component: it can be late, crash,
answer nonsense, or answer something plausible and wrong. So the scaler never applies its
answer directly; a :class:`Guard` stands between them and enforces the contract written in
an :class:`AIInterface`:

========== ================================================================================
inputs     an :class:`Observation`: the time, replicas, ready replicas, requests per second
outputs    a :class:`Proposal`: a replica count and how long the model took to answer
constraints :class:`Bounds`: at least ``min_replicas``, at most ``max_replicas``, a change of
           at most ``max_step`` per decision, an answer within ``deadline`` seconds
feedback   each decision's source and reason are logged; after ``strikes`` bad answers in a
           row the guard stops asking the model for ``cooldown`` seconds (like a breaker)
========== ================================================================================

When the model is late, raises, answers something that is not a count, or is *wrong* (a
count whose capacity is below the load it was shown), the guard uses the fallback: the
reactive HPA rule of :mod:`dsysedu.ops.autoscaling`. Whatever the source, the count that
leaves the guard is clipped to the step and the bounds: no action outside them goes through
(``tests/ops/test_guard.py`` checks that with hypothesis against arbitrary answers).
:class:`MisbehavingModel` breaks a good model on purpose, with seeded probabilities.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

import pandas as pd

from dsysedu.sim.streams import normalize_seed, numpy_stream
from dsysedu.sim.validate import number, positive_int, probability

__all__ = ["Observation", "Proposal", "Bounds", "AIInterface", "Decision", "Guard", "GuardedScaler",
           "MisbehavingModel", "SCALER_INTERFACE"]


@dataclass(frozen=True)
class Observation:
    """What the model is shown at a decision: time (s), replicas, ready replicas, requests per second."""
    now: float
    current: int
    ready: int
    rps: float


@dataclass(frozen=True)
class Proposal:
    """A model's answer: ``replicas`` wanted, and ``took`` seconds to compute it."""
    replicas: object
    took: float = 0.0


@dataclass(frozen=True)
class Bounds:
    """The safety bounds: replica range, largest change per decision, answer deadline (s)."""
    min_replicas: int = 2
    max_replicas: int = 200
    max_step: int = 20
    deadline: float = 1.0

    def __post_init__(self):
        positive_int("min_replicas", self.min_replicas)
        positive_int("max_replicas", self.max_replicas, low=self.min_replicas)
        positive_int("max_step", self.max_step)
        number("deadline", self.deadline, low=0.0, low_open=True)

    def clip(self, current: int, replicas: int) -> int:
        """``replicas`` moved at most ``max_step`` from ``current``, then into ``[min, max]``."""
        r = min(current + self.max_step, max(current - self.max_step, replicas))
        return min(self.max_replicas, max(self.min_replicas, r))


@dataclass(frozen=True)
class AIInterface:
    """A component's contract, as data: what goes in, what comes out, what must hold, what comes back."""
    name: str
    inputs: tuple
    outputs: tuple
    constraints: tuple
    feedback: tuple

    def table(self) -> pd.DataFrame:
        """One row per item: ``part`` (inputs, outputs, constraints, feedback) and ``item``."""
        return pd.DataFrame([(part, item) for part in ("inputs", "outputs", "constraints", "feedback")
                             for item in getattr(self, part)], columns=["part", "item"])


def SCALER_INTERFACE(bounds: Bounds) -> AIInterface:     # noqa: N802  (a constant that depends on the bounds)
    """The replica model's contract for ``bounds``."""
    return AIInterface(
        "replica forecaster",
        inputs=("now: simulated seconds", "current: replicas (int)", "ready: replicas serving (int)",
                "rps: requests per second now"),
        outputs=("replicas: int wanted after this decision", "took: seconds the answer took"),
        constraints=(f"replicas >= {bounds.min_replicas}", f"replicas <= {bounds.max_replicas}",
                     f"|replicas - current| <= {bounds.max_step}", f"took <= {bounds.deadline:g} s",
                     "capacity of the proposal >= the load it was shown, else fall back to the HPA rule"),
        feedback=("every decision logged with its source (model, fallback) and reason",
                  "bad answers in a row trip the guard: the model is not asked during a cooldown"))


@dataclass(frozen=True)
class Decision:
    """What the guard let through, from which ``source`` (``model`` or ``fallback``) and why."""
    now: float
    current: int
    replicas: int
    source: str
    reason: str
    clipped: bool


@dataclass
class Guard:
    """Enforce :class:`Bounds` on a model's proposals, with a fallback scaler.

    Parameters
    ----------
    bounds : Bounds
    per_replica : float
        Requests per second one replica can serve: a proposal below ``rps / per_replica`` is wrong.
    strikes : int
        Bad answers in a row that trip the guard.
    cooldown : float
        Seconds the model is not asked once tripped.
    """
    bounds: Bounds = field(default_factory=Bounds)
    per_replica: float = 60.0
    strikes: int = 3
    cooldown: float = 600.0

    def __post_init__(self):
        if not isinstance(self.bounds, Bounds):
            raise TypeError(f"bounds must be a Bounds, got {self.bounds!r}")
        number("per_replica", self.per_replica, low=0.0, low_open=True)
        positive_int("strikes", self.strikes)
        number("cooldown", self.cooldown, low=0.0)
        self.reset()

    def reset(self) -> None:
        self.bad_in_a_row, self.tripped_until = 0, -math.inf

    @property
    def interface(self) -> AIInterface:
        return SCALER_INTERFACE(self.bounds)

    def judge(self, obs: Observation, model) -> tuple[int | None, str]:
        """``(replicas, "ok")`` if the model's answer keeps the contract, else ``(None, why)``."""
        try:
            p = model.propose(obs)
        except Exception as e:          # noqa: BLE001  (any failure of the model is a reason to fall back)
            return None, f"model raised {type(e).__name__}"
        if not isinstance(p, Proposal):
            return None, "answer is not a Proposal"
        if not isinstance(p.took, Real) or not p.took <= self.bounds.deadline:
            return None, "late"
        r = p.replicas
        if isinstance(r, bool) or not isinstance(r, Real) or not math.isfinite(r) or r != int(r):
            return None, "not a replica count"
        if int(r) * self.per_replica < obs.rps:
            return None, "wrong: below the load it was shown"
        return int(r), "ok"

    def decide(self, obs: Observation, model, fallback) -> Decision:
        """Ask the model (unless tripped), fall back if it breaks the contract, clip to the bounds."""
        if obs.now < self.tripped_until:
            wanted, source, reason = None, "fallback", "tripped: cooling down"
        else:
            wanted, reason = self.judge(obs, model)
            source = "model" if wanted is not None else "fallback"
            self.bad_in_a_row = 0 if wanted is not None else self.bad_in_a_row + 1
            if self.bad_in_a_row >= self.strikes:
                self.tripped_until, self.bad_in_a_row = obs.now + self.cooldown, 0
        if wanted is None:
            wanted = int(fallback.recommend(obs.now, obs.current, obs.ready, obs.rps))
        out = self.bounds.clip(obs.current, wanted)
        return Decision(obs.now, obs.current, out, source, reason, out != wanted)


class GuardedScaler:
    """A scaler for :func:`dsysedu.ops.autoscaling.simulate`: ``model`` behind a :class:`Guard`.

    ``decisions`` keeps every :class:`Decision` of the last run.
    """

    def __init__(self, model, guard: Guard, fallback, name: str = "guarded model"):
        if not hasattr(model, "propose"):
            raise TypeError(f"model must have propose(observation) -> Proposal, got {model!r}")
        self.model, self.guard, self.fallback, self.name = model, guard, fallback, name
        self.decisions: list[Decision] = []

    def reset(self) -> None:
        self.decisions = []
        self.guard.reset()
        for part in (self.fallback, self.model):
            if hasattr(part, "reset"):
                part.reset()

    def recommend(self, now, current, ready, rps) -> int:
        d = self.guard.decide(Observation(now, current, ready, rps), self.model, self.fallback)
        self.decisions.append(d)
        return d.replicas

    def log(self) -> pd.DataFrame:
        return pd.DataFrame([vars(d) for d in self.decisions],
                            columns=["now", "current", "replicas", "source", "reason", "clipped"])


class MisbehavingModel:
    """Wraps a model and breaks it on purpose: each answer is, with the given probabilities, late
    (``took`` ten times the ``deadline``), wild (0, a negative count, a million), garbage (NaN,
    None, a string), an exception, or confidently wrong (a tenth of what the model said). Seeded, so a run
    misbehaves the same way twice.
    """

    WILD = (0, -5, 1_000_000)
    GARBAGE = (float("nan"), None, "many", 3.5)

    def __init__(self, inner, p_late=0.05, p_wild=0.05, p_garbage=0.05, p_raise=0.05, p_wrong=0.0,
                 deadline=1.0, seed=None):
        self.inner = inner
        self.p = {k: probability(k, v) for k, v in (("p_late", p_late), ("p_wild", p_wild),
                                                    ("p_garbage", p_garbage), ("p_raise", p_raise),
                                                    ("p_wrong", p_wrong))}
        if sum(self.p.values()) > 1:
            raise ValueError(f"the probabilities must add up to at most 1, got {sum(self.p.values()):g}")
        self.deadline = number("deadline", deadline, low=0.0, low_open=True)
        self.seed = normalize_seed(seed)
        self.reset()

    def reset(self) -> None:
        self.rng = numpy_stream(self.seed, "misbehaving model")
        self.counts = {k[2:]: 0 for k in self.p} | {"good": 0}
        if hasattr(self.inner, "reset"):
            self.inner.reset()

    def propose(self, obs: Observation) -> Proposal:
        good = self.inner.propose(obs)
        u, acc = self.rng.random(), 0.0
        for kind, p in self.p.items():
            acc += p
            if u < acc:
                self.counts[kind[2:]] += 1
                return self._break(kind[2:], good)
        self.counts["good"] += 1
        return good

    def _break(self, kind, good: Proposal) -> Proposal:
        if kind == "late":
            return Proposal(good.replicas, 10 * self.deadline)
        if kind == "wild":
            return Proposal(self.WILD[int(self.rng.integers(len(self.WILD)))], good.took)
        if kind == "garbage":
            return Proposal(self.GARBAGE[int(self.rng.integers(len(self.GARBAGE)))], good.took)
        if kind == "raise":
            raise RuntimeError("the model server answered 503")
        return Proposal(max(1, int(good.replicas) // 10), good.took)
