"""Failure detectors: completeness when synchronous, mistakes under delay, QoS metrics, checkers."""
import doctest
import math
import random

import pytest

import dsysedu.protocols.membership.failure_detectors as fd_module
from dsysedu.protocols.membership.failure_detectors import (ALIVE, FAULTY, SUSPECT, Ack, Heartbeat, HeartbeatDetector,
                                                 PhiAccrualDetector, Ping, SwimDetector, accuracy, completeness,
                                                 detector_quality, phi, tradeoff)
from dsysedu.sim import Constant, Context, Crash, LinkModel, LogNormal, Pause, Scenario, Simulation, Slow, Trace

DETECTORS = (HeartbeatDetector, PhiAccrualDetector, SwimDetector)
SYNC = LinkModel(latency=Constant(0.01))


@pytest.mark.parametrize("module", [fd_module.heartbeat, fd_module.swim, fd_module.quality], ids=lambda m: m.__name__)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# -- synchronous setting: perfect detection ------------------------------------------

@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sync_detects_every_crash_without_mistakes(detector, seed):
    sc = Scenario(detector, nodes=5, link=SYNC, faults=[Crash(3, at=1.0), Crash(4, at=2.3)], until=5.0)
    trace = sc.run(seed=seed)
    q = detector_quality(trace)
    assert q["strong_completeness"]
    assert q["false_suspicions"] == 0 and q["strong_accuracy"] and q["weak_accuracy"]
    assert len(q["detections"]) == 2 * 3  # two crashes, three correct observers
    assert 0 < q["max_detection_time"] < 1.5
    assert completeness(trace).ok and completeness(trace, strong=False).ok
    assert accuracy(trace).ok and accuracy(trace, strong=False).ok


def test_sync_detection_time_is_bounded_by_the_timeout():
    sc = Scenario(HeartbeatDetector, nodes=3, link=SYNC, params=dict(interval=0.1, timeout=0.3),
                  faults=[Crash(2, at=1.05)], until=3.0)
    d = detector_quality(sc.run())["detections"]["detection_time"]
    # the last heartbeat left at 1.0 and arrived at 1.01; suspicion at 1.31
    assert d.tolist() == pytest.approx([0.26, 0.26])


# -- heartbeats under injected delay -----------------------------------------------------

def test_heartbeat_pause_gives_a_finite_mistake():
    sc = Scenario(HeartbeatDetector, nodes=4, link=SYNC, params=dict(interval=0.1, timeout=0.15),
                  faults=[Pause(1, at=1.0, until=1.5)], until=3.0)
    trace = sc.run(seed=0)
    q = detector_quality(trace)
    m = q["mistakes"]
    assert q["false_suspicions"] == 3 and set(m["suspect"]) == {1}
    assert (m["duration"] > 0).all() and (m["end"] < 3.0).all()   # recovered: suspicion withdrawn
    assert m["duration"].tolist() == pytest.approx([0.35] * 3)
    assert trace.value_at("suspects", 3.0) == {n: frozenset() for n in range(4)}
    assert not q["strong_accuracy"] and q["weak_accuracy"]
    v = accuracy(trace)
    assert not v.ok and set(v.events) == set(m["seq"])
    assert accuracy(trace, strong=False).ok


def test_heartbeat_slow_node_is_suspected_then_trusted_again():
    sc = Scenario(HeartbeatDetector, nodes=3, link=SYNC, params=dict(interval=0.1, timeout=0.15),
                  faults=[Slow(0, at=1.0, delay=0.3, until=2.0)], until=4.0)
    q = detector_quality(sc.run())
    m = q["mistakes"]
    assert q["false_suspicions"] > 0 and set(m["suspect"]) == {0}
    assert 0 < q["mean_mistake_duration"] < 1.0


def test_heartbeat_jitter_makes_mistakes_and_a_looser_timeout_makes_fewer():
    link = LinkModel(latency=LogNormal(0.01, 1.5))
    counts = []
    for timeout in (0.15, 0.6):
        sc = Scenario(HeartbeatDetector, nodes=4, link=link, params=dict(interval=0.1, timeout=timeout), until=5.0)
        counts.append(sum(detector_quality(sc.run(seed=s))["false_suspicions"] for s in range(3)))
    assert counts[0] > 20 and counts[1] < counts[0]


