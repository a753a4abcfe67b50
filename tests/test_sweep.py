"""dsysedu.sweep: the grid, the errors it names, and the same frame on every executor.

The executors compared: serial, a thread pool (cheap, for the hypothesis properties), a process
pool of two workers and a Dask LocalCluster of two worker processes on 127.0.0.1. Summaries
and builders here are library functions or partials of them, so a process pool can pickle them.
"""
from __future__ import annotations

import concurrent.futures as cf
import functools
import os

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import dsysedu
from dsysedu.protocols.basics.toys import Flood
from dsysedu.protocols.consensus.raft import RaftNoUpToDateCheck, chaos_scenario
from dsysedu.protocols.consensus.raft.experiments import chaos_experiment, chaos_verdicts
from dsysedu.sim import Scenario, run
from dsysedu.sweep import grid_points, sweep

SENDS = None   # the default summary: each Trace's summary(), picklable by any executor


def flood_grid(executor=None, **kw):
    return sweep(Scenario(Flood, nodes=4, until=1.0), SENDS, seeds=range(4),
                 params={"nodes": [3, 6], "until": [0.5, 1.0]}, executor=executor, progress=False, **kw)


def test_the_package_exports_the_function():
    assert dsysedu.sweep is sweep and "sweep" in dsysedu.__all__


def test_grid_order_columns_and_values_match_a_plain_loop():
    df = flood_grid()
    assert list(df.columns[:3]) == ["nodes", "until", "seed"]
    assert len(df) == 2 * 2 * 4
    assert list(df.seed[:4]) == [0, 1, 2, 3] and list(df.nodes[:8]) == [3] * 8
    sc = Scenario(Flood, nodes=6, until=0.5)
    for seed in range(4):
        want = run(sc, seed=seed).summary()
        got = df[(df.nodes == 6) & (df.until == 0.5) & (df.seed == seed)].iloc[0]
        assert got["send"] == want["send"] and got["events"] == want["events"]


def test_summaries_give_one_row_several_rows_or_one_named_column():
    build = functools.partial(chaos_scenario, 3, until=1.0, stop=0.5)

    def events(trace):
        return len(trace.rows)

    assert list(sweep(build, events, seeds=[0, 1], progress=False).columns) == ["seed", "events"]
    assert list(sweep(build, lambda t: 1, seeds=[0], progress=False).columns) == ["seed", "value"]
    two = sweep(build, lambda t: [{"k": 1}, {"k": 2}], seeds=[0, 1], progress=False)
    assert list(two.k) == [1, 2, 1, 2] and list(two.seed) == [0, 0, 1, 1]
    frame = sweep(build, lambda t: pd.DataFrame({"k": [5]}), seeds=[3], progress=False)
    assert frame.to_dict("records") == [{"seed": 3, "k": 5}]


def test_a_callable_may_return_a_finished_result_instead_of_a_scenario():
    df = sweep(lambda seed, n: list(range(n + seed)), len, seeds=[0, 2], params={"n": [1, 3]}, progress=False)
    assert df.to_dict("records") == [{"n": 1, "seed": 0, "len": 1}, {"n": 1, "seed": 2, "len": 3},
                                     {"n": 3, "seed": 0, "len": 3}, {"n": 3, "seed": 2, "len": 5}]


def test_explicit_points_are_kept_in_their_order():
    assert grid_points([{"a": 2}, {"a": 1}]) == [{"a": 2}, {"a": 1}]
    assert grid_points(None) == [{}]


@pytest.mark.parametrize("seeds, error, words", [
    (10, TypeError, "range(100)"), ("012", TypeError, "iterable of ints"), ([], ValueError, "empty"),
    ([1, 1], ValueError, "repeat"), ([-1], ValueError, "non-negative"), ([True], ValueError, "ints"),
    ([0.5], ValueError, "ints")])
def test_bad_seeds_are_named(seeds, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        flood_sweep = functools.partial(sweep, Scenario(Flood, nodes=3), progress=False)
        flood_sweep(seeds=seeds)


@pytest.mark.parametrize("params, error, words", [
    ({"nodes": 3}, TypeError, "list of values"), ({"nodes": "abc"}, TypeError, "wrap a single value"),
    ({"nodes": []}, ValueError, "empty"), ({"seed": [1]}, ValueError, "seeds="),
    ({"not a name": [1]}, ValueError, "identifiers"), ([], ValueError, "empty list"),
    ([{"nodes": 3}, {"until": 1.0}], ValueError, "same names"), ([3], TypeError, "hold dicts"),
    ("nodes", TypeError, "must be None"), ({"colour": [1]}, TypeError, "no field"),
    ({"nodes": [-2]}, ValueError, "nodes")])
def test_bad_grids_are_named(params, error, words):
    with pytest.raises(error, match=words):
        sweep(Scenario(Flood, nodes=3), seeds=[0], params=params, progress=False)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="Scenario or a callable"):
        sweep(42, seeds=[0])
    with pytest.raises(TypeError, match="cannot be called as"):
        sweep(lambda seed: None, seeds=[0], params={"n": [1]})
    with pytest.raises(TypeError, match="summary must be a callable"):
        sweep(Scenario(Flood, nodes=3), "events", seeds=[0])
    with pytest.raises(ValueError, match="chunksize"):
        sweep(Scenario(Flood, nodes=3), seeds=[0], chunksize=0)
    with pytest.raises(TypeError, match="executor must be"):
        sweep(Scenario(Flood, nodes=3), seeds=[0], executor="dask", progress=False)
    with pytest.raises(ValueError, match="repeat the grid"):
        sweep(Scenario(Flood, nodes=3), lambda t: {"seed": 1}, seeds=[0], progress=False)


