"""The hybrid architecture: the agent proposes, the human decides, the service heals; all on one bus."""
import math

import pytest

from dsysedu import run
from dsysedu.ops.agents import (AGENT, BUS, CONSOLE, LANES, Agent, Bus, Publish, Telemetry, hybrid_scenario,
                                hybrid_summary)
from dsysedu.ops.humans import SimulatedHuman
from dsysedu.sim.node import SEND, Context


def test_the_agent_proposes_and_never_acts():
    trace = run(hybrid_scenario(sick={"inventory": 30.0}, duration=150.0), seed=3)
    m = trace.messages()
    assert set(m.loc[m["src"] == AGENT, "dst"]) == {BUS}                  # the agent only publishes proposals
    assert set(m.loc[m["src"] == AGENT, "type"]) == {"Publish"}
    commands = m[m["type"] == "Command"]
    assert len(commands) and set(commands["src"]) == {BUS}
    row = hybrid_summary(trace).iloc[0]
    assert row["sick"] < row["proposed"] <= row["decided"] < row["healthy"]
    # the command came from the console's approval
    assert (m.loc[(m["src"] == CONSOLE), "msg"].map(lambda p: p.topic) == "commands").all()


def test_autonomous_heals_faster_and_a_careful_human_stops_a_risky_restart():
    careful = SimulatedHuman("operator", median=20.0, sigma=0.3, error_rate=0.0, absent=0.0)
    sc = dict(sick={"inventory": 30.0, "orders": 70.0}, duration=200.0, risky=("orders",), human=careful)
    human = hybrid_summary(run(hybrid_scenario(**sc), seed=1)).set_index("service")
    alone = hybrid_summary(run(hybrid_scenario(**sc, autonomous=True), seed=1)).set_index("service")
    assert alone.loc["inventory", "time_to_heal"] < human.loc["inventory", "time_to_heal"]
    assert human.loc["orders", "verdict"] == "reject" and math.isnan(human.loc["orders", "healthy"])
    assert alone.loc["orders", "verdict"] == "approve"


def test_no_sickness_no_proposal():
    trace = run(hybrid_scenario(sick={}, duration=100.0), seed=2)
    assert not len(trace.observations("proposal")) and hybrid_summary(trace).empty


def test_bus_routes_by_topic_in_sorted_order():
    bus = Bus(BUS, subscribers={"telemetry": ("z", "a")})
    ctx = Context(BUS, ("a", "x", "z"))
    bus.on_message(ctx, "x", Publish("telemetry", Telemetry("x", 0.0, 0.1)))
    bus.on_message(ctx, "x", Publish("commands", Telemetry("x", 0.0, 0.1)))      # wrong type for the topic
    assert [e[1] for e in ctx.effects if e[0] == SEND] == ["a", "z"]
    with pytest.raises(ValueError, match="unknown topics"):
        Bus(BUS, subscribers={"news": ("a",)})


def test_a_slow_leak_does_not_drag_the_baseline_along():
    agent, ctx = Agent(AGENT, patience=2), Context(AGENT, (BUS,))
    for i in range(5):
        agent.consume(ctx, Telemetry("s", i, 0.05))
    for i, p in enumerate((0.06, 0.08, 0.1, 0.13, 0.16, 0.19)):
        agent.consume(ctx, Telemetry("s", 5 + i, p))
    assert agent.baseline["s"][0] < 0.06 and "s" in agent.proposed


def test_lanes_are_the_scenario_nodes():
    assert tuple(hybrid_scenario().nodes) == LANES


def test_no_restart_without_an_approval_under_random_faults():
    from dsysedu.sim.chaos import chaos_weather
    from dsysedu.sim.faults import Nemesis
    restarts = dropped = 0
    for seed in range(25):
        nemesis, link = chaos_weather(stop=150.0, nemesis=Nemesis(crash_rate=0.01, mean_downtime=5.0,
                                                                  partition_rate=0.01, mean_partition=5.0,
                                                                  pause_rate=0.01, stop=150.0), loss=0.05)
        trace = run(hybrid_scenario(sick={"inventory": 20.0, "orders": 60.0}, duration=150.0, link=link,
                                    nemesis=nemesis, risky=("orders",)), seed=seed)
        obs = trace.observations()
        approvals = obs[(obs["key"] == "decision") & (obs["value"].map(lambda v: v[2]) == "approve")]
        for _, r in obs[(obs["key"] == "health") & (obs["value"] == "restarting")].iterrows():
            before = approvals[(approvals["time"] < r["time"]) & (approvals["value"].map(lambda v: v[1]) == r["node"])]
            assert len(before), f"seed {seed}: {r['node']} restarted at {r['time']} without an approval"
        m = trace.messages()
        assert set(m.loc[m["src"] == AGENT, "msg"].map(lambda p: p.topic)) <= {"proposals"}
        restarts += int(((obs["key"] == "health") & (obs["value"] == "restarting")).sum())
        dropped += int((m["status"] == "dropped").sum())
    assert restarts >= 10 and dropped > 100          # the property was tested on real restarts and real faults
