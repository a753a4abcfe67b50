"""Leases and fencing: handlers, the paused-leader story, 500 random fault schedules, the bully election."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.protocols.coordination import bully, leases
from dsysedu.protocols.coordination.leases import (AskLease, LeaseClient, LeaseDenied, LeaseGranted, LeaseServer,
                                                    Storage, UnfencedStorage, Write, WriteAck, fenced_writes,
                                                    lease_run_summary, lease_scenario, paused_leader_scenario,
                                                    stale_writes)
from dsysedu.sim import run
from dsysedu.sim.faults import Crash, Nemesis, Partition
from dsysedu.sim.node import Context, OBSERVE, SEND


def ctx_at(node, now, peers=("lock", "storage", "c1", "c2")):
    c = Context(node, [p for p in peers if p != node])
    c.now = now
    return c


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def test_server_grants_a_new_token_only_to_a_new_holder():
    s = LeaseServer("lock", duration=1.0)
    c = ctx_at("lock", 0.0)
    s.on_message(c, "c1", AskLease())
    assert sends(c) == [("c1", LeaseGranted(1, 1.0))]
    c = ctx_at("lock", 0.5)
    s.on_message(c, "c2", AskLease())                 # c1's lease runs until 1.0
    assert sends(c) == [("c2", LeaseDenied())]
    c = ctx_at("lock", 0.6)
    s.on_message(c, "c1", AskLease())                 # renewal keeps the token
    assert sends(c) == [("c1", LeaseGranted(1, 1.0))] and s.expires == 1.6
    c = ctx_at("lock", 1.6)
    s.on_message(c, "c2", AskLease())                 # expired: the next token
    assert sends(c) == [("c2", LeaseGranted(2, 1.0))]


def test_client_counts_the_lease_from_its_ask_on_its_own_clock():
    cl = LeaseClient("c1")
    c = ctx_at("c1", 0.0)
    cl.on_start(c)
    c = ctx_at("c1", 0.3)
    cl.on_message(c, "lock", LeaseGranted(7, 1.0))
    assert cl.valid_until == 0.0 + 1.0 and cl.leader and (OBSERVE, "token", 7) in c.effects


def test_fencing_storage_refuses_an_older_token():
    s = Storage("storage")
    for token, ok in ((33, True), (34, True), (33, False), (34, True)):
        c = ctx_at("storage", 1.0)
        s.on_message(c, "c1", Write(token, 1))
        assert sends(c) == [("c1", WriteAck(token, 1, ok))]
    u = UnfencedStorage("storage")
    for token in (34, 33):
        c = ctx_at("storage", 1.0)
        u.on_message(c, "c1", Write(token, 1))
        assert sends(c)[0][1].accepted


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 6), max_size=30))
def test_fencing_storage_accepts_tokens_in_order(tokens):
    s = Storage("storage")
    accepted = []
    for t in tokens:
        c = ctx_at("storage", 0.0)
        s.on_message(c, "c1", Write(t, 0))
        if sends(c)[0][1].accepted:
            accepted.append(t)
    assert accepted == sorted(accepted)
    assert accepted == [t for i, t in enumerate(tokens) if t >= max(tokens[:i], default=0)]


def test_the_paused_leader_writes_late_and_fencing_refuses_it():
    fenced, unfenced = run(paused_leader_scenario(True), seed=7), run(paused_leader_scenario(False), seed=7)
    assert fenced_writes(fenced) and not fenced_writes(unfenced)
    assert lease_run_summary(fenced)["refused"] == 1 and stale_writes(unfenced) == 1
    granted = fenced.observations("granted")["value"].tolist()
    assert granted == [(1, "c1"), (2, "c2")]
    refused = fenced.observations("refused")
    assert refused["value"].iloc[0][:2] == (1, "c1") and refused["time"].iloc[0] > 3.6
    assert leases.leader_overlap(fenced) > 0.9                 # c1 believed it led during its whole pause


def random_lease_case(seed):
    r = random.Random(seed)
    return dict(clients=r.choice((2, 3)), drift=-round(r.uniform(0, 0.45), 3), pause=round(r.uniform(0, 2.0), 3),
                loss=round(r.uniform(0, 0.2), 3), until=6.0, seed=seed)


def test_500_random_schedules_fencing_never_lets_a_stale_write_in():
    stale_unfenced = 0
    for seed in range(500):
        case = random_lease_case(seed)
        t = run(lease_scenario(fencing=True, **case), seed=seed)
        v = fenced_writes(t)
        assert v, (case, v)
        stale_unfenced += stale_writes(run(lease_scenario(fencing=False, **case), seed=seed))
    assert stale_unfenced > 0


def test_no_faults_no_overlap():
    t = run(lease_scenario(3), seed=1)
    s = lease_run_summary(t)
    assert s["grants"] == 1 and s["stale"] == 0 and s["overlap_s"] == 0 and s["accepted"] > 50


def test_sweep_shape():
    df = leases.lease_sweep(drifts=(0.0, -0.4), pauses=(0.25, 2.0), seeds=range(10))
    assert (df[df.fencing].stale == 0).all()
    m = df[~df.fencing].groupby(["fault", "x"]).stale.sum()
    assert m[("drift", 0.0)] == 0 and m[("drift", 0.4)] > 0 and m[("pause", 0.25)] == 0 and m[("pause", 2.0)] > 0


@pytest.mark.parametrize("kwargs, error", [
    (dict(clients=0), ValueError), (dict(fencing="yes"), TypeError), (dict(drift=-0.2, drifting="x"), ValueError),
    (dict(drift=0.9), ValueError), (dict(pause=-1.0), ValueError), (dict(loss=1.5), ValueError)])
def test_bad_parameters(kwargs, error):
    with pytest.raises(error):
        lease_scenario(**kwargs)


def test_bad_client_parameters():
    with pytest.raises(ValueError, match="renew_at"):
        LeaseClient("c1", renew_at=1.0)
    with pytest.raises(ValueError, match="duration"):
        LeaseServer("lock", duration=0.0)


# -- the bully algorithm -------------------------------------------------------

def test_bully_highest_leads_then_the_next_then_the_highest_again():
    t = run(bully.bully_scenario(5, faults=(Crash(4, 1.0, 3.0),), until=5.0), seed=7)
    assert set(bully.leaders_at(t, 0.9).values()) == {4}
    assert set(bully.leaders_at(t, 2.5).values()) == {3} and 4 not in bully.leaders_at(t, 2.5)
    assert bully.agreed_on_highest(t, 4.5)


def test_bully_partition_elects_two_leaders():
    t = run(bully.bully_scenario(5, faults=(Partition([[0, 1, 2], [3, 4]], 1.0, 3.0),), until=5.0), seed=7)
    assert bully.leaders_at(t, 2.5) == {0: 2, 1: 2, 2: 2, 3: 4, 4: 4}
    assert not bully.agreed_on_highest(t, 2.5) and bully.agreed_on_highest(t, 4.5)


def test_bully_500_random_crash_schedules_agree_after_the_faults():
    for seed in range(500):
        t = run(bully.bully_scenario(5, nemesis=Nemesis(crash_rate=0.2, stop=5.0), until=7.0), seed=seed)
        assert bully.agreed_on_highest(t, 7.0), seed


def test_bully_bad_parameters():
    with pytest.raises(ValueError):
        bully.bully_scenario(0)
    with pytest.raises(ValueError, match="timeout"):
        bully.BullyNode(0, timeout=0.05, heartbeat=0.1)
