"""Chapter 4.3/4.4 exercises: two small rules behind balancing and retries.

- ``ch4-jitter``: the sleep before a retry under full, equal or decorrelated jitter, for a given uniform draw
  (Brooker's formulas, as :func:`dsysedu.systems.resilience.backoff_sleep` computes them);
- ``ch4-p2c``: where the power of two choices sends each request, given the two backends it sampled.
"""
from __future__ import annotations

from .core import Exercise, close, register

__all__ = []


# ------------------------------------------------------------------ jitter


def _jitter_cases():
    return [
        ("full jitter, first retry, the draw in the middle", ("full", 0, 0.01, 0.01, 1.0, 0.5)),
        ("full jitter, fourth retry: the window is base * 2**3", ("full", 3, 0.01, 0.01, 1.0, 0.25)),
        ("full jitter, the window reaches the cap", ("full", 12, 0.01, 0.01, 1.0, 0.5)),
        ("full jitter, the draw at 0: retry at once", ("full", 5, 0.01, 0.01, 1.0, 0.0)),
        ("equal jitter: half the window, plus a draw over the other half", ("equal", 2, 0.01, 0.01, 1.0, 0.5)),
        ("equal jitter at the cap", ("equal", 20, 0.01, 0.01, 1.0, 0.0)),
        ("decorrelated jitter grows from the previous sleep (3 times it)", ("decorrelated", 3, 0.1, 0.01, 1.0, 0.5)),
        ("decorrelated jitter, the draw at 0: back to base", ("decorrelated", 3, 0.4, 0.01, 1.0, 0.0)),
        ("decorrelated jitter is capped", ("decorrelated", 9, 0.9, 0.01, 1.0, 0.9)),
        ("another base and cap", ("full", 4, 0.0, 0.1, 5.0, 0.75)),
    ]


register(Exercise(
    id="ch4-jitter",
    title="Backoff with jitter: how long to sleep before a retry",
    cases=_jitter_cases,
    same=close,
    hint="let window = min(cap, base * 2 ** attempt) and draw(a, b) = a + (b - a) * u. full: draw(0, window); "
         "equal: window / 2 + draw(0, window / 2); decorrelated: min(cap, draw(base, 3 * max(previous, base))).",
))


# ------------------------------------------------------------------ power of two choices


def _p2c_cases():
    return [
        ("one request: a tie (both empty), so to the first of the pair", (3, [(0, 1)])),
        ("a tie goes to the first of the pair", (2, [(1, 0), (1, 0)])),
        ("the emptier of the two wins", (3, [(0, 1), (0, 1), (0, 1)])),
        ("the same pair many times alternates", (2, [(0, 1)] * 6)),
        ("three backends, mixed pairs", (3, [(0, 1), (1, 2), (2, 0), (0, 1), (1, 2), (0, 2)])),
        ("a backend never sampled stays empty", (4, [(0, 1), (1, 0), (0, 1)])),
        ("ten backends, a longer run", (10, [((3 * i) % 10, (7 * i + 1) % 10) for i in range(40)])),
        ("no requests", (3, [])),
    ]


register(Exercise(
    id="ch4-p2c",
    title="The power of two choices: where does each request go?",
    cases=_p2c_cases,
    same=lambda expected, got: list(got) == expected if isinstance(got, (list, tuple)) else False,
    hint="keep a count per backend, all 0; for each pair (a, b), add the request to a if count[a] <= count[b], "
         "else to b; return the counts as a list, backend 0 first.",
))
