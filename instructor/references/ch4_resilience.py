"""Reference solutions: chapter 4.3/4.4 exercises: two small rules behind balancing and retries.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch4_resilience) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.systems.discovery.balancing import choose
from dsysedu.systems.resilience.backoff import backoff_sleep

__all__ = ["jittered_sleep_reference", "p2c_loads_reference"]


class _Draw:
    """A stand-in for ``random.Random`` whose ``uniform(a, b)`` is ``a + (b - a) * u`` and whose
    ``sample`` returns given pairs: the exercises' random draws, fixed."""

    def __init__(self, u=0.0, pairs=()):
        self.u, self.pairs = u, list(pairs)

    def uniform(self, a, b):
        return a + (b - a) * self.u

    def sample(self, population, k):
        return list(self.pairs.pop(0))


def jittered_sleep_reference(kind, attempt, previous, base, cap, u) -> float:
    """The sleep before retry ``attempt`` (0-based) under ``kind`` jitter, when the uniform draw is
    ``u`` in [0, 1) (a draw ``uniform(a, b)`` is ``a + (b - a) * u``)."""
    return backoff_sleep(kind, attempt, previous, _Draw(u), base, cap)


def p2c_loads_reference(backends, samples) -> list:
    """Requests assigned (none finishes) to ``backends`` backends by the power of two choices, when
    request ``i`` sampled the two backends ``samples[i]``: the count per backend. Ties go to the
    first of the pair."""
    load = {b: 0 for b in range(backends)}
    rng = _Draw(pairs=samples)
    for _ in samples:
        load[choose("p2c", list(range(backends)), load, rng)] += 1
    return [load[b] for b in range(backends)]


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch4-jitter": jittered_sleep_reference, "ch4-p2c": p2c_loads_reference}
