"""The reconciliation loop: MTTR with and without it, restart, reschedule, traffic shift, hysteresis."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.ops.healing import (CONTROLLER, Controller, HealthProbe, HealthReport, StartReplica, StopReplica, Worker,
                                 failure_schedule, healing_report, healing_scenario, health_flips, outages, serving)
from dsysedu.sim import Crash, run
from dsysedu.sim.node import Context


def test_a_crash_is_repaired_by_rescheduling_long_before_the_machine_returns():
    crash = [Crash("w1", at=50.0, until=110.0)]
    plain = run(healing_scenario(loop=False, failures=crash, duration=150.0), seed=1)
    healed = run(healing_scenario(loop=True, failures=crash, duration=150.0), seed=1)
    without, with_loop = outages(plain, 3), outages(healed, 3)
    # without: down from the crash until the machine is back and its replica started (2 s)
    assert without[["start", "end"]].values.tolist() == [[50.0, pytest.approx(112.0, abs=0.01)]]
    # with: detected after fall = 3 missed probes (1 s apart), started elsewhere in 2 s
    assert len(with_loop) == 1 and with_loop.start[0] == 50.0 and 4.0 <= with_loop.duration[0] <= 6.0
    moves = healed.observations("reschedule")
    assert [tuple(v) for v in moves.value] == [("r1", "w1", "w3")]
    # traffic shifted: the client stopped sending to w1 once it was marked unhealthy
    r_plain, r_healed = healing_report(plain, 3), healing_report(healed, 3)
    assert r_healed["failed"] < r_plain["failed"] / 5
    assert r_plain["failed"] > 0.25 * r_plain["requests"] * 60 / 140   # a third of 60 s of traffic lost


def test_a_quick_reboot_is_repaired_by_a_restart_in_place():
    trace = run(healing_scenario(failures=[Crash("w1", at=50.0, until=51.2)], duration=80.0), seed=2)
    restarts = trace.observations("restart")
    assert [tuple(v) for v in restarts.value] == [("r1", "w1")]
    assert trace.observations("reschedule").empty and health_flips(trace).empty
    assert serving(trace).serving.iloc[-1] == 3


def test_a_returning_machine_is_told_to_stop_what_moved_away():
    # without a controller the machine would restart r1; with one it has nothing placed, but a worker
    # that boots with ``initial`` replicas (self-managed) is cleaned up: only one copy of r1 runs
    from dsysedu.sim import Scenario
    names = ["w0", "w1", "w2"]
    sc = Scenario({"w0": Worker, "w1": Worker, "w2": Worker, CONTROLLER: Controller}, nodes=names + [CONTROLLER],
                  node_params={CONTROLLER: {"workers": tuple(names), "desired": 2},
                               "w1": {"initial": ("r1",)}},
                  faults=[Crash("w1", at=10.0, until=30.0)], until=50.0)
    trace = run(sc, seed=0)
    ready = {}
    for row in trace.observations("ready").itertuples():
        ready[row.node] = set(row.value)
    assert sum("r1" in v for v in ready.values()) == 1


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_mttr_is_strictly_better_with_the_loop_on_random_schedules(seed):
    failures = failure_schedule(seed, duration=200.0, mtbf=80.0)
    plain = healing_report(run(healing_scenario(loop=False, failures=failures, duration=200.0), seed=seed), 3)
    healed = healing_report(run(healing_scenario(loop=True, failures=failures, duration=200.0), seed=seed), 3)
    if plain["outages"] == 0:
        return                                  # no machine that held a replica failed
    assert healed["mttr"] < plain["mttr"]
    assert healed["downtime"] < plain["downtime"] and healed["failed"] < plain["failed"]


def test_hysteresis_damps_flapping_on_a_lossy_health_check():
    flips = {}
    for fall, rise in ((1, 1), (3, 2)):
        trace = run(healing_scenario(flaky="w0", fall=fall, rise=rise, duration=200.0), seed=7)
        flips[fall, rise] = healing_report(trace, 3)["flips"]
        assert set(health_flips(trace).index) <= {"w0"}
    assert flips[1, 1] > 5 * flips[3, 2] and flips[3, 2] > 0


def test_failure_schedule_is_seeded_and_leaves_machines_down_at_least_min_down():
    a, b = failure_schedule(5), failure_schedule(5)
    assert a == b and a != failure_schedule(6)
    assert all(c.until - c.at >= 20.0 - 1e-9 for c in a)
    per = {}
    for c in a:
        assert c.at >= per.get(c.node, 0.0)
        per[c.node] = c.until


def test_observe_step_counts_consecutive_failures_only():
    c = Controller(CONTROLLER, workers=("w0",), desired=1, fall=2, rise=2)
    ctx = Context(CONTROLLER, peers=("w0", "client"))
    c.seq = 1
    c.observe_health(ctx)                               # one miss: still healthy
    assert c.health["w0"] == "healthy"
    c.seq = 2
    c.on_message(ctx, "w0", HealthReport(2, ("r0",), ()))     # an answer resets the streak
    c.observe_health(ctx)
    c.seq = 3
    c.observe_health(ctx)
    assert c.health["w0"] == "healthy"
    c.seq = 4
    c.observe_health(ctx)                               # two misses in a row
    assert c.health["w0"] == "unhealthy"


def test_worker_answers_probes_and_starts_after_startup():
    w = Worker("w0", startup=2.0)
    ctx = Context("w0", peers=(CONTROLLER,))
    w.on_message(ctx, CONTROLLER, StartReplica("r0"))
    w.on_message(ctx, CONTROLLER, HealthProbe(1))
    assert ctx.effects[-1][1:] == (CONTROLLER, HealthReport(1, (), ("r0",)))
    w.on_timer(ctx, ("up", "r0"))
    w.on_message(ctx, CONTROLLER, StopReplica("r0"))
    assert w.ready == set() and w.starting == set()


@pytest.mark.parametrize("kwargs, says", [
    ({"desired": 6}, "desired"),
    ({"failures": [Crash("controller", at=1.0)]}, "failures"),
    ({"flaky": "w9"}, "flaky"),
    ({"fall": 0}, "fall"),
    ({"loop": "yes"}, "loop"),
])
def test_bad_settings_are_refused(kwargs, says):
    with pytest.raises((ValueError, TypeError), match=says):
        healing_scenario(**kwargs)
