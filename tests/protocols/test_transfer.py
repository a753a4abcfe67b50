"""The transfer, ACID and BASE: the money invariant, availability, and the isolation checker."""
import random

import pytest

from dsysedu.check.isolation import check_isolation
from dsysedu.protocols.transactions.transfer import (AcidShard, BaseShard, conserved, money_over_time,
                                                     transfer_history, transfer_scenario, transfer_stats,
                                                     violation_window)
from dsysedu.protocols.transactions.transfer import Credit, Credited, Debit, Prep, PrepVote
from dsysedu.sim import Context, run
from dsysedu.sim.faults import Crash, Partition

FAULTS = [Partition([["t", "u", "A"], ["B"]], at=2.0, until=3.0), Crash("B", at=4.0, until=4.5)]


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == 0]


def test_acid_shard_votes_no_when_locked():
    s = AcidShard("A", ("t", "u", "B"))
    ctx = Context("A", ("t", "u", "B"))
    s.on_message(ctx, "t", Prep(1, -10))
    s.on_message(ctx, "u", Prep(2, 0))
    assert [m.yes for _, m in sends(ctx)] == [True, False] and s.balance == 500


def test_base_shard_applies_a_retried_credit_once():
    s = BaseShard("B", ("t", "u", "A"))
    ctx = Context("B", ("t", "u", "A"))
    s.on_message(ctx, "A", Credit(1, 10))
    s.on_message(ctx, "A", Credit(1, 10))
    assert s.balance == 510 and sends(ctx) == [("A", Credited(1, False))] * 2


def test_base_shard_compensates_a_refused_credit():
    s = BaseShard("A", ("t", "u", "B"))
    ctx = Context("A", ("t", "u", "B"))
    s.on_message(ctx, "t", Debit(7, 10))
    s.on_message(ctx, "B", Credited(7, True))
    assert s.balance == 500 and s.pending == () and s.versions == (7, -7)


def test_same_schedule_acid_versus_base():
    acid = run(transfer_scenario("acid", faults=FAULTS), seed=7)
    base = run(transfer_scenario("base", faults=FAULTS), seed=7)
    assert conserved(acid, 1000) and not conserved(base, 1000)
    assert 1.0 < violation_window(base, 1000) < 2.5              # the partition, the crash, and the normal delays
    assert money_over_time(base)["total"].iloc[-1] == 1000        # eventually
    a, b = transfer_stats(acid), transfer_stats(base)
    assert b["answered"] == 1.0 and a["answered"] < 0.8
    assert check_isolation(transfer_history(acid)).ok
    v = check_isolation(transfer_history(base))
    assert sorted(v.anomalies) == ["G-single"]


def test_refusals_are_compensated():
    base = run(transfer_scenario("base", refuse_every=7), seed=7)
    assert money_over_time(base)["total"].iloc[-1] == 1000
    assert any(t.id < 0 for t in transfer_history(base))         # the compensations, recorded


def test_random_schedules_acid_is_always_consistent():
    bad = 0
    for seed in range(500):
        rnd = random.Random(seed)
        faults = []
        if rnd.random() < 0.7:
            a = rnd.uniform(0, 1)
            side = rnd.choice([["B"], ["A"], ["t"]])
            rest = [n for n in ("t", "u", "A", "B") if n not in side]
            faults.append(Partition([rest, side], at=a, until=a + rnd.uniform(0.05, 0.5)))
        if rnd.random() < 0.5:
            faults.append(Crash(rnd.choice(["A", "B"]), at=rnd.uniform(0, 1), until=rnd.uniform(1.0, 1.4)))
        tr = run(transfer_scenario("acid", until=2.0, faults=faults), seed=seed)
        bad += not (conserved(tr, 1000) and check_isolation(transfer_history(tr)).ok)
    assert bad == 0


def test_bad_input():
    with pytest.raises(ValueError, match="style"):
        transfer_scenario("eventual")
    with pytest.raises(ValueError, match="amount"):
        transfer_scenario(amount=0)


from hypothesis import given, settings, strategies as st  # noqa: E402

from dsysedu.sim.network import LinkModel  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["A", "B", "t"]), st.floats(0.0, 1.0), st.floats(0.05, 0.8), st.sampled_from([0, 3, 7]),
       st.sampled_from([0.0, 0.1]), st.integers(0, 10_000))
def test_base_converges_and_acid_never_shows_a_wrong_total(cut, at, length, refuse, loss, seed):
    faults = [Partition([[n for n in ("t", "u", "A", "B") if n != cut], [cut]], at=at, until=at + length)]
    kw = dict(until=3.0, stop=1.5, refuse_every=refuse, link=LinkModel(loss=loss), faults=faults)
    acid = run(transfer_scenario("acid", **kw), seed=seed)
    base = run(transfer_scenario("base", **kw), seed=seed)
    assert conserved(acid, 1000) and check_isolation(transfer_history(acid)).ok
    assert money_over_time(base)["total"].iloc[-1] == 1000       # every credit arrived or was paid back
