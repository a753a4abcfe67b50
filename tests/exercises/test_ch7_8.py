"""Chapter 7/8 exercises: the references pass and agree with the chapters' code, typical wrong answers fail
with feedback that names the case, and the notebook's student version fails every check."""
from pathlib import Path

import numpy as np

from dsysedu.exercises import check
from dsysedu.exercises.ch7_8 import _availability_cases
from instructor.references.ch7_8 import availability_reference, canary_reference, pareto_reference, plan_reference
from dsysedu.exercises.notebooks import try_student_version

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "07_08_practice.ipynb"


def test_reference_solutions_pass():
    for ex, f in (("ch7-availability", availability_reference), ("ch8-plan", plan_reference),
                  ("ch8-canary", canary_reference), ("ch8-pareto", pareto_reference)):
        assert check(ex, f).passed, ex


def test_availability_formulas_match_a_monte_carlo_draw():
    rng = np.random.default_rng(3)
    for _desc, (system,) in _availability_cases():
        if system == ("series", []):
            continue
        draws = _sample(system, rng, 200_000)
        assert abs(draws.mean() - availability_reference(system)) < 0.004, system


def _sample(system, rng, n):
    if isinstance(system, float):
        return rng.random(n) < system
    if system[0] == "series":
        return np.logical_and.reduce([_sample(p, rng, n) for p in system[1]])
    if system[0] == "parallel":
        return np.logical_or.reduce([_sample(p, rng, n) for p in system[1]])
    _, k, m, part = system
    return np.sum([_sample(part, rng, n) for _ in range(m)], axis=0) >= k


def test_parallel_as_a_product_of_availabilities_fails():
    def wrong(system):
        if isinstance(system, (int, float)):
            return float(system)
        if system[0] in ("series", "parallel"):
            return float(np.prod([wrong(p) for p in system[1]]))
        return wrong(system[3]) ** system[1]
    fb = check("ch7-availability", wrong)
    assert not fb.passed and "parallel" in fb.text() and "Hint" in fb.text()


def test_a_plan_that_forgets_to_destroy_fails():
    def no_destroy(desired, running):
        return {c for c in plan_reference(desired, running) if c[0] != "destroy"}
    fb = check("ch8-plan", no_destroy)
    assert not fb.passed and "scale down" in fb.text()


def test_a_judge_without_the_effect_size_rolls_back_a_small_difference():
    from scipy.stats import mannwhitneyu

    def p_only(baseline, canary, alpha=0.05, min_effect=0.2):
        if len(set(baseline) | set(canary)) == 1:
            return True
        return not mannwhitneyu(canary, baseline, alternative="greater").pvalue < alpha
    fb = check("ch8-canary", p_only)
    assert not fb.passed and "5 % slower" in fb.text()


def test_a_front_with_strict_domination_only_fails():
    def strict(options):
        return {p[0] for p in options if not any(o[1] < p[1] and o[2] > p[2] for o in options)}
    assert not check("ch8-pareto", strict).passed


def test_solution_notebook_passes_and_student_version_fails(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "mannwhitneyu(canary, baseline" not in code
    assert len(feedback) == 4 and all("not written yet" in f for f in feedback)