def test_a_failing_run_names_its_seed_and_point():
    def boom(seed, n):
        if seed == 2:
            raise ZeroDivisionError("no")
        return n

    with pytest.raises(ZeroDivisionError) as info:
        sweep(boom, seeds=range(4), params={"n": [7]}, progress=False)
    assert "seed=2, n=7" in "".join(info.value.__notes__)


def test_a_process_pool_refuses_lambdas_with_a_clear_error():
    with cf.ProcessPoolExecutor(max_workers=1) as pool:
        with pytest.raises(TypeError, match="picklable"):
            sweep(Scenario(Flood, nodes=3), lambda t: 1, seeds=[0], executor=pool, progress=False)


def test_memory_is_measured_per_run():
    df = flood_grid(memory=True)
    assert (df.peak_mib > 0).all()
    big = sweep(Scenario(Flood, nodes=40, until=1.0), SENDS, seeds=[0], memory=True, progress=False)
    assert big.peak_mib[0] > df.peak_mib.min()


@settings(max_examples=15, deadline=None)
@given(chunksize=st.one_of(st.none(), st.integers(1, 20)), workers=st.integers(1, 3),
       seeds=st.lists(st.integers(0, 50), min_size=1, max_size=8, unique=True))
def test_chunking_and_workers_do_not_change_the_frame(chunksize, workers, seeds):
    build = functools.partial(chaos_scenario, 3, until=0.6, stop=0.3)
    serial = sweep(build, chaos_verdicts, seeds=seeds, progress=False)
    with cf.ThreadPoolExecutor(max_workers=workers) as pool:
        threaded = sweep(build, chaos_verdicts, seeds=seeds, executor=pool, chunksize=chunksize, progress=False)
    pd.testing.assert_frame_equal(serial, threaded)


def test_a_progress_bar_does_not_change_the_frame(capsys):
    pd.testing.assert_frame_equal(flood_grid(), sweep(Scenario(Flood, nodes=4, until=1.0), SENDS, seeds=range(4),
                                                      params={"nodes": [3, 6], "until": [0.5, 1.0]}, progress=True))


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster, timeout="60s")
    try:
        yield client
    finally:
        client.close(timeout=30)
        cluster.close(timeout=30)


def test_serial_process_pool_and_dask_give_the_same_frames(dask_client):
    serial = chaos_experiment(seeds=range(16), protocol=RaftNoUpToDateCheck)
    assert 0 < (~serial.safe).sum() < 16        # the grid is not trivial: some seeds catch the bug
    grid = flood_grid()
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = chaos_experiment(seeds=range(16), protocol=RaftNoUpToDateCheck, executor=pool, chunksize=3)
        pooled_grid = flood_grid(pool)
    on_dask = chaos_experiment(seeds=range(16), protocol=RaftNoUpToDateCheck, executor=dask_client)
    dask_grid = flood_grid(dask_client)
    for frame in (pooled, on_dask):
        pd.testing.assert_frame_equal(serial, frame)
    for frame in (pooled_grid, dask_grid):
        pd.testing.assert_frame_equal(grid, frame)


def test_dask_runs_happen_in_the_worker_processes(dask_client):
    pids = sweep(_pid_of, None, seeds=range(8), executor=dask_client, chunksize=1, progress=False)
    workers = set(dask_client.run(os.getpid).values())
    assert set(pids.pid) <= workers and os.getpid() not in set(pids.pid)


def _pid_of(seed):
    return {"pid": os.getpid()}


@pytest.mark.parametrize("name", ["dsysedu.sweep", "dsysedu.protocols.consensus.raft.experiments.chaos",
                                  "dsysedu.protocols.membership.gossip.scale"])
def test_doctests(name):
    import doctest
    import importlib
    import sys
    importlib.import_module(name)
    assert doctest.testmod(sys.modules[name]).failed == 0


def test_gossip_rounds_experiment_is_the_chapters_loop():
    from dsysedu.protocols.membership import gossip
    sizes = (10, 300)
    loop = [{"mode": mode, "N": n, "seed": seed,
             "rounds": gossip.rounds_to_full_spread(gossip.simulate_rounds(n, mode, seed=seed))}
            for mode in ("push", "push-pull") for n in sizes for seed in range(3)]
    pd.testing.assert_frame_equal(gossip.rounds_experiment(sizes, seeds=range(3)), pd.DataFrame(loop))
    with pytest.raises(ValueError):
        gossip.rounds_experiment([100], modes=["shout"])


def test_the_chaos_experiment_catches_the_broken_vote_rule_and_passes_raft():
    assert chaos_experiment(seeds=range(10)).safe.all()
    assert not chaos_experiment(seeds=range(10), protocol=RaftNoUpToDateCheck).safe.all()
