"""Freeze the expected answers: run each reference on its exercise's hidden cases, write the results.

The files land in ``dsysedu/exercises/expected/<exercise id>.txt`` (see :mod:`dsysedu.exercises.answers`);
exercises that judge answers themselves (``describe=``/``accepts=``) need none.
"""
from __future__ import annotations

import ast
from pathlib import Path

from dsysedu.exercises import EXERCISES
from dsysedu.exercises.answers import expected_answers, to_literal

from .references import all_references

__all__ = ["freeze", "frozen_differences", "needs_answers"]

EXPECTED_DIR = Path(__file__).resolve().parents[1] / "dsysedu" / "exercises" / "expected"


def needs_answers(exercise_id: str) -> bool:
    """Whether the checker compares with frozen answers (it does unless the exercise has ``describe=``)."""
    return EXERCISES[exercise_id].describe is None


def _answers(exercise_id: str, reference) -> list:
    return [(desc, reference(*args)) for desc, args in EXERCISES[exercise_id].cases()]


def freeze(ids=None, out_dir: Path = EXPECTED_DIR) -> list[Path]:
    """Write the frozen answers of ``ids`` (default: every exercise that needs them); return the files.

    Raises
    ------
    ValueError
        If an id is unknown or has no reference, or an answer does not read back as itself.
    """
    refs = all_references()
    ids = sorted(i for i in EXERCISES if needs_answers(i)) if ids is None else list(ids)
    written = []
    for exercise_id in ids:
        if exercise_id not in EXERCISES:
            raise ValueError(f"unknown exercise {exercise_id!r}; exercises are {sorted(EXERCISES)}")
        if exercise_id not in refs:
            raise ValueError(f"exercise {exercise_id!r} has no reference in instructor/references/ "
                             f"(REFERENCES of the module named like its exercise module)")
        if not needs_answers(exercise_id):
            continue
        pairs = _answers(exercise_id, refs[exercise_id])
        text = "[\n" + "".join(f" ({to_literal(d)}, {to_literal(v)}),\n" for d, v in pairs) + "]\n"
        back = ast.literal_eval(text)
        same = EXERCISES[exercise_id].same
        for (desc, value), (_, read) in zip(pairs, back):
            if not same(read, value) and read != value:
                raise ValueError(f"{exercise_id}, case {desc!r}: the answer {value!r} does not read back as itself")
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{exercise_id}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    expected_answers.cache_clear()
    return written


def frozen_differences() -> list[str]:
    """Every way the frozen answers differ from the references' outputs ([] when they agree)."""
    refs = all_references()
    problems = [f"{i}: no reference in instructor/references/" for i in sorted(set(EXERCISES) - set(refs))]
    expected_answers.cache_clear()
    for exercise_id in sorted(set(EXERCISES) & set(refs)):
        if not needs_answers(exercise_id):
            continue
        try:
            frozen = list(expected_answers(exercise_id))
        except LookupError as exc:
            problems.append(str(exc))
            continue
        now = _answers(exercise_id, refs[exercise_id])
        if [d for d, _ in frozen] != [d for d, _ in now]:
            problems.append(f"{exercise_id}: the hidden cases changed since the answers were frozen")
            continue
        same = EXERCISES[exercise_id].same
        for (desc, old), (_, new) in zip(frozen, now):
            if not (old == new or same(old, new)):
                problems.append(f"{exercise_id}, case {desc!r}: frozen {old!r}, the reference gives {new!r}")
    return problems
