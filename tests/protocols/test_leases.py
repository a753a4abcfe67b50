"""Leases and fencing: handlers, the paused-leader story, 500 random fault schedules, the bully election, and the
model-checker model (state counts reproduced by an independent brute force)."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.protocols.coordination import bully, leases
from dsysedu.protocols.coordination.leases import (AskLease, LeaseClient, LeaseDenied, LeaseGranted, LeaseServer,
                                                    Storage, UnfencedStorage, Write, WriteAck, fenced_writes,
                                                    lease_run_summary, lease_scenario, paused_leader_scenario,
                                                    stale_writes)
from dsysedu.check.model_checker import check
from dsysedu.protocols.coordination.fencing_model import (ForgetfulLock, lease_model, no_older_token,
                                                        one_writer_per_token, two_believers)
from dsysedu.sim import run
from dsysedu.sim.faults import Crash, Nemesis, Partition
from reachable import reachable
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


# ------------------------------------------------------------------ the model-checker model

def brute_force_leases(clients, fencing=True, asks=2, forgetful=False):
    """The lease model written again as a bare transition system (no Node classes, no checker).

    State: (holder, token, highest, accepted writes, clients' (role, token, asks used), messages in
    flight as a sorted tuple, pending timers). Returns the set of reachable states."""
    cs = tuple(f"c{i}" for i in range(1, clients + 1))
    init = (None, 0, 0, (), tuple(("asking", None, 1) for _ in cs),
            tuple(sorted(((c, "lock", "ask", None) for c in cs), key=repr)), frozenset())

    def succ(s):
        holder, token, highest, acc, C, msgs, timers = s
        for node, name in sorted(timers, key=repr):
            t2 = timers - {(node, name)}
            if node == "lock":
                yield (None, token, highest, acc, C, msgs, t2)
                continue
            i = cs.index(node)
            role, tok, asked = C[i]
            new = ()
            if name == "retry" and role == "asking":
                C = C[:i] + ((role, tok, asked + 1),) + C[i + 1:]
                new = ((node, "lock", "ask", None),)
            elif name == "write" and role == "leader":
                C = C[:i] + (("done", tok, asked),) + C[i + 1:]
                new = ((node, "storage", "write", tok),)
            yield (holder, token, highest, acc, C, tuple(sorted(msgs + new, key=repr)), t2)
            C = s[4]
        for j, m in enumerate(msgs):
            if j and msgs[j - 1] == m:
                continue
            rest = msgs[:j] + msgs[j + 1:]
            src, dst, kind, pay = m
            h2, tk2, hi2, acc2, C2, new, t2 = holder, token, highest, acc, C, (), set(timers)
            if kind == "ask":
                if holder is None:
                    tk2 = 1 if forgetful else token + 1
                    h2 = src
                    new = (("lock", src, "granted", tk2),)
                    t2.add(("lock", "expire"))
                else:
                    new = (("lock", src, "denied", None),)
            elif kind == "write":
                if not (fencing and pay < highest):
                    hi2, acc2 = max(highest, pay), acc + ((pay, src),)
            else:
                i = cs.index(dst)
                role, tok, asked = C[i]
                if kind == "granted" and role == "asking":
                    C2 = C[:i] + (("leader", pay, asked),) + C[i + 1:]
                    t2.add((dst, "write"))
                elif kind == "denied" and role == "asking":
                    if asked < asks:
                        t2.add((dst, "retry"))
                    else:
                        C2 = C[:i] + (("done", tok, asked),) + C[i + 1:]
            yield (h2, tk2, hi2, acc2, C2, tuple(sorted(rest + new, key=repr)), frozenset(t2))

    return reachable(init, succ)


def _older_token_accepted(state):
    acc = state[3]
    return any(a[0] > b[0] for a, b in zip(acc, acc[1:]))


def _two_writers_one_token(state):
    acc = state[3]
    return len({t for t, _w in acc}) != len(set(acc))


@pytest.mark.parametrize("clients, fencing, pinned", [(2, True, 233), (2, False, 233), (3, True, 6_961),
                                                       (3, False, 7_057)])
def test_lease_model_counts_match_an_independent_brute_force(clients, fencing, pinned):
    states = brute_force_leases(clients, fencing)
    r = check(lease_model(clients, fencing=fencing), one_writer_per_token)
    assert r.verdict == "ok" and r.states == len(states) == pinned
    assert any(map(_older_token_accepted, states)) is not fencing


def test_without_fencing_an_older_token_is_accepted_shortest():
    r = check(lease_model(2, fencing=False), no_older_token)
    assert r.verdict == "violation" and len(r.path) == 9
    assert [a.kind for a in r.path][:3] == ["deliver", "deliver", "timer"]    # granted, then expired unseen
    assert r.model.view(r.states_on_path[-1])["storage"].accepted == ((2, "c2"), (1, "c1"))
    assert not any(map(_older_token_accepted, brute_force_leases(2, fencing=True)))


def test_with_fencing_both_properties_hold_and_two_leaders_still_happen():
    for clients in (2, 3):
        m = lease_model(clients)
        assert check(m, no_older_token).verdict == check(m, one_writer_per_token).verdict == "ok"
    w = check(lease_model(2), two_believers)
    assert w.ok and len(w.path) == 5        # fencing does not stop two clients believing they lead


def test_a_lock_that_forgets_its_tokens_defeats_fencing():
    r = check(lease_model(2, lock=ForgetfulLock), one_writer_per_token)
    assert r.verdict == "violation" and len(r.path) == 9
    assert any(map(_two_writers_one_token, brute_force_leases(2, forgetful=True)))
    assert not any(map(_two_writers_one_token, brute_force_leases(3)))


def test_lease_model_bad_input():
    with pytest.raises(ValueError, match="clients"):
        lease_model(0)
    with pytest.raises(ValueError, match="asks"):
        lease_model(2, asks=0)
    with pytest.raises(TypeError, match="fencing"):
        lease_model(2, fencing="yes")


def test_lease_model_docstring_examples():
    import doctest
    from dsysedu.protocols.coordination import fencing_model as module
    assert doctest.testmod(module).failed == 0
