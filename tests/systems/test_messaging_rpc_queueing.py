"""RPC chains cascade slowness upward; the M/M/c queue obeys Little's law exactly and Erlang C on average."""
import doctest

import pytest

from dsysedu.sim import run
from dsysedu.systems.messaging import queueing, rpc
from dsysedu.systems.messaging.queueing import (erlang_c, littles_law, mm1_mean_wait, mmc_mean_wait, mmc_scenario,
                                                mmc_table, queue_waits, warmup_bias)


def test_doctests():
    assert doctest.testmod(queueing).failed == 0 and doctest.testmod(rpc).failed == 0


def test_a_slow_end_of_the_chain_queues_at_its_top():
    fast = rpc.chain_latency(run(rpc.rpc_chain_scenario(slow=0.0), seed=1))
    slow = rpc.chain_latency(run(rpc.rpc_chain_scenario(slow=0.06), seed=1))
    assert slow["mean"] > 5 * fast["mean"] and slow["answered"] == fast["answered"] == 200
    assert slow["max_queue"]["s0"] > 10 * slow["max_queue"]["s2"]


def test_cascade_table_grows_with_slowness():
    t = rpc.cascade_table(slows=(0.0, 0.06), seeds=range(2))
    means = t.groupby("slow")["mean"].mean()
    assert means[0.06] > 5 * means[0.0]


@pytest.mark.parametrize("c,rho", [(1, 0.5), (2, 0.8), (4, 0.9)])
def test_littles_law_is_exact_on_a_drained_run(c, rho):
    t = run(mmc_scenario(rho * c, 1.0, c, jobs=2000), seed=3)
    ll = littles_law(t)
    assert ll["drained"] and ll["jobs"] == 2000
    assert ll["L"] == pytest.approx(ll["lambda_W"], rel=1e-9)


def test_erlang_c_against_known_values():
    assert erlang_c(1, 0.8) == pytest.approx(0.8)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mm1_mean_wait(0.8, 1.0) == pytest.approx(4.0)
    assert mmc_mean_wait(1.6, 1.0, 2) == pytest.approx(erlang_c(2, 1.6) / 0.4)
    with pytest.raises(ValueError, match="below the number of servers"):
        erlang_c(2, 2.0)


def test_simulated_mean_wait_is_near_erlang_c():
    table = mmc_table([(1, 0.5), (3, 0.7)], jobs=20_000, seeds=range(2))
    assert (table.error.abs() < 0.1).all(), table


def test_warm_up_biases_a_short_run_low():
    w = warmup_bias(0.9, jobs=300, seeds=range(10), first=30)
    assert w["first"] < 0.7 * w["rest"] and w["rest"] < 1.2 * w["predicted"]


def test_waits_are_in_start_order_and_never_negative():
    waits = queue_waits(run(mmc_scenario(0.9, 1.0, 1, jobs=500), seed=0))
    assert len(waits) == 500 and min(waits) >= 0 and waits[0] == 0
