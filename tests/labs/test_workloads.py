"""A lab's runs: the clients, the partitions between servers, determinism, and grade_lab's refusals."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.exercises.labs import (Echo, Error, LabClient, LabNode, TEMPORARILY_UNAVAILABLE, Workload, grade_lab,
                                    lab_run, lab_scenario, partition_faults, plan_rng)
from dsysedu.sim import Context, CutLink

from .references import reference


def _client(**kw):
    c = LabClient("c0", ["n0", "n1", "n2"], plan=(("echo", None, "a"), ("echo", None, "b")), **kw)
    return c, Context("c0", c.peers)


def test_a_client_sends_one_request_at_a_time_and_records_it():
    c, ctx = _client()
    c.on_timer(ctx, "next")
    assert ctx.take_effects() == [(3, "invoke", (1, "echo", None, "a")), (0, "n0", Echo(1, "a")),
                                  (1, ("timeout", 1), 1.0)]
    c.on_timer(ctx, "next")                         # still waiting: nothing new is sent
    assert ctx.take_effects() == []


def test_a_timeout_is_an_unknown_outcome_and_a_rotating_client_moves_on():
    c, ctx = _client(rotate=True)
    c.on_timer(ctx, "next")
    ctx.take_effects()
    c.on_timer(ctx, ("timeout", 1))
    assert (3, "complete", (1, "info", None)) in ctx.take_effects()
    assert c.target == "n1" and c.waiting is None and c.next == 1


def test_an_error_11_is_a_failure_and_a_late_reply_is_ignored():
    c, ctx = _client()
    c.on_timer(ctx, "next")
    ctx.take_effects()
    c.on_message(ctx, "n0", Error(1, TEMPORARILY_UNAVAILABLE))
    assert (3, "complete", (1, "fail", None)) in ctx.take_effects()
    c.on_message(ctx, "n0", Error(1, TEMPORARILY_UNAVAILABLE))
    assert ctx.take_effects() == []


def test_lab_nodes_know_the_servers_and_not_the_clients():
    assert LabNode("n2", ["c0", "n0", "r1", "n1"]).node_ids == ("n0", "n1", "n2")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 7))
def test_partitions_cut_only_links_between_servers_both_ways_one_at_a_time(seed, n):
    servers = [f"n{i}" for i in range(n)]
    faults = partition_faults(plan_rng(seed, "partitions"), servers, start=0.5, stop=3.0)
    assert faults and all(isinstance(f, CutLink) and f.src in servers and f.dst in servers for f in faults)
    cuts = {(f.src, f.dst, f.at, f.until) for f in faults}
    assert all((b, a, t0, t1) in cuts for a, b, t0, t1 in cuts)
    windows = sorted({(f.at, f.until) for f in faults})
    assert all(0.5 <= a < b <= 3.0 for a, b in windows)
    assert all(w1[1] <= w2[0] for w1, w2 in zip(windows, windows[1:]))


def _fingerprint(trace):
    return hashlib.sha256(repr(trace.rows).encode()).hexdigest()


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    cls, _ = reference("raft")
    a = lab_run("raft", "replicated key-value store under faults", cls, seed=3)
    b = lab_run("raft", "replicated key-value store under faults", cls, seed=3)
    c = lab_run("raft", "replicated key-value store under faults", cls, seed=4)
    assert _fingerprint(a) == _fingerprint(b) != _fingerprint(c)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10**6))
def test_the_reference_raft_is_safe_and_linearizable_under_random_fault_schedules(seed):
    cls, _ = reference("raft")
    report = grade_lab("raft", cls, seed=seed, parts=["replicated key-value store under faults", "leader election"])
    assert report.failure is None, report.text()


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10**6))
def test_the_reference_broadcast_converges_under_random_partitions(seed):
    cls, _ = reference("broadcast")
    report = grade_lab("broadcast", cls, seed=seed, parts=["fault-tolerant broadcast"])
    assert report.failure is None, report.text()


def test_a_learner_exception_is_reported_with_its_line():
    class Divides(LabNode):
        def on_message(self, ctx, src, msg):
            return 1 // 0

    f = grade_lab("echo", Divides, parts=["echo"]).failure
    assert "ZeroDivisionError" in f.verdict.message and "1 // 0" in f.verdict.message and f.trace is None


def test_grade_lab_refuses_what_it_cannot_grade():
    with pytest.raises(ValueError, match="unknown lab"):
        grade_lab("paxos", LabNode)
    with pytest.raises(ValueError, match="has no part"):
        grade_lab("echo", LabNode, parts=["fast echo"])
    with pytest.raises(TypeError, match="node class itself"):
        grade_lab("echo", LabNode("n0"))
    with pytest.raises(ValueError, match="seed must be"):
        grade_lab("echo", LabNode, seed=-1)
    with pytest.raises(ValueError, match="no part"):
        lab_run("unique-ids", "unique ids, model-checked", LabNode)


def test_a_workload_without_loss_adds_no_link_overrides():
    sc = lab_scenario(LabNode, Workload(plan=lambda rng, i: ()), seed=0)
    assert not sc.links and sc.node_ids == ("c0", "c1", "c2", "n0", "n1", "n2")


def test_a_message_storm_is_cut_by_the_bound_and_said_so():
    class Storm(LabNode):
        def on_start(self, ctx):
            ctx.set_timer("again", 0.0)

        def on_timer(self, ctx, name):
            for n in self.node_ids:
                if n != self.id:
                    ctx.send(n, ("noise",))
            ctx.set_timer("again", 0.0)

    f = grade_lab("echo", Storm, parts=["echo on three servers"]).failure
    assert f.verdict.property == "runs within its bounds" and "cut at" in f.verdict.message
    assert f.trace is not None and f.trace.truncated


def test_a_model_checked_part_names_the_field_the_node_lacks():
    f = grade_lab("raft", LabNode, parts=["leader election, model-checked"]).failure
    assert f.seed is None and "has no field 'role'" in f.verdict.message and "reads your node's fields" in \
        f.verdict.message
