"""The exercise registry and the checker."""
from __future__ import annotations

import html
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Exercise", "Feedback", "EXERCISES", "register", "check"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: hidden cases and a reference answer.

    ``cases()`` returns a list of ``(description, args)``; the expected answer of a case is
    ``reference(*args)``, and ``same(expected, got)`` decides whether the learner's answer
    matches (default ``==``).

    An exercise with many right answers (write *an* invariant that z3 proves) gives
    ``accepts(got, *args)``, which judges the answer itself, and ``describe(*args)``, what a right
    answer is, shown on failure instead of the reference's own answer (which would give it away).
    """
    id: str
    title: str
    cases: Callable[[], list]
    reference: Callable
    same: Callable[[Any, Any], bool] = lambda a, b: a == b
    hint: str = ""
    accepts: Callable[..., bool] | None = None
    describe: Callable[..., Any] | None = None


EXERCISES: dict[str, Exercise] = {}


def register(ex: Exercise) -> Exercise:
    EXERCISES[ex.id] = ex
    return ex


@dataclass
class Feedback:
    """The result of a check: ``passed`` and a message per case."""
    exercise: str
    passed: bool
    total: int
    failures: list = field(default_factory=list)
    error: str | None = None

    def text(self) -> str:
        if self.passed:
            return f"All {self.total} hidden cases pass for {self.exercise!r}. Well done."
        if self.error:
            return f"{self.exercise!r}: {self.error}"
        desc, args, expected, got = self.failures[0]
        more = f" ({len(self.failures) - 1} more cases fail too)" if len(self.failures) > 1 else ""
        return (f"{len(self.failures)} of {self.total} cases fail for {self.exercise!r}{more}.\n"
                f"First failing case: {desc}\n  expected: {expected!r}\n  you returned: {got!r}")

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
    failures = []
    for desc, args in cases:
        expected = ex.describe(*args) if ex.describe is not None else ex.reference(*args)
        try:
            got = learner_function(*args)
        except NotImplementedError:
            return Feedback(exercise_id, False, len(cases), error="not written yet: replace "
                            "`raise NotImplementedError` with your code." + (f" Hint: {ex.hint}" if ex.hint else ""))
        except Exception as exc:  # the learner's bug: report it kindly, do not crash the notebook
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            failures.append((desc, args, expected, f"an exception: {tb}"))
            continue
        if not (ex.accepts(got, *args) if ex.accepts is not None else ex.same(expected, got)):
            failures.append((desc, args, expected, got))
    return Feedback(exercise_id, not failures, len(cases), failures)
