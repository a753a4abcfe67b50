"""An nbgrader preprocessor for this course's release step (see :func:`dsysedu.exercises.grading.configure`)."""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor

from .grading import drop_teacher_material

__all__ = ["StudentCopy"]


class StudentCopy(Preprocessor):
    """Drop what only the teacher reads: cells tagged ``solution-only`` and ``*Teachers:*`` paragraphs.

    nbgrader's own steps then replace the solutions by ``raise NotImplementedError()`` and remove the
    hidden tests.
    """

    def preprocess(self, nb, resources):
        return drop_teacher_material(nb), resources
