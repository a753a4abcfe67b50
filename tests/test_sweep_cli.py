"""``python -m dsysedu sweep``: Parquet and CSV out, the same rows as the library call, clear errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dsysedu.protocols.consensus.raft.experiments import chaos_experiment
from dsysedu.sweep_cli import parse_param, parse_seeds

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "dsysedu", "sweep", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_parsers():
    assert parse_seeds("3:6") == [3, 4, 5] and parse_seeds("3") == [0, 1, 2] and parse_seeds("1,5") == [1, 5]
    assert parse_param("nodes=3,5") == ("nodes", [3, 5])
    assert parse_param("loss=0,0.1") == ("loss", [0, 0.1])
    assert parse_param("mode=push,push-pull") == ("mode", ["push", "push-pull"])
    with pytest.raises(ValueError, match="A:B"):
        parse_seeds("x")
    with pytest.raises(ValueError, match="NAME=V1"):
        parse_param("nodes")


def test_raft_chaos_to_parquet_on_a_process_pool_matches_the_library(tmp_path):
    done = cli("raft-chaos", "--seeds", "0:12", "--executor", "process", "--workers", "2",
               "--out", "chaos.parquet", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "12 rows" in done.stdout
    got = pd.read_parquet(tmp_path / "chaos.parquet")
    want = chaos_experiment(seeds=range(12))
    pd.testing.assert_frame_equal(got.drop(columns="nodes"), want, check_dtype=False)
    assert set(got.nodes) == {5}


def test_a_demo_grid_to_csv(tmp_path):
    done = cli("flood", "--seeds", "2", "--param", "nodes=4,8", "--param", "loss=0,0.2", "--out", "f.csv",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    df = pd.read_csv(tmp_path / "f.csv")
    assert len(df) == 2 * 2 * 2 and list(df.columns[:3]) == ["nodes", "loss", "seed"]
    assert df[df.loss == 0]["drop"].eq(0).all() and df[df.loss > 0]["drop"].gt(0).any()


@pytest.mark.parametrize("args, words", [
    (("flood", "--out", "x.txt"), ".parquet or .csv"), (("flood", "--seeds", "a", "--out", "x.csv"), "A:B"),
    (("flood", "--param", "nodes=", "--out", "x.csv"), "NAME=V1"),
    (("flood", "--seeds", "1,1", "--out", "x.csv"), "repeat"),
    (("flood", "--workers", "0", "--executor", "process", "--out", "x.csv"), "workers")])
def test_bad_arguments_exit_2_with_a_message(tmp_path, args, words):
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr
    assert not list(tmp_path.iterdir())
