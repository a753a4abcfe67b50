"""The exercise registry and the checker."""
from __future__ import annotations

import html
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from .answers import expected_answers

__all__ = ["Exercise", "Feedback", "EXERCISES", "register", "check", "same_int", "same_bool", "close"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: hidden cases and what judges an answer (no reference solution: see below).

    ``cases()`` returns a list of ``(description, args)``; the expected answer of each case is
    frozen in ``expected/<id>.txt`` (:mod:`~dsysedu.exercises.answers`), written from the reference
    solution by the instructor script ``python -m instructor freeze``, and ``same(expected, got)``
    decides whether the learner's answer matches (default ``==``).

    An exercise with many right answers (write *an* invariant that z3 proves) gives
    ``accepts(got, *args)``, which judges the answer itself, and ``describe(*args)``, what a right
    answer is, shown on failure instead of the reference's own answer (which would give it away).
    """
    id: str
    title: str
    cases: Callable[[], list]
    same: Callable[[Any, Any], bool] = lambda a, b: a == b
    hint: str = ""
    accepts: Callable[..., bool] | None = None
    describe: Callable[..., Any] | None = None


EXERCISES: dict[str, Exercise] = {}


# the ``same`` judges several exercises share
def same_int(expected, got) -> bool:
    """An int (not a bool) equal to the expected one."""
    return isinstance(got, int) and not isinstance(got, bool) and got == expected


def same_bool(expected, got) -> bool:
    """A bool (Python's or numpy's) equal to the expected one."""
    import numpy as np
    return isinstance(got, (bool, np.bool_)) and bool(got) == expected


def close(expected, got) -> bool:
    """A number within 1e-9 of the expected one."""
    return isinstance(got, (int, float)) and abs(got - expected) < 1e-9


def register(ex: Exercise) -> Exercise:
    """Add ``ex`` to :data:`EXERCISES` (one id, one exercise).

    Raises
    ------
    ValueError
        If another exercise already has this id.
    """
    if ex.id in EXERCISES and EXERCISES[ex.id] is not ex:
        raise ValueError(f"exercise id {ex.id!r} is registered twice; ids must be unique")
    EXERCISES[ex.id] = ex
    return ex


@dataclass
class Feedback:
    """The result of a check: ``passed`` and a message per case.

    ``failures`` holds ``(description, args, expected, got)`` per failing case; ``call`` is the
    first failing call written as code the learner can paste into a cell, and ``hint`` the
    exercise's hint, shown with a wrong answer too.
    """
    exercise: str
    passed: bool
    total: int
    failures: list = field(default_factory=list)
    error: str | None = None
    call: str | None = None
    hint: str = ""

    def text(self) -> str:
        if self.passed:
            return f"All {self.total} hidden cases pass for {self.exercise!r}. Well done."
        if self.error:
            return f"{self.exercise!r}: {self.error}"
        desc, args, expected, got = self.failures[0]
        lines = [f"{len(self.failures)} of {self.total} hidden cases fail for {self.exercise!r}.",
                 f"First failing case: {desc}"]
        if self.call:
            lines.append(f"  try it: {self.call}")
        lines += [f"  expected: {expected!r}", f"  you returned: {got!r}" if not _is_exception(got)
                  else f"  your function raised {got.text}"]
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        from dsysedu.viz import style

        colour = style.VERDICT_OK if self.passed else style.NOT_YET
        mark = "Passed" if self.passed else "Not yet"
        body = html.escape(self.text()).replace("\n", "<br>")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px">'
                f'<b style="color:{colour}">{mark}</b><br>{body}</div>')

    def __bool__(self) -> bool:
        return self.passed


def check(exercise_id: str, learner_function: Callable) -> Feedback:
    """Run ``learner_function`` on the hidden cases of ``exercise_id``.

    Raises
    ------
    ValueError
        If there is no such exercise.
    TypeError
        If ``learner_function`` is not callable.
    """
    if exercise_id not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise_id!r}; exercises are {sorted(EXERCISES)}")
    if not callable(learner_function):
        raise TypeError(f"check() needs your function itself, got {learner_function!r}")
    ex = EXERCISES[exercise_id]
    cases = ex.cases()
    frozen = None if ex.describe is not None else expected_answers(exercise_id)
    if frozen is not None and [d for d, _ in frozen] != [d for d, _ in cases]:
        raise LookupError(f"the frozen answers of {exercise_id!r} do not match its hidden cases (they changed): "
                          f"an instructor re-writes them with `python -m instructor freeze {exercise_id}`")
    failures = []
    for k, (desc, args) in enumerate(cases):
        expected = ex.describe(*args) if frozen is None else frozen[k][1]
        try:
            got = learner_function(*args)
        except NotImplementedError:
            return Feedback(exercise_id, False, len(cases), error="not written yet: replace "
                            "`raise NotImplementedError` with your code." + (f" Hint: {ex.hint}" if ex.hint else ""))
        except Exception as exc:  # the learner's bug: report it kindly, with its line, do not crash the notebook
            failures.append((desc, args, expected, _Raised.of(exc, learner_function)))
            continue
        if not (ex.accepts(got, *args) if ex.accepts is not None else ex.same(expected, got)):
            failures.append((desc, args, expected, got))
    call = _call_text(learner_function, failures[0][1]) if failures else None
    return Feedback(exercise_id, not failures, len(cases), failures, call=call, hint=ex.hint)


@dataclass(frozen=True)
class _Raised:
    """An exception the learner's function raised: its type and message, and the line in their code."""
    text: str

    @classmethod
    def of(cls, exc: BaseException, fn: Callable) -> "_Raised":
        what = traceback.format_exception_only(type(exc), exc)[-1].strip()
        code = getattr(fn, "__code__", None)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if code is not None
                  and f.filename == code.co_filename]
        if frames:
            f = frames[-1]
            where = f" at line {f.lineno - code.co_firstlineno + 1} of {code.co_name}"
            return cls(f"{what}{where}: {f.line.strip()}" if f.line else f"{what}{where}")
        return cls(what)

    def __repr__(self) -> str:
        return f"an exception: {self.text}"


def _is_exception(got) -> bool:
    return isinstance(got, _Raised)


def _call_text(fn: Callable, args) -> str:
    """``name(arg, ...)`` as code, when every argument's repr reads back as itself (else a shortened form)."""
    name = getattr(fn, "__name__", "your_function")
    if not name.isidentifier():
        name = "your_function"
    shown = []
    for a in args:
        r = repr(a)
        shown.append(r if len(r) <= 200 else r[:197] + "...")
    return f"{name}({', '.join(shown)})"
