"""Three-phase commit: atomic and non-blocking under a coordinator crash (model checker, with its state counts
reproduced by an independent brute force, and random runs), blocking but safe under Skeen's partition, and the
locally terminating variant caught."""
import random

import pytest

from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions.threepc import (CanCommit, DoCommit, LocalTermination, PreCommit, StateRep,
                                                    StateReq, ThreePCParticipant, final_phases, skeen_partition,
                                                    three_atomic, three_atomicity, three_decides, threepc_model,
                                                    threepc_scenario)
from dsysedu.protocols.transactions.twopc_sim import sim_all_decided, twopc_sim_model
from dsysedu.sim import Context, run
from dsysedu.sim.faults import Crash
from reachable import reachable


def brute_force_3pc(n=2, crashes=0, local=False):
    """Three-phase commit written again as a bare transition system (no Node classes, no checker), as the
    model explores it: every message in flight may arrive next, every pending timer may fire, and (within
    the budget) any node may crash: a crashed participant keeps its phase and ``deposed`` flag (on disk),
    the coordinator keeps nothing, their timers are gone, messages to them are lost on arrival.

    State: (coordinator, participants, messages in flight as a sorted tuple, pending timers, crashes
    left); a node is ``("down", durable...)`` once crashed. Returns the set of reachable states."""
    ps = tuple(f"p{i}" for i in range(1, n + 1))
    c0 = (frozenset(), frozenset(), "wait")
    init = (c0, tuple(("W", False, None) for _ in ps),
            tuple(sorted((("c", p, "cancommit", None) for p in ps), key=repr)),
            frozenset([("c", "vote_timeout"), *((p, "silence") for p in ps)]), crashes)

    def coordinator(c, src, kind, pay, out, timers):
        yes, acks, stage = c
        if kind == "timer" or (kind == "vote" and stage == "wait" and not pay):
            if stage == "wait":
                out += [("c", p, "abort", None) for p in ps]
                return (yes, acks, "abort")
            return c
        if kind == "vote" and stage == "wait":
            yes = yes | {src}
            if len(yes) == n:
                timers.discard(("c", "vote_timeout"))
                out += [("c", p, "precommit", None) for p in ps]
                return (yes, acks, "precommit")
            return (yes, acks, stage)
        if kind == "ack" and stage == "precommit":
            acks = acks | {src}
            if len(acks) == n:
                out += [("c", p, "docommit", None) for p in ps]
                return (yes, acks, "commit")
            return (yes, acks, stage)
        return c

    def participant(me, st, src, kind, pay, out):
        phase, deposed, states = st
        if kind == "timer":
            if phase in ("C", "A"):
                return st
            if local:
                return ("C" if phase == "PC" else "A", deposed, states)
            if me == "p1" and states is None:
                out += [(me, p, "statereq", None) for p in ps if p != me]
                return (phase, True, (("p1", phase),))
            if me != "p1" and phase == "W":
                return ("A", deposed, states)
            return st
        if src == "c" and deposed:
            return st
        if kind == "cancommit" and phase == "W":
            out.append((me, src, "vote", True))
            return ("U", deposed, states)
        if kind == "cancommit" and phase == "A":
            out.append((me, src, "vote", False))
        elif kind == "precommit" and phase == "U":
            out.append((me, src, "ack", None))
            return ("PC", deposed, states)
        elif kind == "docommit" and phase != "A":
            return ("C", deposed, states)
        elif kind == "abort" and phase != "C":
            return ("A", deposed, states)
        elif kind == "statereq":
            out.append((me, src, "staterep", phase))
            return (phase, True, states)
        elif kind == "staterep" and states is not None:
            states = states + ((src, pay),)
            if len(states) == n:
                seen = {x for _q, x in states}
                commit = bool(seen & {"C", "PC"}) and "A" not in seen
                out += [(me, p, "docommit" if commit else "abort", None) for p in ps if p != me]
                return ("C" if commit else "A", deposed, states)
            return (phase, deposed, states)
        return st

    def succ(s):
        c, P, msgs, timers, left = s
        for node, name in sorted(timers):
            out, t2 = [], set(timers) - {(node, name)}
            if node == "c":
                c2, P2 = coordinator(c, None, "timer", None, out, t2), P
            else:
                i = ps.index(node)
                P2 = P[:i] + (participant(node, P[i], None, "timer", None, out),) + P[i + 1:]
                c2 = c
            yield (c2, P2, tuple(sorted(msgs + tuple(out), key=repr)), frozenset(t2), left)
        for j, m in enumerate(msgs):
            if j and msgs[j - 1] == m:
                continue
            rest = msgs[:j] + msgs[j + 1:]
            src, dst, kind, pay = m
            out, t2 = [], set(timers)
            c2, P2 = c, P
            if dst == "c":
                if c[0] != "down":
                    c2 = coordinator(c, src, kind, pay, out, t2)
            else:
                i = ps.index(dst)
                if P[i][0] != "down":
                    P2 = P[:i] + (participant(dst, P[i], src, kind, pay, out),) + P[i + 1:]
            yield (c2, P2, tuple(sorted(rest + tuple(out), key=repr)), frozenset(t2), left)
        if left:
            if c[0] != "down":
                yield (("down",), P, msgs, frozenset(t for t in timers if t[0] != "c"), left - 1)
            for i, p in enumerate(ps):
                if P[i][0] != "down":
                    P2 = P[:i] + (("down", P[i][0], P[i][1]),) + P[i + 1:]
                    yield (c, P2, msgs, frozenset(t for t in timers if t[0] != p), left - 1)

    return reachable(init, succ)