# -- phi accrual ---------------------------------------------------------------------------

def test_phi_at_the_mean_is_log10_2_and_rises_with_elapsed_time():
    window = [0.1, 0.11, 0.09, 0.1]
    assert phi(0.1, window) == pytest.approx(math.log10(2), abs=1e-9)
    values = [phi(t, window) for t in (0.0, 0.05, 0.1, 0.12, 0.15, 0.2)]
    assert values == sorted(values) and values[0] < 0.01 and values[-1] > 8
    assert phi(10.0, window) == math.inf
    # a noisier window is more patient
    assert phi(0.15, [0.05, 0.15, 0.1, 0.1]) < phi(0.15, window)


def test_phi_rejects_bad_input():
    with pytest.raises(ValueError, match="intervals"):
        phi(0.1, [])
    with pytest.raises(ValueError, match="elapsed"):
        phi(-1.0, [0.1])
    with pytest.raises(TypeError, match="elapsed"):
        phi("soon", [0.1])


def test_phi_threshold_trades_detection_time_for_mistakes():
    df = tradeoff(PhiAccrualDetector, [dict(threshold=1.0), dict(threshold=8.0)], jitter_values=[1.0],
                  seeds=range(4), nodes=4, until=6.0)
    low, high = df.iloc[0], df.iloc[1]
    assert (df["completeness"] == 1.0).all()
    assert high["mean_detection_time"] > low["mean_detection_time"]
    assert high["false_suspicion_rate"] < low["false_suspicion_rate"]
    assert low["false_suspicions"] > 5


