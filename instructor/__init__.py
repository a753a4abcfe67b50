"""Instructor-only material of the course: the exercises' reference solutions and the tools around them.

This folder sits beside the package, not in it: ``pyproject.toml`` builds the wheel from ``dsysedu*``
only, and a student release (``nbgrader generate_assignment``, or ``python -m dsysedu.exercises
student``) ships notebooks, never this folder. Tests import it from the repository root.

``python -m instructor extract chN``
    move ``dsysedu/exercises/chN.py``'s ``*_reference`` functions here and freeze their answers;
``python -m instructor freeze [EXERCISE_ID ...]``
    re-write the frozen expected answers (``dsysedu/exercises/expected/``) from the references;
``python -m instructor verify``
    exit 1 if a frozen answer differs from its reference's output (or one is missing).
"""
