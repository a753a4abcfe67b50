"""Chapter 4.1/4.2 exercises: the references pass and agree with the chapter's ring and store, typical wrong answers
fail with feedback that names the case, and the student version fails until written."""
import bisect
from pathlib import Path

from hypothesis import given, settings, strategies as st

from dsysedu import run
from dsysedu.exercises import check
from instructor.references.ch4_messaging_storage import apply_once_reference, ring_lookup_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.systems import messaging, storage

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "04_engineering.ipynb"


def test_reference_solutions_pass():
    assert check("ch4-ring-lookup", ring_lookup_reference).passed
    assert check("ch4-idempotent", apply_once_reference).passed


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=5, unique=True), st.integers(1, 30))
def test_ring_lookup_reference_agrees_with_the_course_ring(nodes, vnodes):
    ring = storage.HashRing(nodes, vnodes)
    assert all(ring_lookup_reference(ring.points(), storage.stable_hash(k)) == ring.node_for(k) for k in range(100))


def test_a_lookup_that_takes_the_next_point_strictly_after_fails():
    def strictly_after(points, key):
        ring = sorted(points)
        i = bisect.bisect_right([p for p, _ in ring], key)
        return ring[i % len(ring)][1]
    fb = check("ch4-ring-lookup", strictly_after)
    assert not fb.passed and "exactly on" in fb.text()


def test_a_lookup_that_forgets_to_wrap_fails():
    fb = check("ch4-ring-lookup", lambda points, key: next((n for p, n in sorted(points) if p >= key), None))
    assert not fb.passed and "wrap" in fb.text()


def test_apply_once_reference_counts_what_the_idempotent_store_applied():
    applied = []
    for seed in range(5):
        t = run(messaging.queue_scenario(count=60, loss=0.1, until=60.0), seed=seed)
        deliveries = [(m, 1) for m in t.observations("effect")["value"]]
        assert apply_once_reference(deliveries) == messaging.queue_summary(t)["processed"] == 60
        applied.append(len(deliveries))
    assert max(applied) > 60        # the lossy runs did deliver duplicates


def test_a_consumer_that_applies_every_delivery_fails():
    fb = check("ch4-idempotent", lambda deliveries: sum(a for _m, a in deliveries))
    assert not fb.passed and "redelivered" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "applied.add" not in code and "load[a if" not in code
    assert code.count("raise NotImplementedError()") == 4
    assert len(feedback) == 4 and all("not written yet" in f and "Hint" in f for f in feedback)
