"""Classroom exercises: hidden test cases and friendly feedback.

>>> from dsysedu.exercises import check, EXERCISES
>>> sorted(EXERCISES)[:1]
['ch1-classify']

A learner writes a function and calls ``check("ch1-classify", my_function)``;
the checker runs it on cases the learner has not seen and says which input
failed, what was expected and what came back. Exercise notebooks mark their
solutions with nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
:func:`student_version` strips them for handing out.
"""
from .core import EXERCISES, Exercise, Feedback, check, register
from .notebooks import student_version
from dsysedu.exercises import ch1, ch21, ch22, ch23, ch3, ch32, ch33, ch33_paxos, ch33_saga, ch34, ch4_resilience, ch5  # noqa: F401  (register the chapters' exercises)
from dsysedu.exercises import ch4_messaging_storage  # noqa: F401  (chapters 4.1 and 4.2)
from dsysedu.exercises import ch6  # noqa: F401  (chapter 6)
from dsysedu.exercises import ch9  # noqa: F401  (chapter 9)

__all__ = ["check", "EXERCISES", "Exercise", "Feedback", "register", "student_version"]
