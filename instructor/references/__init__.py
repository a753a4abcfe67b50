"""Reference solutions, one module per exercise module of :mod:`dsysedu.exercises` (same name).

Each module ends with ``REFERENCES = {exercise id: function}``; :func:`all_references` gathers them.
"""
from __future__ import annotations

import importlib
import pkgutil

__all__ = ["all_references"]


def all_references() -> dict:
    """``{exercise id: reference function}`` over every module of this package."""
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for exercise_id, fn in getattr(module, "REFERENCES", {}).items():
            if exercise_id in out:
                raise ValueError(f"two references for exercise {exercise_id!r}")
            out[exercise_id] = fn
    return out
