"""Chapter 3.1 exercises: the references pass, typical wrong answers fail with feedback that names the
case, and the student version of the notebook fails until the learner writes the functions."""
from pathlib import Path

import numpy as np

from dsysedu.exercises import check
from dsysedu.exercises.notebooks import try_student_version
from instructor.references.ch3 import can_commit_reference, majority_reference, up_to_date_reference
from dsysedu.protocols.consensus.raft import Raft

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "03_1_consensus.ipynb"


def test_reference_solutions_pass():
    assert check("ch3-majority", majority_reference).passed
    assert check("ch3-up-to-date", up_to_date_reference).passed
    assert check("ch3-can-commit", can_commit_reference).passed


def test_references_agree_with_the_simulators_raft():
    for mine in range(1, 4):
        for my_len in range(0, 4):
            node = Raft(0, (1, 2))
            node.log = ((1, None),) * (my_len - 1) + ((mine, None),) if my_len else ()
            last_term, last_index = node.last_log_term(), len(node.log)
            for cand_term in range(0, 4):
                for cand_index in range(0, 5):
                    assert node.log_ok(cand_index, cand_term) == up_to_date_reference(last_term, last_index,
                                                                                       cand_term, cand_index)
    assert [majority_reference(n) for n in range(1, 8)] == [Raft(0, tuple(range(1, n))).majority for n in range(1, 8)]


def test_majority_half_is_not_enough():
    fb = check("ch3-majority", lambda n: (n + 1) // 2)
    assert not fb.passed
    assert "n=2 nodes" in fb.text() and "expected: 2" in fb.text() and "you returned: 1" in fb.text()
    assert len(fb.failures) == 5   # every even cluster size


def test_majority_must_be_a_whole_number_of_nodes():
    fb = check("ch3-majority", lambda n: n / 2 + 1)
    assert not fb.passed and "you returned: 1.5" in fb.text()
    assert check("ch3-majority", lambda n: np.int64(n // 2 + 1)).passed


def test_up_to_date_that_compares_lengths_first_names_the_term_case():
    def length_first(my_term, my_index, cand_term, cand_index):
        if cand_index != my_index:
            return cand_index > my_index
        return cand_term >= my_term
    fb = check("ch3-up-to-date", length_first)
    assert not fb.passed
    assert "last term is later" in fb.text() and "expected: True" in fb.text() and "you returned: False" in fb.text()


def test_up_to_date_with_strict_comparison_refuses_an_equal_log():
    fb = check("ch3-up-to-date", lambda a, b, c, d: c > a or (c == a and d > b))
    assert not fb.passed and "both logs empty" in fb.text()
    assert [f[0] for f in fb.failures][1].startswith("identical logs") and len(fb.failures) == 2


def test_can_commit_without_the_term_rule_fails_on_figure_8():
    def counts_only(log_terms, match_index, current_term, index):
        return 1 + sum(m >= index for m in match_index) >= (len(match_index) + 1) // 2 + 1
    fb = check("ch3-can-commit", counts_only)
    assert not fb.passed
    assert "Figure 8 (c)" in fb.text() and "expected: False" in fb.text()


def test_can_commit_forgetting_the_leader_itself_fails():
    fb = check("ch3-can-commit", lambda lt, m, t, i: 0 < i <= len(lt) and lt[i - 1] == t
               and sum(x >= i for x in m) >= (len(m) + 1) // 2 + 1)
    assert not fb.passed and "a cluster of one" in [f[0] for f in fb.failures][-1]


def test_answers_that_are_not_booleans_are_refused_kindly():
    fb = check("ch3-up-to-date", lambda a, b, c, d: 1 if up_to_date_reference(a, b, c, d) else None)
    assert not fb.passed and "you returned: 1" in fb.text()
    assert check("ch3-up-to-date", lambda *a: np.bool_(up_to_date_reference(*a))).passed


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "n // 2 + 1" not in code and "log_terms[index - 1]" not in code
    assert code.count("raise NotImplementedError()") == 3
    assert len(feedback) == 3 and all("not written yet" in f and "Hint" in f for f in feedback)