def test_tradeoff_shape_and_sync_row():
    df = tradeoff(HeartbeatDetector, [dict(timeout=0.3)], jitter_values=[0.0, 1.0], loss_values=[0.0, 0.2],
                  seeds=[0], nodes=3, until=3.0)
    assert list(df.columns) == ["detector", "params", "jitter", "loss", "mean_detection_time",
                                "false_suspicion_rate", "false_suspicions", "mean_mistake_duration",
                                "completeness"]
    assert len(df) == 4 and df.iloc[0]["false_suspicion_rate"] == 0.0
    with pytest.raises(TypeError, match="params_grid"):
        tradeoff(HeartbeatDetector, [0.3], seeds=[0])
    with pytest.raises(TypeError, match="detector"):
        tradeoff("heartbeat", [{}], seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        tradeoff(HeartbeatDetector, [{}], seeds=[])


def test_tradeoff_swim_confirmation_waits_for_the_suspect_timeout():
    rows = tradeoff(SwimDetector, [dict(suspect_timeout=0.2), dict(suspect_timeout=0.8)], seeds=[0, 1],
                    detector_key="faulty", until=4.0)
    short, long = rows["mean_detection_time"]
    assert long - short == pytest.approx(0.6, abs=0.05)
    assert (rows["completeness"] == 1.0).all()


# -- SWIM ------------------------------------------------------------------------------------

def test_swim_confirms_a_crash_as_faulty():
    sc = Scenario(SwimDetector, nodes=6, link=SYNC, faults=[Crash(5, at=1.0)], until=4.0)
    trace = sc.run(seed=3)
    faulty = trace.value_at("faulty", 4.0)
    assert all(faulty[n] == frozenset({5}) for n in range(5))
    assert detector_quality(trace, "faulty")["max_detection_time"] < 2.0
    assert completeness(trace).ok and completeness(trace, key="faulty").ok


def test_swim_refutes_a_false_suspicion_by_incarnation():
    sc = Scenario(SwimDetector, nodes=5, link=SYNC, faults=[Pause(2, at=1.0, until=1.4)], until=4.0)
    sim = Simulation(sc, seed=0)
    trace = sim.run()
    q = detector_quality(trace)
    assert q["false_suspicions"] > 0 and set(q["mistakes"]["suspect"]) == {2}
    assert (q["mistakes"]["end"] < 2.0).all()                      # refuted, not confirmed
    assert detector_quality(trace, "faulty")["false_suspicions"] == 0
    assert sim.nodes[2].incarnation == 1
    assert all(sim.nodes[n].members[2] == (ALIVE, 1) for n in (0, 1, 3, 4))
    alive_news = [r for r in trace.rows if r[1] == "send" and r[2] == 2 and (2, ALIVE, 1) in r[5].updates]
    assert alive_news


def test_swim_recovered_node_rejoins_with_a_newer_incarnation():
    sc = Scenario(SwimDetector, nodes=5, link=SYNC, faults=[Crash(4, at=0.5, until=3.0)], until=6.0)
    sim = Simulation(sc, seed=1)
    trace = sim.run()
    assert all(trace.value_at("faulty", 2.9)[n] == frozenset({4}) for n in range(4))
    assert all(trace.value_at("suspects", 6.0)[n] == frozenset() for n in range(5))
    assert sim.nodes[4].incarnation >= 1
    assert completeness(trace).ok  # nothing to detect at the end: node 4 is back


def test_swim_handler_refutes_suspicion_of_itself():
    node = SwimDetector(0, peers=(1, 2, 3))
    ctx = Context(0, (1, 2, 3), random.Random(0))
    node.on_message(ctx, 1, Ping(7, updates=((0, SUSPECT, 0), (2, SUSPECT, 0))))
    assert node.incarnation == 1
    assert node.updates[0][:2] == [ALIVE, 1]
    assert node.members[2] == (SUSPECT, 0) and node.suspects == frozenset({2})
    effects = ctx.take_effects()
    ack = [e for e in effects if e[0] == 0]  # SEND
    assert ack[0][1] == 1 and isinstance(ack[0][2], Ack) and (0, ALIVE, 1) in ack[0][2].updates
    # an older alive does not override the suspicion; a newer one does
    node.on_message(ctx, 1, Ping(8, updates=((2, ALIVE, 0),)))
    assert node.members[2] == (SUSPECT, 0)
    node.on_message(ctx, 1, Ping(9, updates=((2, ALIVE, 1),)))
    assert node.members[2] == (ALIVE, 1) and node.suspects == frozenset()
    node.on_message(ctx, 1, Ping(10, updates=((3, FAULTY, 0),)))
    assert node.faulty == frozenset({3})


def test_heartbeat_handler_unsuspects_on_a_heartbeat():
    node = HeartbeatDetector(0, peers=(1, 2))
    ctx = Context(0, (1, 2), random.Random(0))
    node.on_timer(ctx, ("timeout", 1))
    assert node.suspects == frozenset({1})
    node.on_message(ctx, 1, Heartbeat(5))
    assert node.suspects == frozenset()
    assert [e[1:] for e in ctx.take_effects() if e[0] == 3] == [("suspects", frozenset({1})),
                                                                ("suspects", frozenset())]


# -- checkers catch hand-made violations --------------------------------------------------

def _trace(rows, end):
    return Trace((0, 1, 2), rows, end_time=end)


def test_completeness_catches_a_missed_crash():
    rows = [(0.0, "observe", n, None, None, "suspects", frozenset()) for n in (0, 1, 2)]
    rows += [(1.0, "crash", 2, None, None, None, None),
             (1.5, "observe", 0, None, None, "suspects", frozenset({2}))]
    trace = _trace(rows, 3.0)
    v = completeness(trace)
    assert not v.ok and v.events == (3,) and "1" in v.message
    assert completeness(trace, strong=False).ok
    q = detector_quality(trace)
    assert not q["strong_completeness"]
    assert q["detections"].set_index("observer")["detection_time"].to_dict()[0] == pytest.approx(0.5)
    assert math.isnan(q["detections"].set_index("observer")["detection_time"][1])


def test_accuracy_catches_wrong_suspicions():
    rows = [(0.0, "observe", n, None, None, "suspects", frozenset()) for n in (0, 1, 2)]
    rows += [(1.0, "observe", 0, None, None, "suspects", frozenset({1})),
             (1.2, "observe", 1, None, None, "suspects", frozenset({0, 2})),
             (1.5, "observe", 0, None, None, "suspects", frozenset()),
             (2.0, "observe", 2, None, None, "suspects", frozenset({0}))]
    trace = _trace(rows, 4.0)
    v = accuracy(trace)
    assert not v.ok and set(v.events) == {3, 4, 6}
    w = accuracy(trace, strong=False)
    assert not w.ok  # every correct node was suspected at some time
    q = detector_quality(trace)
    assert q["false_suspicions"] == 4
    assert sorted(q["mistakes"]["duration"]) == pytest.approx([0.5, 2.0, 2.8, 2.8])
    assert q["false_suspicion_rate"] == pytest.approx(4 / (6 * 4.0))


def test_suspicion_that_becomes_true_is_cut_at_the_crash():
    rows = [(0.0, "observe", n, None, None, "suspects", frozenset()) for n in (0, 1, 2)]
    rows += [(1.0, "observe", 0, None, None, "suspects", frozenset({2})),
             (1.3, "crash", 2, None, None, None, None),
             (1.4, "observe", 1, None, None, "suspects", frozenset({2}))]
    q = detector_quality(_trace(rows, 2.0))
    assert q["mistakes"]["duration"].tolist() == pytest.approx([0.3])
    assert q["strong_completeness"]
    assert sorted(q["detections"]["detection_time"]) == pytest.approx([0.0, 0.1])


# -- parameters and determinism ---------------------------------------------------------------

@pytest.mark.parametrize("detector, params, exc, field", [
    (HeartbeatDetector, dict(interval=0), ValueError, "interval"),
    (HeartbeatDetector, dict(timeout="1s"), TypeError, "timeout"),
    (PhiAccrualDetector, dict(threshold=-1), ValueError, "threshold"),
    (PhiAccrualDetector, dict(window=0), ValueError, "window"),
    (PhiAccrualDetector, dict(window=2.5), TypeError, "window"),
    (PhiAccrualDetector, dict(min_std=0), ValueError, "min_std"),
    (SwimDetector, dict(ack_timeout=0.3, period=0.2), ValueError, "ack_timeout"),
    (SwimDetector, dict(k=-1), ValueError, "k"),
    (SwimDetector, dict(suspect_timeout=None), TypeError, "suspect_timeout"),
    (SwimDetector, dict(max_piggyback=0), ValueError, "max_piggyback"),
])
def test_bad_params_name_the_field(detector, params, exc, field):
    with pytest.raises(exc, match=field):
        detector(0, (1, 2), **params)


@pytest.mark.parametrize("detector", DETECTORS)
def test_determinism(detector):
    sc = Scenario(detector, nodes=4, link=LinkModel(latency=LogNormal(0.01, 1.0), loss=0.05),
                  faults=[Crash(1, at=1.0)], until=3.0)
    a, b = sc.run(seed=5), sc.run(seed=5)
    assert a == b
    assert detector_quality(a)["mistakes"].equals(detector_quality(b)["mistakes"])
    assert a != sc.run(seed=6)


# -- deliberately broken detectors: the checkers must catch them ---------------------------------

class NeverSuspects(HeartbeatDetector):
    """Broken: trusts everyone for ever (perfect accuracy, no completeness)."""

    def on_timer(self, ctx, name):
        if name == "heartbeat":
            super().on_timer(ctx, name)


class SuspectsEveryone(HeartbeatDetector):
    """Broken: suspects every peer from the start (perfect completeness, no accuracy)."""

    def on_start(self, ctx):
        self.suspects = frozenset(self.peers)
        ctx.observe("suspects", self.suspects)

    def on_message(self, ctx, src, msg):
        pass


def test_checkers_catch_broken_detectors():
    faults = [Crash(2, at=1.0)]
    never = Scenario(NeverSuspects, nodes=4, link=SYNC, faults=faults, until=2.0).run()
    v = completeness(never)
    assert not v.ok and v.events == tuple(i for i, r in enumerate(never.rows) if r[1] == "crash")
    assert not completeness(never, strong=False).ok and accuracy(never).ok
    everyone = Scenario(SuspectsEveryone, nodes=4, link=SYNC, faults=faults, until=2.0).run()
    assert completeness(everyone).ok
    assert not accuracy(everyone).ok and not accuracy(everyone, strong=False).ok
    assert detector_quality(everyone)["detections"]["detection_time"].eq(0.0).all()
