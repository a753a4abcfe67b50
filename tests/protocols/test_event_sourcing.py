"""Event sourcing and CQRS: rebuilds equal the live state (hypothesis), the read model is a log prefix in every
state of the model, the broken variants are caught, read-your-writes under load."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.check.model_checker import check
from dsysedu.sim import run
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.node import Context
from dsysedu.systems.patterns import (ArrivalOrderReadModel, Deposit, EventStore, READER, ReadModel, Rename, STORE,
                                      VolatileEventStore, Withdraw, apply, applied_in_order, event_sourcing_model,
                                      event_sourcing_scenario, lag_sweep, log_durable, read_model_consistent,
                                      read_model_lag, read_model_matches_log, read_your_writes, rebuild, rebuild_from,
                                      run_with_nodes, state_at, decide)
from dsysedu.systems.patterns.event_sourcing import Command, Deposited, Published
from reachable import reachable

commands = st.one_of(
    st.builds(Deposit, st.sampled_from("ab"), st.integers(-5, 100)),
    st.builds(Withdraw, st.sampled_from("ab"), st.integers(-5, 150)),
    st.builds(Rename, st.sampled_from("ab"), st.sampled_from(("Ada", "Bob"))))


def feed(store, cmds, start=0.0):
    for i, c in enumerate(cmds):
        ctx = Context(STORE, [READER, "client"])
        ctx.now = start + i * 0.1
        store.on_message(ctx, "client", Command(i + 1, c))


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=60), st.integers(1, 7))
def test_rebuild_with_and_without_snapshots_equals_the_live_state(cmds, every):
    store = EventStore(STORE, [READER, "client"], snapshot_every=every)
    feed(store, cmds)
    assert rebuild(store.log) == store.current == rebuild_from(store.snapshots, store.log)
    assert [s for s, _t, _e in store.log] == list(range(1, len(store.log) + 1))
    assert all(seq % every == 0 and state == rebuild(store.log, seq) for seq, state in store.snapshots)
    assert all(b >= 0 for b, _name in dict(store.current).values())      # no overdraft was recorded
    # replay to any past time: the state after the events up to t
    for k, (seq, t, _e) in enumerate(store.log):
        assert state_at(store.log, t) == rebuild(store.log, seq)


@settings(max_examples=100, deadline=None)
@given(st.lists(commands, min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_read_model_buffers_events_that_arrive_early(cmds, rnd):
    store = EventStore(STORE, [READER, "client"])
    feed(store, cmds)
    published = [Published(seq, e) for seq, _t, e in store.log]
    rnd.shuffle(published)
    reader = ReadModel(READER, [STORE], apply_cost=0.0)
    for p in published:
        reader.on_message(Context(READER, [STORE]), STORE, p)
    assert reader.applied == len(store.log) and read_model_matches_log(store, reader)


def test_store_recovers_its_state_from_the_snapshots_and_log():
    store = EventStore(STORE, [READER, "client"], snapshot_every=2)
    feed(store, [Deposit("a", 10), Withdraw("a", 3), Rename("a", "Ada"), Withdraw("a", 50)])
    fresh = EventStore(STORE, [READER, "client"], snapshot_every=2)
    for f in EventStore.durable:
        setattr(fresh, f, getattr(store, f))
    fresh.on_recover(Context(STORE, [READER, "client"]))
    assert fresh.current == store.current == (("a", (7, "Ada")),) and len(store.log) == 3   # the overdraft refused


def test_apply_refuses_a_non_event():
    with pytest.raises(TypeError):
        apply((), Deposit("a", 1))


def brute_force_event_sourcing(script=(Deposit("a", 5), Rename("a", "Ada"), Withdraw("a", 3))):
    """The client, the store and an in-order read model written again as a bare transition system: the number
    of reachable states. State: (messages in flight, the log's events, the reader's applied count, its buffer,
    the client's highest acknowledged seq); the reader's view and the store's state are folds of the log."""
    init = (frozenset(("cmd", cid, c) for cid, c in enumerate(script, 1)), (), 0, frozenset(), 0)

    def succ(s):
        flight, log, applied, buffer, acked = s
        for m in flight:
            rest = flight - {m}
            if m[0] == "cmd":
                state = ()
                for e in log:
                    state = apply(state, e)
                event = decide(state, m[2])
                if event is None:
                    yield (rest | {("rej", m[1])}, log, applied, buffer, acked)
                else:
                    seq = len(log) + 1
                    yield (rest | {("acc", m[1], seq), ("pub", seq, event)}, log + (event,), applied, buffer, acked)
            elif m[0] == "acc":
                yield (rest, log, applied, buffer, max(acked, m[2]))
            elif m[0] == "rej":
                yield (rest, log, applied, buffer, acked)
            else:
                _, seq, event = m
                b, a = (buffer | {(seq, event)} if seq > applied else buffer), applied
                while any(q == a + 1 for q, _e in b):
                    b = frozenset(x for x in b if x[0] != a + 1)
                    a += 1
                yield (rest, log, a, b, acked)

    return len(reachable(init, succ))


def test_model_read_model_is_a_log_prefix_in_every_state():
    r = check(event_sourcing_model(), read_model_consistent)
    assert r.verdict == "ok" and r.states == 331 == brute_force_event_sourcing()
    for script in ((Deposit("a", 5), Deposit("b", 1)), (Withdraw("a", 1), Deposit("a", 2), Rename("b", "X"))):
        assert check(event_sourcing_model(script), read_model_consistent).states == brute_force_event_sourcing(script)
    bad = check(event_sourcing_model(reader=ArrivalOrderReadModel), read_model_consistent)
    assert bad.verdict == "violation" and bad.states == 19


def test_model_log_is_durable_and_the_volatile_store_is_caught():
    r = check(event_sourcing_model(crashes=1, recoveries=1), log_durable)
    assert r.verdict == "ok" and r.states == 3185
    bad = check(event_sourcing_model(store=VolatileEventStore, crashes=1, recoveries=1), log_durable)
    assert bad.verdict == "violation" and any("crash" in str(a) for a in bad.path)


def test_reordering_network_in_order_reader_holds_arrival_order_reader_is_caught():
    for seed in range(20):
        good = run(event_sourcing_scenario(reorder=True, until=3.0), seed=seed)
        assert applied_in_order(good), seed
    caught = sum(not applied_in_order(run(event_sourcing_scenario(reader=ArrivalOrderReadModel, reorder=True,
                                                                  until=3.0), seed=seed)) for seed in range(20))
    assert caught == 20


def test_final_read_model_equals_the_log_after_a_run():
    for reorder in (False, True):
        sim = Simulation(event_sourcing_scenario(reorder=reorder, until=3.0), seed=3)
        sim.run()
        store, reader = sim.nodes[STORE], sim.nodes[READER]
        assert len(store.log) - 5 <= reader.applied <= len(store.log) and read_model_matches_log(store, reader)


def test_read_your_writes_fails_under_load_and_holds_when_queries_wait():
    loaded = run(event_sourcing_scenario(every=0.006, until=3.0), seed=7)
    assert not read_your_writes(loaded)
    assert read_your_writes(run(event_sourcing_scenario(every=0.006, until=3.0, wait_for_own_writes=True), seed=7))
    assert read_model_lag(loaded).max() > 0.03


def test_lag_grows_with_load():
    df = lag_sweep(rates=(20, 100, 180), seeds=range(3), until=3.0).groupby("commands_per_s").mean()
    assert df.mean_lag.is_monotonic_increasing and df.missed.is_monotonic_increasing
    assert df.missed.iloc[-1] > 0.5


def test_bad_parameters():
    with pytest.raises(ValueError):
        EventStore(STORE, snapshot_every=0)
    with pytest.raises(TypeError):
        event_sourcing_scenario(wait_for_own_writes="yes")
    with pytest.raises(ValueError):
        ReadModel(READER, apply_cost=-1.0)


def test_500_random_runs_the_in_order_read_model_is_always_a_log_prefix():
    for seed in range(500):
        r = random.Random(seed)
        sc = event_sourcing_scenario(every=r.choice((0.01, 0.02, 0.05)), apply_cost=r.choice((0.0, 0.002, 0.005)),
                                     snapshot_every=r.randint(1, 10), reorder=True, until=0.6)
        trace, nodes = run_with_nodes(sc, seed=seed)
        assert applied_in_order(trace), seed
        assert read_model_matches_log(nodes[STORE], nodes[READER]), seed
        assert rebuild(nodes[STORE].log) == nodes[STORE].current == rebuild_from(nodes[STORE].snapshots,
                                                                                 nodes[STORE].log), seed
