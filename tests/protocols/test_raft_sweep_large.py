"""Raft under random faults on 7 nodes: the third part of the 1,200-seed sweep (see test_raft_sweep.py)."""
from __future__ import annotations

import pytest

from test_raft_sweep import CHUNK, SEEDS, sweep


@pytest.mark.parametrize("first", range(0, SEEDS, CHUNK))
def test_raft_survives_random_faults_on_7_nodes(first):
    sweep(7, first)
