"""Chapter 3.2 exercises: the references pass and agree with quorum intersection and the CRDT module,
typical wrong answers fail with feedback that names the case or the law, and the student version
fails kindly until written."""
import itertools
from pathlib import Path

from dsysedu.exercises import check
from dsysedu.exercises import ch32  # noqa: F401  (registers the chapter's exercises)
from dsysedu.exercises.ch32 import merge_laws
from instructor.references.ch32 import gcounter_merge_reference, strong_reference
from dsysedu.exercises.core import EXERCISES
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.protocols.replication.crdt import GCounter
from dsysedu.protocols.replication.quorum import strict_quorum

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "03_2_replication.ipynb"


def test_reference_solutions_pass():
    assert {"ch32-strong", "ch32-gcounter-merge"} <= set(EXERCISES)
    assert check("ch32-strong", strong_reference).passed
    assert check("ch32-gcounter-merge", gcounter_merge_reference).passed
    assert merge_laws(gcounter_merge_reference).ok


def test_strong_reference_is_quorum_intersection():
    for n in range(1, 6):
        for r, w in itertools.product(range(1, n + 1), repeat=2):
            meet = all(set(a) & set(b) for a in itertools.combinations(range(n), r)
                       for b in itertools.combinations(range(n), w))
            assert strong_reference(n, r, w) == meet == strict_quorum(n, r, w)


def test_counting_solution_passes():
    def by_counting(n, r, w):
        return all(set(a) & set(b) for a in itertools.combinations(range(n), r)
                   for b in itertools.combinations(range(n), w))
    assert check("ch32-strong", by_counting).passed


def test_greater_or_equal_fails_on_the_equal_cases():
    fb = check("ch32-strong", lambda n, r, w: r + w >= n)
    assert not fb.passed and len(fb.failures) == 3   # the three cases with R + W = N
    assert "R + W equals N" in fb.text() and "expected: False" in fb.text() and "you returned: True" in fb.text()


def test_two_majorities_is_too_strict():
    fb = check("ch32-strong", lambda n, r, w: r > n // 2 and w > n // 2)
    assert not fb.passed
    assert {d for d, *_ in fb.failures} >= {"N=3, R=1, W=3: write to all, read any one",
                                            "N=3, R=3, W=1: write to one, read all"}


def test_strong_must_answer_true_or_false():
    fb = check("ch32-strong", lambda n, r, w: max(0, r + w - n))   # a count of overlaps is not an answer
    assert not fb.passed and "you returned: 1" in fb.text()


def test_merge_reference_agrees_with_the_crdt_module():
    a = GCounter().increment("a", 3).increment("b", 1)
    b = GCounter().increment("b", 4).increment("c", 2)
    merged = gcounter_merge_reference(dict(a.counts), dict(b.counts))
    assert merged == dict(a.merge(b).counts)


def test_adding_merge_fails_on_idempotence_and_the_law_check_names_it():
    adds = lambda a, b: {r: a.get(r, 0) + b.get(r, 0) for r in {**a, **b}}   # noqa: E731
    fb = check("ch32-gcounter-merge", adds)
    assert not fb.passed and any(d.startswith("idempotence") for d, *_ in fb.failures)
    verdict = merge_laws(adds)
    assert not verdict.ok and verdict.message.startswith("idempotent fails: merge(a, a) =")


def test_taking_b_over_a_fails_on_going_back_and_commutativity():
    fb = check("ch32-gcounter-merge", lambda a, b: {**a, **b})
    assert not fb.passed
    assert "merging must never go back" in fb.text() and "expected: {'a': 5, 'b': 2}" in fb.text()
    assert merge_laws(lambda a, b: {**a, **b}).message.startswith("commutative fails")


def test_max_over_shared_keys_only_loses_the_others():
    fb = check("ch32-gcounter-merge", lambda a, b: {k: max(a[k], b[k]) for k in a if k in b})
    assert not fb.passed and "each counted only their own" in fb.failures[0][0]


def test_merge_laws_reports_exceptions_kindly():
    def starter(a, b):
        raise NotImplementedError()
    assert merge_laws(starter).message.startswith("not written yet")
    assert "KeyError" in merge_laws(lambda a, b: {k: max(a[k], b[k]) for k in {**a, **b}}).message
    assert "must return a dict" in merge_laws(lambda a, b: 3).message


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "r + w > n" not in code and "max(a.get" not in code
    assert "assert feedback.passed" not in code   # the solution-only cells are gone
    assert code.count("raise NotImplementedError()") == 2
    assert len(feedback) == 2 and all("not written yet" in f and "Hint" in f for f in feedback)
