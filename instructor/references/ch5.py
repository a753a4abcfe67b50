"""Reference solutions: chapter 5 exercises: three patterns, each as the small rule at its heart.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch5) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.systems.patterns.event_sourcing import Deposited, Renamed, Withdrawn, rebuild
from dsysedu.systems.resilience.breaker_lab import drive_ours

__all__ = ["accept_writes_reference", "breaker_states_reference", "balances_reference"]


def accept_writes_reference(tokens) -> list:
    """For each write in arrival order: accepted (True) unless its token is lower than one accepted before."""
    highest, out = 0, []
    for t in tokens:
        out.append(t >= highest)
        highest = max(highest, t)
    return out


def breaker_states_reference(outcomes, times, threshold, cooldown) -> list:
    """The breaker's ``(mode, refused)`` after each call (see :func:`dsysedu.systems.resilience.drive_ours`)."""
    return drive_ours(list(outcomes), list(times), threshold, cooldown)


_EVENT = {"deposit": Deposited, "withdraw": Withdrawn, "rename": Renamed}


def balances_reference(events) -> dict:
    """Fold events ``(kind, account, x)`` from nothing: ``{account: (balance, name)}``; new accounts are (0, "")."""
    return dict(rebuild([(i + 1, 0.0, _EVENT[k](a, x)) for i, (k, a, x) in enumerate(events)]))


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch5-fencing": accept_writes_reference, "ch5-breaker": breaker_states_reference, "ch5-rebuild": balances_reference}
