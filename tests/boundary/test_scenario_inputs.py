"""Boundary: Scenario, Simulation.run/run_until/fork, protocols' topologies.

Every bad value raises a clear error naming the field before anything runs; a run
cut off by a bound says so (``ended_by``, ``truncated``).
"""
import math

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsysedu.protocols.basics.toys import Flood
from dsysedu.protocols.consensus.flp import RoundConsensus
from dsysedu.protocols.consensus.paxos import Paxos
from dsysedu.protocols.consensus.raft import Raft
from dsysedu.protocols.coordination.bully import BullyNode
from dsysedu.protocols.membership.failure_detectors.swim import SwimDetector
from dsysedu.protocols.membership.gossip import Gossip, gossip_scenario, run_to_full_spread, spread_stats
from dsysedu.sim import Node, Scenario, Simulation, run
from dsysedu.sim.scenario import MAX_COMPLETE
from limits import FUZZ, attempt, bounded

B = "scenario"
not_numbers = st.one_of(st.text(max_size=5), st.none(), st.booleans(), st.lists(st.integers(), max_size=2))
bad_times = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.floats(max_value=-1e-9),
                      not_numbers)


@FUZZ
@given(field=st.sampled_from(["until", "max_events", "max_rows", "clock_drift", "clock_offset"]),
       value=st.one_of(bad_times, st.integers(max_value=0), st.floats(min_value=0.51, max_value=1e9)))
def test_bad_bounds_and_clocks_name_their_field(field, value):
    ok_for = {"clock_offset": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
              "clock_drift": lambda v: False, "until": lambda v: False}
    if field in ("max_events", "max_rows") and type(value) is int and value >= 1:
        return
    if ok_for.get(field, lambda v: False)(value) or (field == "until" and type(value) in (int, float)
                                                     and math.isfinite(value) and value > 0):
        return
    if field == "clock_drift" and type(value) in (int, float) and -0.5 <= value <= 0.5:
        return
    attempt(B, lambda: Scenario(Flood, nodes=3, **{field: value}), match=field)


@FUZZ
@given(nodes=st.one_of(st.integers(max_value=0), st.integers(MAX_COMPLETE + 1, 10**9), st.floats(), st.none(),
                       st.text(max_size=3), st.booleans(), st.just([]), st.lists(st.integers(0, 3), min_size=2).filter(
                           lambda l: len(set(l)) < len(l)), st.just([1.5, 2.5]), st.just([None])))
def test_bad_node_sets_are_refused_quickly(nodes):
    attempt(B, lambda: Scenario(Flood, nodes=nodes), match="nodes|node ids")


@FUZZ
@given(until=bad_times)
def test_run_run_until_and_fork_refuse_bad_times(until):
    sim = Simulation(Scenario(Flood, nodes=3))
    if until is not None:  # None is run()'s default: the scenario's bound
        attempt(B, lambda: sim.run(until=until), match="until")
    attempt(B, lambda: sim.run_until(until), match="until")
    attempt(B, lambda: sim.fork(until), match="fork t")


@FUZZ
@given(max_events=st.integers(1, 200), max_rows=st.integers(1, 400), n=st.integers(2, 8))
def test_bounds_cut_runs_and_say_so(max_events, max_rows, n):
    sc = Scenario(Flood, nodes=n, until=5.0, max_events=max_events, max_rows=max_rows)
    trace = attempt(B, lambda: run(sc), must_fail=False)
    bounded(B, trace)
    sim = Simulation(sc)
    part = sim.run_until(2.5)
    if part.truncated:
        assert part.ended_by == trace.ended_by


class Storm(Node):
    """Every message is sent on to every peer: a broadcast storm."""

    def on_start(self, ctx):
        ctx.broadcast(0)

    def on_message(self, ctx, src, msg):
        ctx.broadcast(msg)


def test_a_broadcast_storm_stops_at_the_row_bound():
    sc = Scenario(Storm, nodes=10, until=1e6, max_rows=200_000)
    trace = attempt(B, lambda: run(sc), must_fail=False, seconds=60)
    bounded(B, trace)
    assert trace.ended_by == "max_rows" and 200_000 <= len(trace.rows) < 200_000 + 200_000 // 16 * 20


def test_run_until_reports_the_event_bound():
    """Before: run_until returned ended_by='stopped', truncated=False for a run cut by max_events."""
    sim = Simulation(Scenario(Storm, nodes=5, until=100.0, max_events=1000))
    trace = sim.run_until(50.0)
    assert trace.truncated and trace.ended_by == "max_events"
    assert sim.run_until(60.0).truncated


def test_gossip_spread_cut_off_says_so():
    sc = gossip_scenario(30, mode="push-pull", until=50.0).replace(max_events=50)
    trace = run_to_full_spread(sc, seed=1)
    assert trace.truncated and spread_stats(trace).truncated
    assert not spread_stats(run_to_full_spread(gossip_scenario(30, until=50.0), seed=1)).truncated


non_complete = st.sampled_from([nx.cycle_graph(5), nx.path_graph(4), nx.star_graph(4),
                                nx.random_regular_graph(3, 8, seed=1), nx.random_regular_graph(10, 40, seed=2)])


@FUZZ
@given(graph=non_complete, protocol=st.sampled_from([Raft, Paxos, RoundConsensus, SwimDetector, BullyNode]))
def test_majority_protocols_refuse_a_non_complete_graph(graph, protocol):
    attempt(B, lambda: Scenario(protocol, nodes=graph), errors=(ValueError,), match="needs a complete graph")


def test_raft_on_a_ring_used_to_elect_two_leaders_and_is_now_refused():
    with pytest.raises(ValueError, match=r"Raft needs a complete graph .* node 0 has no link to 2"):
        Scenario(Raft, nodes=nx.cycle_graph(5))
    assert run(Scenario(Raft, nodes=5, until=1.0), seed=1).ended_by == "time"


@FUZZ
@given(origin=st.one_of(st.integers(5, 100), st.integers(max_value=-1), st.text(max_size=2)))
def test_gossip_origin_and_paxos_proposers_must_be_nodes(origin):
    attempt(B, lambda: Scenario(Gossip, nodes=5, params={"origin": origin}), match="origin")
    attempt(B, lambda: Scenario(Paxos, nodes=5, params={"proposers": (origin,)}), match="proposers")
