"""Scenario validation: every bad value fails before anything runs, with a message that
names the field and says what is allowed."""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest

from dsysedu.protocols.basics import Flood, RequestReply
from dsysedu.sim import (ClockJump, Constant, Crash, CutLink, Exponential, Input, LinkModel, LogNormal, Nemesis,
                         Node, Partition, Pause, Scenario, Simulation, Slow, Uniform, run)
from sim_helpers import Note


def bad(exc, *fragments, **changes):
    """Scenario(**changes) raises ``exc`` whose message contains every fragment."""
    kw = {"protocol": Flood, "nodes": 3}
    kw.update(changes)
    with pytest.raises(exc) as info:
        Scenario(**kw)
    for f in fragments:
        assert f in str(info.value), f"{f!r} not in {str(info.value)!r}"
    return info.value


# ---------------------------------------------------------------- links


@pytest.mark.parametrize("latency", [-0.01, -1])
def test_negative_latency(latency):
    with pytest.raises(ValueError, match=r"LinkModel\.latency must be >= 0"):
        LinkModel(latency=latency)


@pytest.mark.parametrize("make, field", [
    (lambda: Constant(-0.1), "Constant.delay must be >= 0"),
    (lambda: Uniform(-0.1, 0.2), "Uniform.low must be >= 0"),
    (lambda: Uniform(0.2, 0.1), "Uniform.high must be >= Uniform.low"),
    (lambda: Exponential(0.0), "Exponential.mean_extra must be > 0"),
    (lambda: Exponential(0.1, -1.0), "Exponential.minimum must be >= 0"),
    (lambda: LogNormal(0.0), "LogNormal.median must be > 0"),
    (lambda: LogNormal(0.1, -0.5), "LogNormal.sigma must be >= 0"),
])
def test_bad_latency_distributions(make, field):
    with pytest.raises(ValueError, match=field):
        make()


