"""Chapter 3.3 exercise on sagas: the order of compensations.

- ``ch33-compensations``: from one saga's log (the coordinator's record of what each step
  answered), the steps still to compensate, in the order to compensate them.

The rule is the source's (§3.3.3): if T_k fails, run C_{k-1}, ..., C_1; a log read after a crash
may show some compensations already done, which must not run again.

References
----------
H. Garcia-Molina and K. Salem, "Sagas", Proc. ACM SIGMOD 1987.
"""
from __future__ import annotations

from .core import Exercise, register

__all__ = []


def _same_list(expected, got) -> bool:
    """A list (or tuple) of step numbers in exactly the expected order."""
    return isinstance(got, (list, tuple)) and list(got) == expected


def _cases():
    return [
        ("all three steps done, no failure yet", ([("done", 1), ("done", 2), ("done", 3)],)),
        ("step 3 failed after steps 1 and 2", ([("done", 1), ("done", 2), ("failed", 3)],)),
        ("step 2 failed after step 1", ([("done", 1), ("failed", 2)],)),
        ("step 1 failed: nothing was done", ([("failed", 1)],)),
        ("an empty log: the saga has not started", ([],)),
        ("step 3 failed and step 2 is already compensated (the log after a crash)",
         ([("done", 1), ("done", 2), ("failed", 3), ("undone", 2)],)),
        ("every compensation already done", ([("done", 1), ("done", 2), ("failed", 3), ("undone", 2), ("undone", 1)],)),
        ("a six-step saga, step 6 failed", ([("done", k) for k in range(1, 6)] + [("failed", 6)],)),
        ("a six-step saga, step 6 failed, steps 5 and 4 compensated",
         ([("done", k) for k in range(1, 6)] + [("failed", 6), ("undone", 5), ("undone", 4)],)),
        ("a retried answer logged twice: step 1 done twice, step 2 failed",
         ([("done", 1), ("done", 1), ("failed", 2)],)),
        ("a duplicated compensation answer: step 2 undone twice",
         ([("done", 1), ("done", 2), ("failed", 3), ("undone", 2), ("undone", 2)],)),
        ("steps 1..4 done, no failure", ([("done", k) for k in range(1, 5)],)),
    ]


register(Exercise(
    id="ch33-compensations",
    title="The order of compensations: which steps to undo, and in which order",
    cases=_cases,
    same=_same_list,
    hint="nothing to compensate until a step failed; then take the steps logged done, remove those logged "
         "undone (each step once, even if logged twice) and return them newest first (sorted, reverse=True).",
))
