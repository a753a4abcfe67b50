"""Raft on fault schedules that hypothesis writes (and shrinks, when one fails).

Where the nemesis draws faults from rates, hypothesis picks them one by one: which node
crashes when and for how long, which partition, which node's timer is quick, which
options are on. Safety must hold on every schedule; once the last fault is over, a new
client request must be applied on every node.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsysedu.check import all_hold

from dsysedu.protocols.consensus.raft import raft_safety
from dsysedu.protocols.consensus.raft.properties import client_liveness
from dsysedu.protocols.consensus.raft import ClientRequest, Raft
from dsysedu.sim import Crash, Input, LinkModel, Partition, Pause, Scenario, Uniform, run

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAULTS_END = 2.0


@st.composite
def schedules(draw):
    n = draw(st.sampled_from([3, 5]))
    times = st.floats(0.0, FAULTS_END - 0.05)
    faults = []
    for _ in range(draw(st.integers(0, 6))):
        at = draw(times)
        until = min(FAULTS_END, at + draw(st.floats(0.01, 0.8)))
        kind = draw(st.sampled_from(["crash", "pause", "partition"]))
        if kind == "partition":
            side = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n - 1))
            faults.append(Partition((tuple(sorted(side)), tuple(v for v in range(n) if v not in side)),
                                    at=at, until=until))
        else:
            node = draw(st.integers(0, n - 1))
            faults.append((Crash if kind == "crash" else Pause)(node, at=at, until=until))
    inputs = [Input(draw(st.floats(0.0, FAULTS_END)), draw(st.integers(0, n - 1)),
                    ClientRequest("c", i, ("set", "x", i))) for i in range(1, draw(st.integers(0, 4)) + 1)]
    inputs.append(Input(FAULTS_END + 0.1, draw(st.integers(0, n - 1)), ClientRequest("late", 1, ("set", "y", 1))))
    quick = draw(st.integers(0, n - 1))
    params = {"prevote": draw(st.booleans()), "check_quorum": draw(st.booleans()),
              "fast_backoff": draw(st.booleans()), "noop": draw(st.booleans())}
    loss = draw(st.sampled_from([0.0, 0.05]))
    return Scenario(Raft, nodes=n, params=params, node_params={quick: {"election_timeout": 0.08}},
                    link=LinkModel(latency=Uniform(0.002, 0.02), loss=loss, duplicate=loss, reorder=True),
                    faults=faults, inputs=sorted(inputs, key=lambda i: i.at), until=FAULTS_END + 2.0,
                    seed=draw(st.integers(0, 2**16)))


@PROPERTY
@given(schedules())
def test_raft_is_safe_and_live_on_any_schedule(sc):
    trace = run(sc)
    # Liveness is owed from the end of the last fault; crashes and partitions all end by FAULTS_END.
    # Without the no-op a new leader cannot commit what it inherited until a client writes again,
    # so a node may never apply the last request (hypothesis found that): only the ack is owed.
    live = client_liveness(trace, within=1.5, after=FAULTS_END, everywhere=sc.params["noop"])
    verdict = all_hold([raft_safety(trace), live])
    assert verdict, (verdict, sc)
