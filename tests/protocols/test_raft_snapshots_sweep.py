"""Log compaction under a thousand random fault schedules, with a snapshot every 2 applied entries."""
from __future__ import annotations

from dsysedu.protocols.consensus.raft import chaos_scenario, client_liveness, raft_safety
from dsysedu.protocols.consensus.raft.snapshots import CompactingRaft
from dsysedu.sim import run


def test_a_thousand_seeds_with_small_n_keep_raft_safe_and_live():
    unsafe, stuck, installs = [], [], 0
    for seed in range(1000):
        trace = run(chaos_scenario(5, protocol=CompactingRaft, snapshot_every=2, chunk_size=2, requests=12),
                    seed=seed)
        if not raft_safety(trace).ok:
            unsafe.append(seed)
        if not client_liveness(trace, within=1.5, after=2.0).ok:
            stuck.append(seed)
        installs += int((trace.observations().key == "installed").sum())
    assert unsafe == [] and stuck == []
    assert installs > 1000   # followers left behind do get snapshots: the sweep exercises InstallSnapshot
