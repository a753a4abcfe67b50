"""Chapter 5 exercises: three patterns, each as the small rule at its heart.

- ``ch5-fencing``: which writes a storage with fencing tokens accepts (Kleppmann's token 33 after 34);
- ``ch5-breaker``: a circuit breaker's state after each call, with failures in a row and a cooldown (the rule
  of the course's breaker and of pybreaker);
- ``ch5-rebuild``: an event-sourced state, rebuilt by folding the events.
"""
from __future__ import annotations

from .core import Exercise, register

__all__ = []


# ------------------------------------------------------------------ fencing


def _fencing_cases():
    return [
        ("one leader, token 1, three writes", ([1, 1, 1],)),
        ("Kleppmann's example: 33 writes, 34 writes, then 33's late write arrives", ([33, 34, 33],)),
        ("a late write after two newer leaders", ([5, 6, 7, 5, 7],)),
        ("the old leader's two late writes, one after the other: both refused", ([1, 2, 1, 1],)),
        ("the new leader writes again after the old one's late write", ([1, 2, 1, 2, 2],)),
        ("tokens that only grow", ([3, 4, 8, 9],)),
        ("no writes", ([],)),
        ("a token seen again after a higher one was refused? (never refused: 2 is accepted twice)", ([2, 2, 1, 2],)),
    ]


register(Exercise(
    id="ch5-fencing",
    title="Fencing tokens: which writes does the storage accept?",
    cases=_fencing_cases,
    same=lambda expected, got: isinstance(got, list) and got == expected,
    hint="keep the highest token accepted so far (start at 0); a write is accepted when its token is at least "
         "that high; return one True/False per write, in order, as a list.",
))


# ------------------------------------------------------------------ circuit breaker


def _breaker_cases():
    f, t = False, True
    return [
        ("all calls succeed, threshold 2", ([t, t, t], [0.0, 1.0, 2.0], 2, 5.0)),
        ("two failures in a row trip it (threshold 2); the next call is refused",
         ([f, f, t], [0.0, 1.0, 2.0], 2, 5.0)),
        ("a success between failures resets the count", ([f, t, f, t, f], [0.0, 1.0, 2.0, 3.0, 4.0], 2, 5.0)),
        ("after the cooldown one trial call goes through and succeeds: closed again",
         ([f, f, t, t, t], [0.0, 1.0, 2.0, 6.0, 7.0], 2, 5.0)),
        ("the trial call fails: open again, for a new cooldown",
         ([f, f, f, t, t], [0.0, 1.0, 6.0, 7.0, 11.0], 2, 5.0)),
        ("a call exactly when the cooldown ends is the trial", ([f, t, t], [0.0, 1.0, 1.0 + 1.0], 1, 2.0)),
        ("threshold 1: every failure trips it", ([f, t, f, t], [0.0, 0.5, 3.0, 3.5], 1, 2.0)),
        ("the dependency is sick for a while, a call every 0.5 s, threshold 3, cooldown 2 s",
         ([i < 2 or i >= 12 for i in range(16)], [i * 0.5 for i in range(16)], 3, 2.0)),
    ]


def _same_states(expected, got) -> bool:
    try:
        return [(str(m), bool(r)) for m, r in got] == expected and len(got) == len(expected)
    except (TypeError, ValueError):
        return False


register(Exercise(
    id="ch5-breaker",
    title="A circuit breaker, call by call: closed, open, half-open",
    cases=_breaker_cases,
    same=_same_states,
    hint="keep mode ('closed', 'open', 'half_open'), failures in a row and when it opened; before each call, an "
         "open breaker whose cooldown has passed (time >= opened + cooldown) becomes half_open; open refuses the "
         "call; otherwise the call runs: success closes (from half_open) and resets the count, failure in "
         "half_open or the threshold-th in a row opens it (opened = this time). Return [(mode, refused), ...].",
))


# ------------------------------------------------------------------ event sourcing


def _rebuild_cases():
    return [
        ("no events", ([],)),
        ("one deposit", ([("deposit", "a", 10)],)),
        ("deposit, withdraw, deposit", ([("deposit", "a", 10), ("withdraw", "a", 3), ("deposit", "a", 5)],)),
        ("a rename keeps the balance", ([("deposit", "a", 10), ("rename", "a", "Ada")],)),
        ("the last rename wins", ([("rename", "a", "Ada"), ("rename", "a", "Bob")],)),
        ("a rename of an account with no money yet", ([("rename", "b", "Cy")],)),
        ("two accounts, interleaved", ([("deposit", "a", 4), ("deposit", "b", 7), ("withdraw", "a", 4),
                                        ("rename", "b", "Di"), ("deposit", "b", 1)],)),
    ]


register(Exercise(
    id="ch5-rebuild",
    title="Event sourcing: the state is the fold of the events",
    cases=_rebuild_cases,
    same=lambda expected, got: isinstance(got, dict) and got == expected,
    hint="start from an empty dict; for each (kind, account, x) take the account's (balance, name), default "
         "(0, ''), and apply: deposit adds x, withdraw subtracts x, rename sets the name to x.",
))
