"""The tables of chapter 3.1b: each one runs, has the right shape, and refuses what it cannot do."""
from __future__ import annotations

import doctest

import pytest

import dsysedu.protocols.consensus.raft.experiments.practice as practice_module
from dsysedu.protocols.consensus.raft import experiments as rx
from dsysedu.protocols.consensus.raft.snapshots import snapshot_scenario
from dsysedu.protocols.consensus.raft.variants import RaftNoUpToDateCheck
from dsysedu.sim import run


def test_doctests():
    assert doctest.testmod(practice_module).failed == 0


def test_kv_verdicts_counts_violations_per_configuration():
    table = rx.kv_verdicts({"log": {}, "broken": {"protocol": RaftNoUpToDateCheck}}, seeds=range(12))
    assert list(table.configuration) == ["log", "broken"] and (table.runs == 12).all()
    assert table.violations.iloc[0] == 0 and table.violations.iloc[1] > 0
    assert table.first_violating_seed.iloc[1] in range(12)
    with pytest.raises(ValueError):
        rx.kv_verdicts({"log": {}}, seeds=[])


def test_stale_read_table_and_example_agree():
    table = rx.stale_read_table({"jump": {"jump": -0.5}}, seeds=range(20))
    stale = dict(zip(table["read path"], table["stale runs"]))
    assert stale["read_index"] == 0 and stale["lease"] > 0
    seed, trace = rx.stale_read_example("lease", seeds=range(20), jump=-0.5)
    assert seed in range(20) and trace.end_time > 0
    with pytest.raises(ValueError, match="no stale read"):
        rx.stale_read_example("read_index", seeds=range(3), jump=-0.5)


def test_compaction_sweep_rows():
    sweep = rx.compaction_sweep(seeds=range(5))
    assert list(sweep.seed) == list(range(5)) and sweep.safe.all() and sweep.live.all()
    assert (sweep.snapshots > 0).all() and (sweep.held_max <= sweep.log_end).all()


def test_held_entries_is_the_log_minus_the_snapshot():
    trace = run(snapshot_scenario(), seed=0)
    assert rx.held_entries(trace) == {0: 3, 1: 3, 2: 3}


def test_pipeline_costs_compares_the_two_leaders():
    table = rx.pipeline_costs(seeds=range(2))
    per = table.groupby("leader").messages.mean()
    assert per["pipelined"] == 8 and per["Raft (Figure 2)"] > 8
