"""An nbgrader preprocessor for this course's release step (see :func:`dsysedu.exercises.grading.configure`)."""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from .grading import drop_teacher_material

__all__ = ["StudentCopy"]


class StudentCopy(NbGraderPreprocessor):
    """Drop what only the teacher reads: cells tagged ``solution-only`` and ``*Teachers:*`` paragraphs.

    nbgrader's own steps then replace the solutions by ``raise NotImplementedError()`` and remove the
    hidden tests. (nbgrader's base class, unlike nbconvert's, is enabled by default.)
    """

    def preprocess(self, nb, resources):
        return drop_teacher_material(nb), resources
