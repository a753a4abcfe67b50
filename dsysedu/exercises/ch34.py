"""Chapter 3.4 exercises: the two calculations inside a failure detector.

- ``ch34-phi``: the suspicion level φ of the accrual detector, from a window of inter-arrival
  times and the time since the last heartbeat (Hayashibara et al., SRDS 2004);
- ``ch34-suspects``: a heartbeat detector's output, from the heartbeat arrival times per peer,
  the current time and a timeout.

References
----------
N. Hayashibara, X. Défago, R. Yared and T. Katayama, "The φ accrual failure detector", SRDS 2004.
"""
from __future__ import annotations

import math
from numbers import Real

from .core import Exercise, register

__all__ = []


# ------------------------------------------------------------------ phi


def _same_phi(expected, got) -> bool:
    """A real number within 1e-6 (relative) of φ; infinity only where φ is infinite."""
    if isinstance(got, bool) or not isinstance(got, Real):
        return False
    if math.isinf(expected):
        return math.isinf(got) and got > 0
    return math.isclose(float(got), expected, rel_tol=1e-6, abs_tol=1e-9)


def _phi_cases():
    regular = [0.1] * 5
    jittery = [0.08, 0.12, 0.1, 0.15, 0.05, 0.1]
    return [
        ("a regular window [0.1]*5, 0.1 s since the last heartbeat (exactly the mean)", (0.1, regular)),
        ("a regular window [0.1]*5, just after a heartbeat (elapsed 0)", (0.0, regular)),
        ("a regular window [0.1]*5, 0.12 s of silence (two standard deviations late, std floored at 0.01)",
         (0.12, regular)),
        ("a jittery window [0.08, 0.12, 0.1, 0.15, 0.05, 0.1], 0.1 s of silence", (0.1, jittery)),
        ("the same jittery window, 0.2 s of silence", (0.2, jittery)),
        ("the same jittery window, 0.3 s of silence", (0.3, jittery)),
        ("a window of one interval [0.5], 0.5 s of silence", (0.5, [0.5])),
        ("a window [1.0, 3.0] (mean 2, std 1), 4 s of silence", (4.0, [1.0, 3.0])),
        ("a window [1.0, 3.0] (mean 2, std 1), 1 s of silence: earlier than usual", (1.0, [1.0, 3.0])),
        ("a regular window [0.1]*5 and 2 s of silence: the chance of a later heartbeat underflows",
         (2.0, regular)),
    ]


register(Exercise(
    id="ch34-phi",
    title="The suspicion level φ of the accrual failure detector",
    cases=_phi_cases,
    same=_same_phi,
    hint="mean and population standard deviation of the window (std at least 0.01); "
         "P_later = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2))); phi = -math.log10(P_later), "
         "never below 0, and math.inf when P_later is 0.",
))


# ------------------------------------------------------------------ suspects


def _same_set(expected, got) -> bool:
    """A set (or frozenset) of peers; a list could repeat a peer and has an order that means nothing."""
    return isinstance(got, (set, frozenset)) and set(got) == expected


def _suspects_cases():
    steady = {"a": [0.5, 1.0, 1.5], "b": [0.5, 1.0, 1.5], "c": [0.5, 1.0, 1.5]}
    return [
        ("three peers heartbeating every 0.5 s, now=1.75, timeout=1.0", (steady, 1.75, 1.0)),
        ("peer 'c' stopped after t=0.5, now=2.0, timeout=1.0",
         ({"a": [0.5, 1.0, 1.5], "b": [0.5, 1.0, 1.5], "c": [0.5]}, 2.0, 1.0)),
        ("peer 'b' is silent for exactly the timeout (last heartbeat 1.0, now=2.0, timeout=1.0)",
         ({"a": [1.5], "b": [0.5, 1.0]}, 2.0, 1.0)),
        ("peer 'b' has sent no heartbeat at all, now=0.5, timeout=1.0", ({"a": [0.25], "b": []}, 0.5, 1.0)),
        ("peer 'b' has sent no heartbeat at all, now=1.5, timeout=1.0", ({"a": [1.25], "b": []}, 1.5, 1.0)),
        ("every peer silent: last heartbeats at 1.0 and 2.0, now=5.0, timeout=1.5",
         ({1: [0.5, 1.0], 2: [1.5, 2.0]}, 5.0, 1.5)),
        ("no peers at all", ({}, 3.0, 1.0)),
        ("integer node ids 0..3; node 2 went quiet at 3.0, now=4.5, timeout=1.25",
         ({0: [3.0, 4.0], 1: [3.5, 4.25], 2: [2.0, 3.0], 3: [4.5]}, 4.5, 1.25)),
        ("a tight timeout 0.25 with heartbeats every 0.5 s: everyone is suspected between heartbeats",
         (steady, 1.875, 0.25)),
    ]


register(Exercise(
    id="ch34-suspects",
    title="A heartbeat detector's output: which peers are suspected now?",
    cases=_suspects_cases,
    same=_same_set,
    hint="for each peer take its last heartbeat (time 0 if there is none) and suspect it when "
         "now - last >= timeout; return a set.",
))
