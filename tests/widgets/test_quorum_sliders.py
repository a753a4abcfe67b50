"""N, R, W as sliders: the numbers follow the sliders, R and W stay inside 1..N."""
import pytest

from dsysedu.widgets import QuorumSliders


def test_sliders_recompute_strictness_freshness_and_latency():
    q = QuorumSliders(3, 1, 1, seed=7, trials=2000)
    partial = dict(q.numbers)
    assert not partial["strict"] and partial["p_at_ack"] < 0.9 and "partial" in q.summary.value
    first_image = q.image.value
    q.w.value = 3
    assert q.numbers["strict"] and q.numbers["p_at_ack"] == 1.0 and "strict" in q.summary.value
    assert q.numbers["write_median"] > partial["write_median"]        # waiting for all three acks
    assert q.image.value != first_image


def test_shrinking_n_clips_the_quorums():
    q = QuorumSliders(5, 4, 5, seed=7, trials=1000)
    q.n.value = 3
    assert (q.r.max, q.w.max) == (3, 3) and q.r.value <= 3 and q.w.value <= 3
    assert q.numbers["n"] == 3 and q.numbers["strict"]


@pytest.mark.parametrize("args", [(3, 4, 1), (3, 0, 1), (12, 1, 1)])
def test_refuses_quorums_outside_one_to_n(args):
    with pytest.raises(ValueError):
        QuorumSliders(*args)