def bf_atomic(s):
    phases = {st[0] for st in s[1] if st[0] != "down"}
    return not {"C", "A"} <= phases


def test_state_counts_match_an_independent_brute_force():
    plain, crash = brute_force_3pc(2), brute_force_3pc(2, crashes=1)
    assert len(plain) == check(threepc_model(2), three_atomicity).states == 1877
    assert len(crash) == check(threepc_model(2, crashes=1), three_atomicity).states == 6788
    assert all(bf_atomic(s) for s in crash)
    three = brute_force_3pc(3)
    assert len(three) == check(threepc_model(3), three_atomicity).states == 186_373
    assert not all(bf_atomic(s) for s in brute_force_3pc(2, local=True))    # LocalTermination, caught here too


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == 0]


def test_backup_takes_over_and_commits_on_a_precommit():
    b = ThreePCParticipant("p1", ("c", "p2"))
    b.phase = "uncertain"
    ctx = Context("p1", ("c", "p2"))
    b.on_timer(ctx, "silence")
    assert b.deposed and sends(ctx) == [("p2", StateReq())]
    b.on_message(ctx, "p2", StateRep("precommitted"))
    assert b.phase == "committed" and sends(ctx)[-1] == ("p2", DoCommit())


def test_deposed_participant_ignores_the_coordinator():
    p = ThreePCParticipant("p2", ("c", "p1"))
    ctx = Context("p2", ("c", "p1"))
    p.on_message(ctx, "c", CanCommit())
    p.on_message(ctx, "p1", StateReq())
    p.on_message(ctx, "c", PreCommit())
    assert p.phase == "uncertain" and p.deposed


def test_model_counts_and_properties():
    m = threepc_model(2)
    assert [check(m, p).verdict for p in (three_atomicity, three_decides)] == ["ok", "ok"]
    assert check(m, three_atomicity).states == 1877
    crash = threepc_model(2, crashes=1)
    a, d = check(crash, three_atomicity), check(crash, three_decides)
    assert a.verdict == d.verdict == "ok" and a.states == 6788
    # the contrast: two-phase commit blocks on the same budget
    assert check(twopc_sim_model(2, crashes=1), sim_all_decided).verdict == "violation"


def test_local_termination_is_caught_by_the_model_checker():
    r = check(threepc_model(2, LocalTermination), three_atomicity)
    assert r.verdict == "violation" and len(r.path) == 7
    assert [a.kind for a in r.path][-2:] == ["timer", "timer"]


def test_skeen_partition():
    t = skeen_partition(seed=7)
    assert list(t.loc["ThreePCParticipant", ["p1", "p2", "p3"]]) == ["precommitted", "uncertain", "uncertain"]
    assert t.loc["ThreePCParticipant", "atomic"] and not t.loc["ThreePCParticipant", "all decided"]
    assert list(t.loc["LocalTermination", ["p1", "p2", "p3"]]) == ["committed", "aborted", "aborted"]
    assert not t.loc["LocalTermination", "atomic"]


def test_random_coordinator_crashes_never_block_nor_break_atomicity():
    bad = 0
    for seed in range(500):
        rnd = random.Random(seed)
        faults = [Crash("c", at=rnd.uniform(0, 0.06))] if rnd.random() < 0.8 else []
        tr = run(threepc_scenario(rnd.randint(2, 4), faults=faults, until=4.0), seed=seed)
        final = set(final_phases(tr).values())
        bad += not three_atomic(tr) or not final <= {"committed", "aborted"}
    assert bad == 0


def test_bad_input():
    with pytest.raises(ValueError, match="participants"):
        threepc_scenario(1)