@pytest.mark.parametrize("value", ["fast", None, True, [0.1]])
def test_latency_of_wrong_type(value):
    with pytest.raises(TypeError, match="LinkModel.latency must be a number of seconds or one of Constant"):
        LinkModel(latency=value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_latency_not_finite(value):
    with pytest.raises(ValueError, match="LinkModel.latency must be a finite number"):
        LinkModel(latency=value)


@pytest.mark.parametrize("field", ["loss", "duplicate"])
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_probabilities_out_of_range(field, value):
    with pytest.raises(ValueError) as info:
        LinkModel(**{field: value})
    msg = str(info.value)
    assert f"LinkModel.{field}" in msg and "0" in msg and "1" in msg and repr(value) in msg


def test_probability_bounds_are_allowed():
    assert LinkModel(loss=1.0, duplicate=0.0).loss == 1.0
    assert LinkModel(loss=0, duplicate=1).duplicate == 1


def test_reorder_must_be_bool():
    with pytest.raises(TypeError, match="LinkModel.reorder must be True or False"):
        LinkModel(reorder=1)


def test_link_must_be_linkmodel():
    bad(TypeError, "link must be a LinkModel", link=0.01)


def test_links_key_for_missing_edge():
    g = nx.path_graph(3)  # 0-1-2: no edge 0-2
    bad(ValueError, "links[(0, 2)]", "no link between 0 and 2", nodes=g, links={(0, 2): LinkModel()})


def test_links_key_for_unknown_node():
    bad(ValueError, "links[(0, 9)]", "unknown node", "[0, 1, 2]", links={(0, 9): LinkModel()})


def test_links_key_not_a_pair():
    bad(TypeError, "links keys must be (src, dst) pairs", links={0: LinkModel()})


def test_links_value_not_linkmodel():
    bad(TypeError, "links[(0, 1)] must be a LinkModel", links={(0, 1): 0.5})


def test_links_not_a_mapping():
    bad(TypeError, "links must be a dict", links=[((0, 1), LinkModel())])


# ---------------------------------------------------------------- protocol and params


class NotANode:
    pass


@pytest.mark.parametrize("protocol", [NotANode, Flood(0), "Flood", None])
def test_protocol_not_a_node_subclass(protocol):
    bad(TypeError, "protocol must be a Node subclass", protocol=protocol)


def test_protocol_mapping_must_cover_nodes():
    bad(ValueError, "protocol mapping must name exactly the nodes", "missing [2]", protocol={0: Flood, 1: Flood})
    bad(ValueError, "unknown [7]", protocol={0: Flood, 1: Flood, 2: Flood, 7: Flood})
    bad(TypeError, "protocol[1] must be a Node subclass", protocol={0: Flood, 1: int, 2: Flood})


def test_params_not_a_dict():
    bad(TypeError, "params must be a dict", params=[("origin", 1)])


def test_node_params_checks():
    bad(TypeError, "node_params must be a dict", node_params=[1])
    bad(ValueError, "node_params names unknown node 5", node_params={5: {}})
    bad(TypeError, "node_params[1] must be a dict", node_params={1: 3})


def test_params_reach_the_constructor_and_bad_params_name_the_node():
    sc = Scenario(Flood, nodes=3, params={"origin": 2}, node_params={1: {"origin": 1}})
    sim = Simulation(sc)
    assert [sim.nodes[n].origin for n in sc.node_ids] == [2, 1, 2]
    with pytest.raises(TypeError, match="could not build Flood for node 0"):
        Simulation(Scenario(Flood, nodes=3, params={"colour": "red"}))


# ---------------------------------------------------------------- nodes


@pytest.mark.parametrize("nodes, exc, fragment", [
    (0, ValueError, "nodes must be an int from 1"),
    (-3, ValueError, "nodes must be an int from 1"),
    (True, TypeError, "nodes must be an int, a list of ids or a networkx.Graph"),
    ([], ValueError, "the list is empty"),
    ([1, 1, 2], ValueError, "the ids must be distinct"),
    ([0, 1.5], TypeError, "node ids must be ints or strs"),
    (nx.DiGraph([(0, 1)]), TypeError, "undirected"),
    (nx.Graph(), ValueError, "the graph has no nodes"),
    ("abc", TypeError, "nodes must be an int, a list of ids or a networkx.Graph"),
])
def test_bad_nodes(nodes, exc, fragment):
    bad(exc, fragment, nodes=nodes)


def test_node_ids_and_graph():
    assert Scenario(Flood, nodes=["b", 2, "a", 0]).node_ids == (0, 2, "a", "b")   # ints first, then strs
    assert Scenario(Flood, nodes=["b", "a", "c"]).node_ids == ("a", "b", "c")
    g = nx.path_graph(4)
    g.add_edge(2, 2)  # self-loops are not links
    sc = Scenario(Flood, nodes=g)
    assert sc.node_ids == (0, 1, 2, 3)
    assert sorted(sc.graph.edges) == [(0, 1), (1, 2), (2, 3)]
    sc.graph.add_edge(0, 3)  # a copy: the scenario's topology does not change
    assert not sc.graph.has_edge(0, 3)


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize("fault", [Crash(9, at=1.0), Pause(9, at=1.0), Slow(9, at=1.0), ClockJump(9, at=1.0),
                                   CutLink(0, 9, at=1.0)])
def test_fault_with_unknown_node(fault):
    bad(ValueError, "faults[0]", "unknown node 9", "nodes are [0, 1, 2]", faults=[fault])


def test_partition_must_cover_all_nodes():
    bad(ValueError, "faults[1] Partition must put every node in a group", "missing [2]",
        faults=[Crash(0, at=1.0), Partition([[0], [1]], at=1.0)])


def test_partition_with_unknown_node():
    bad(ValueError, "unknown node 5", faults=[Partition([[0, 1], [2, 5]], at=1.0)])


def test_node_in_two_groups():
    with pytest.raises(ValueError, match=r"Partition.groups: node 1 is in more than one group"):
        Partition([[0, 1], [1, 2]], at=1.0)


@pytest.mark.parametrize("groups, exc, fragment", [
    ([[0, 1, 2]], ValueError, "at least 2 groups"),
    ([[0, 1, 2], []], ValueError, "must not contain an empty group"),
    ("01", TypeError, "must be a list of node lists"),
    ([[0], 1], TypeError, "must be a list of node lists"),
])
def test_bad_partition_groups(groups, exc, fragment):
    with pytest.raises(exc, match=fragment):
        Partition(groups, at=0.0)


@pytest.mark.parametrize("make, fragment", [
    (lambda: Crash(0, at=-1.0), "Crash.at must be >= 0"),
    (lambda: Crash(0, at=2.0, until=1.0), "Crash.until must be >= Crash.at"),
    (lambda: Pause(0, at="soon"), "Pause.at must be a number"),
    (lambda: Slow(0, at=1.0, delay=-0.1), "Slow.delay must be >= 0"),
    (lambda: CutLink(1, 1, at=0.0), "CutLink needs two different nodes"),
    (lambda: ClockJump(0, at=1.0, delta=float("nan")), "ClockJump.delta must be a finite number"),
    (lambda: Partition([[0], [1]], at=1.0, until=0.5), "Partition.until must be >= Partition.at"),
])
def test_bad_fault_values(make, fragment):
    with pytest.raises((ValueError, TypeError), match=fragment):
        make()


def test_faults_must_be_faults():
    bad(TypeError, "faults[0] must be a Fault", faults=[("crash", 0, 1.0)])
    bad(TypeError, "nemesis must be a Nemesis", nemesis=Crash(0, at=1.0))


def test_single_fault_is_accepted():
    assert Scenario(Flood, nodes=3, faults=Crash(1, at=0.5)).faults == (Crash(1, at=0.5),)


@pytest.mark.parametrize("kw, fragment", [
    ({"crash_rate": -1}, "Nemesis.crash_rate must be >= 0"),
    ({"mean_downtime": 0}, "Nemesis.mean_downtime must be >= 1e-06"),
    ({"start": 3, "stop": 2}, "Nemesis.stop must be >= Nemesis.start"),
    ({"max_down": -1}, "Nemesis.max_down must be None or an int >= 0"),
    ({"max_down": 1.5}, "Nemesis.max_down must be None or an int >= 0"),
])
def test_bad_nemesis(kw, fragment):
    with pytest.raises(ValueError, match=fragment):
        Nemesis(**kw)


# ---------------------------------------------------------------- clocks


@pytest.mark.parametrize("drift", [0.7, -0.51, 2])
def test_clock_drift_out_of_range(drift):
    bad(ValueError, "clock_drift must be", "-0.5", "<= 0.5" if drift < 0 else "and 0.5", repr(drift),
        clock_drift=drift)


def test_clock_drift_per_node():
    bad(ValueError, "clock_drift[1] must be between -0.5 and 0.5, got 0.9", clock_drift={1: 0.9})
    bad(ValueError, "clock_drift names unknown node 4", clock_drift={4: 0.1})
    bad(ValueError, "clock_offset names unknown node 4", clock_offset={4: 0.1})
    bad(TypeError, "clock_offset must be a number", clock_offset="1s")
    sc = Scenario(Flood, nodes=3, clock_offset={1: 2.5}, clock_drift=0.5)
    assert (sc.offset_of(0), sc.offset_of(1), sc.drift_of(2)) == (0.0, 2.5, 0.5)


# ---------------------------------------------------------------- inputs


def test_inputs_to_unknown_node():
    bad(ValueError, "inputs[1] names unknown node 8", "nodes are [0, 1, 2]",
        inputs=[Input(0.1, 0, Note("x")), Input(0.2, 8, Note("y"))])


def test_input_checks():
    bad(TypeError, "inputs[0] must be an Input(at, node, msg)", inputs=[(0.1, 0, "x")])
    with pytest.raises(ValueError, match="Input.at must be >= 0"):
        Input(-1.0, 0, "x")
    with pytest.raises(TypeError, match="a message must be a frozen dataclass"):
        Input(1.0, 0, _Mutable(1))
    with pytest.raises(TypeError, match=r"make Loose a @dataclass\(frozen=True\)"):
        Input(1.0, 0, Loose(1))


# ---------------------------------------------------------------- bounds and seed


@pytest.mark.parametrize("until, exc", [(0, ValueError), (-1.0, ValueError), (float("inf"), ValueError),
                                        ("10", TypeError)])
def test_until_must_be_positive_and_finite(until, exc):
    bad(exc, "until must be", until=until)


def test_until_message_says_allowed_range():
    bad(ValueError, "until must be > 0, got 0", until=0)


@pytest.mark.parametrize("max_events, exc, fragment", [
    (0, ValueError, "max_events must be an int >= 1, got 0"),
    (-5, ValueError, "max_events must be an int >= 1"),
    (10.0, TypeError, "max_events must be an int"),
    (True, TypeError, "max_events must be an int"),
])
def test_max_events(max_events, exc, fragment):
    bad(exc, fragment, max_events=max_events)


@pytest.mark.parametrize("seed, exc, fragment", [
    (1.5, TypeError, "seed must be None, a non-negative int or a numpy Generator"),
    ("7", TypeError, "seed must be None, a non-negative int or a numpy Generator"),
    (True, TypeError, "seed must be None"),
    (-1, ValueError, "seed must be a non-negative int, got -1"),
])
def test_bad_seed(seed, exc, fragment):
    bad(exc, fragment, seed=seed)
    with pytest.raises(exc, match=fragment):
        run(Scenario(Flood, nodes=3), seed=seed)


def test_other_flags():
    bad(TypeError, "stamp_clocks must be True or False", stamp_clocks=1)
    bad(TypeError, "name must be a str", name=3)


def test_simulation_needs_a_scenario():
    with pytest.raises(TypeError, match="scenario must be a Scenario"):
        Simulation({"protocol": Flood})


# ---------------------------------------------------------------- replace, protocol mapping, seeds


def test_replace_validates_again_and_keeps_graph():
    sc = Scenario(Flood, nodes=nx.path_graph(4), until=2.0)
    sc2 = sc.replace(until=3.0)
    assert sc2.until == 3.0 and sorted(sc2.graph.edges) == sorted(sc.graph.edges)
    with pytest.raises(ValueError, match="until must be > 0"):
        sc.replace(until=0)
    with pytest.raises(TypeError, match=r"Scenario has no field\(s\) \['speed'\]"):
        sc.replace(speed=2)


def test_protocol_mapping_runs_each_class():
    trace = run(Scenario(RequestReply, nodes=2, params={"requests": 3}, until=1.0))
    roles = trace.value_at("role", 1.0)
    assert roles == {0: "client", 1: "server"}


def test_generator_seed_is_normalised_once():
    sc = Scenario(Flood, nodes=3, link=LinkModel(latency=Uniform(0.01, 0.05)), seed=np.random.default_rng(5))
    assert isinstance(sc.seed, int)
    assert run(sc) == run(sc)
    same = Scenario(Flood, nodes=3, link=LinkModel(latency=Uniform(0.01, 0.05)), seed=np.random.default_rng(5))
    assert same.seed == sc.seed


@dataclass
class Loose:
    x: int


class _Mutable:
    def __init__(self, x):
        self.x = x


class Bare(Node):
    pass


def test_bare_node_runs_quiet():
    trace = run(Scenario(Bare, nodes=2, until=1.0))
    assert trace.ended_by == "quiescent"
    assert [r[1] for r in trace.rows] == ["start", "start"]
