"""Chapter 5 exercises: the references pass and agree with the chapter's code, typical wrong answers fail with
feedback that names the case, and the student version fails until written."""
from pathlib import Path

from dsysedu import run
from dsysedu.exercises import check
from instructor.references.ch5 import accept_writes_reference, balances_reference, breaker_states_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.protocols.coordination import leases
from dsysedu.systems import resilience

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "05_design_patterns.ipynb"


def test_reference_solutions_pass():
    assert check("ch5-fencing", accept_writes_reference).passed
    assert check("ch5-breaker", breaker_states_reference).passed
    assert check("ch5-rebuild", balances_reference).passed


def test_fencing_reference_agrees_with_the_storage():
    for seed in range(30):
        t = run(leases.lease_scenario(fencing=False, pause=1.5, seed=seed), seed=seed)
        tokens = [tok for tok, _w, _s in t.observations("accepted")["value"]]
        assert sum(not ok for ok in accept_writes_reference(tokens)) == leases.stale_writes(t)


def test_fencing_that_compares_with_the_previous_write_only_fails():
    fb = check("ch5-fencing", lambda ts: [i == 0 or t >= ts[i - 1] for i, t in enumerate(ts)])
    assert not fb.passed and "two late writes" in fb.text()


def test_breaker_reference_agrees_with_pybreaker_on_the_cases():
    from dsysedu.exercises.ch5 import _breaker_cases
    for _desc, (outcomes, times, threshold, cooldown) in _breaker_cases():
        assert breaker_states_reference(outcomes, times, threshold, cooldown) == \
            resilience.drive_pybreaker(outcomes, times, threshold, cooldown)


def test_breaker_that_never_half_opens_fails():
    def stays_open(outcomes, times, threshold, cooldown):
        mode, fails, out = "closed", 0, []
        for ok in outcomes:
            if mode == "open":
                out.append((mode, True))
                continue
            fails = 0 if ok else fails + 1
            if fails >= threshold:
                mode = "open"
            out.append((mode, False))
        return out
    fb = check("ch5-breaker", stays_open)
    assert not fb.passed and "trial" in fb.text()


def test_rebuild_that_forgets_renames_fails():
    def no_names(events):
        out = {}
        for kind, a, x in events:
            b, n = out.get(a, (0, ""))
            out[a] = (b + x if kind == "deposit" else b - x if kind == "withdraw" else b, n)
        return out
    fb = check("ch5-rebuild", no_names)
    assert not fb.passed and "rename" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "highest = max" not in code
    assert code.count("raise NotImplementedError()") == 3
    assert len(feedback) == 3 and all("not written yet" in f and "Hint" in f for f in feedback)
