"""Frozen expected answers: what the checker compares a learner's answer with.

The reference solutions live outside the installed package (``instructor/references/``, which the
wheel and the student release leave out). For each exercise judged by comparison, the instructor
script ``python -m instructor freeze`` runs the reference on the hidden cases once and writes the
answers here, one file per exercise: ``expected/<exercise id>.txt``, a Python literal (a list of
``(case description, expected answer)`` pairs) that :func:`ast.literal_eval` reads back. The
checker reads them; it never needs the reference's code.

Exercises with many right answers (``accepts=``) have no file: they judge the answer itself.

Examples
--------
>>> to_literal({"b": {2, 1}, "a": (1.5, None)})
"{'a': (1.5, None), 'b': {1, 2}}"
"""
from __future__ import annotations

import ast
from functools import lru_cache
from importlib import resources

__all__ = ["expected_answers", "to_literal", "answers_file"]


def answers_file(exercise_id: str):
    """The file that holds the frozen answers of ``exercise_id`` (it may not exist)."""
    return resources.files("dsysedu.exercises").joinpath("expected", f"{exercise_id}.txt")


@lru_cache(maxsize=None)
def expected_answers(exercise_id: str) -> tuple:
    """``((description, expected), ...)`` for the hidden cases of ``exercise_id``, in order.

    Raises
    ------
    LookupError
        If the exercise has no frozen answers (say how to write them).
    """
    path = answers_file(exercise_id)
    if not path.is_file():
        raise LookupError(f"no frozen answers for exercise {exercise_id!r}: an instructor writes them with "
                          f"`python -m instructor freeze {exercise_id}` (from a clone of the course repository)")
    return tuple(ast.literal_eval(path.read_text(encoding="utf-8")))


def to_literal(value) -> str:
    """``value`` as a Python literal that :func:`ast.literal_eval` reads back, written the same way every
    time (sets and dict keys sorted), so that a re-frozen file changes only where an answer changed.

    numpy scalars become Python numbers; a frozenset is written as a set.

    Raises
    ------
    TypeError
        If ``value`` holds something that is not a literal (a class instance, a function...): such an
        exercise should judge answers with ``accepts=`` instead.
    """
    if isinstance(value, float) and value != value:
        raise TypeError("nan is not equal to itself: no frozen answer can match it; give the exercise accepts=")
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "1e999" if value > 0 else "-1e999"  # what literal_eval reads as infinity
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item):
        return to_literal(item())
    if isinstance(value, tuple):
        inner = ", ".join(to_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(to_literal(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(to_literal(v) for v in value)) + "}" if value else "set()"
    if isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:  # keys of mixed types: order them by their text
            keys = sorted(value, key=to_literal)
        return "{" + ", ".join(f"{to_literal(k)}: {to_literal(value[k])}" for k in keys) + "}"
    raise TypeError(f"{value!r} ({type(value).__name__}) is not a Python literal; give the exercise accepts= "
                    f"(judge the answer itself) instead of a frozen expected answer")
