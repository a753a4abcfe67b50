"""``python -m instructor extract MODULE`` on a module in today's pattern, in a scratch repository."""
import ast
import textwrap

import pytest

from instructor.extract import extract

MODULE = '''\
"""Chapter 9 exercises: two rules.

- ``ch9-double``: twice a number.
"""
from __future__ import annotations

import math
from collections import Counter

from dsysedu.formal.interleavings import count_interleavings
from .core import Exercise, register

__all__ = ["double_reference", "shared_helper", "count_reference"]

_FACTOR = 2


def _scale(x):
    # only the reference uses this
    return _FACTOR * x


def shared_helper(x):
    return math.floor(x)


def double_reference(x) -> int:
    """Twice ``x``."""
    return _scale(shared_helper(x))


def _cases():
    return [(f"x={x}", (x,)) for x in (1, 2.5)]


register(Exercise(
    id="ch9-double",
    title="Double it",
    cases=_cases,
    reference=double_reference,
    same=lambda a, b: a == shared_helper(b),
))


def count_reference(*lengths) -> int:
    return count_interleavings(*lengths)


register(Exercise(id="ch9-count", title="Count", cases=lambda: [("1, 1", (1, 1))], hint="h", reference=count_reference))
'''

TEST = '''\
from dsysedu.exercises.ch9 import _cases, double_reference, shared_helper
from dsysedu.exercises.ch9 import count_reference, shared_helper as helper
'''


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "dsysedu" / "exercises").mkdir(parents=True)
    (tmp_path / "dsysedu" / "exercises" / "ch9.py").write_text(MODULE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ch9.py").write_text(TEST)
    (tmp_path / "instructor" / "references").mkdir(parents=True)
    (tmp_path / "instructor" / "references" / "__init__.py").write_text("")
    return tmp_path


def _names(tree):
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | \
        {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def test_extract_moves_references_and_their_private_helpers(repo):
    result = extract("ch9", repo=repo)
    assert result.references == ["ch9-count", "ch9-double"]
    package = (repo / "dsysedu" / "exercises" / "ch9.py").read_text()
    moved = (repo / "instructor" / "references" / "ch9.py").read_text()
    p, m = ast.parse(package), ast.parse(moved)
    assert _names(p) == {"__all__", "shared_helper", "_cases"}
    assert "reference" not in package.replace("references", "") and "count_interleavings" not in package
    assert "import math" in package and "Counter" not in package
    assert '__all__ = ["shared_helper"]' in package
    assert {"double_reference", "count_reference", "_scale", "_FACTOR", "REFERENCES"} <= _names(m)
    assert "from dsysedu.exercises.ch9 import shared_helper" in moved
    assert "from dsysedu.formal.interleavings import count_interleavings" in moved and "import math" not in moved
    assert 'REFERENCES = {"ch9-double": double_reference, "ch9-count": count_reference}' in moved
    assert 'hint="h")' in package  # the last keyword cut with its comma
    test = (repo / "tests" / "test_ch9.py").read_text()
    assert test == textwrap.dedent('''\
        from dsysedu.exercises.ch9 import _cases, shared_helper
        from instructor.references.ch9 import double_reference
        from dsysedu.exercises.ch9 import shared_helper as helper
        from instructor.references.ch9 import count_reference
        ''')


def test_extract_refuses_twice_and_bad_names(repo):
    extract("ch9", repo=repo)
    with pytest.raises(ValueError, match="moved before"):
        extract("ch9", repo=repo)
    with pytest.raises(ValueError, match="module name"):
        extract("../ch9", repo=repo)
    with pytest.raises(ValueError, match="no exercise module"):
        extract("ch99", repo=repo)
