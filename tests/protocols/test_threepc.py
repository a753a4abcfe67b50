"""Three-phase commit: atomic and non-blocking under a coordinator crash (model checker and random runs),
blocking but safe under Skeen's partition, and the locally terminating variant caught."""
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
