"""Raft under random faults, Jepsen-style: 1,200 seeds over 3, 5 and 7 nodes (400 each).

Every run (:func:`dsysedu.protocols.consensus.raft.chaos_scenario`) has random crashes and recoveries,
pauses and partitions for 2 s (3 s in the rough-weather quarter, see ``HARSH``), links that
lose, duplicate and reorder messages throughout, and client requests during and after the
faults. Each run must keep all four safety
properties, agree on its first decisions, and, once the faults stop, acknowledge every new
client request within 1.5 s and apply it on every node. The seed picks the options:
PreVote, CheckQuorum and the fast back-off take all 8 combinations in turn.

The 7-node third lives in ``test_raft_sweep_large.py`` so that the two halves can run on two
workers (``pytest -n 2 --dist loadfile``). Measured on the 2-vCPU development VM: about 16 s
for each file on one core, so the whole sweep runs in the default suite and in CI (no
``slow`` mark). ``DSYSEDU_RAFT_SEEDS=2000`` runs more seeds per size.
"""
from __future__ import annotations

import itertools
import os

import pytest

from dsysedu.protocols.consensus import agreement, termination, validity

from dsysedu.check import all_hold

from dsysedu.protocols.consensus.raft import raft_safety
from dsysedu.protocols.consensus.raft.properties import client_liveness
from dsysedu.protocols.consensus.raft import NOOP, Command, chaos_scenario
from dsysedu.sim import LinkModel, Nemesis, Uniform

SEEDS = int(os.environ.get("DSYSEDU_RAFT_SEEDS", "400"))
CHUNK = 50
OPTIONS = list(itertools.product([False, True], repeat=3))   # prevote, check_quorum, fast_backoff
LIVENESS_BOUND = 1.5


# One block of 8 seeds in 4 runs in rough weather: a crash every third of a second per node,
# most of them brief, 10% loss, slower links, and timeouts cut to 60 ms / 20 ms heartbeats,
# so that elections overlap and votes split.
HARSH = dict(nemesis=Nemesis(crash_rate=3.0, mean_downtime=0.05, partition_rate=1.0, mean_partition=0.2, stop=3.0),
             link=LinkModel(latency=Uniform(0.002, 0.04), loss=0.1, duplicate=0.05, reorder=True),
             stop=3.0, until=5.0, requests=10, election_timeout=0.06, heartbeat=0.02)


def options(seed):
    prevote, check_quorum, fast_backoff = OPTIONS[seed % len(OPTIONS)]
    opts = {"prevote": prevote, "check_quorum": check_quorum, "fast_backoff": fast_backoff}
    if (seed // len(OPTIONS)) % 4 == 3:
        opts.update(HARSH)
    return opts


def check_run(nodes, seed):
    """All the verdicts for one seeded run: the first failing one, or an ok verdict."""
    sc = chaos_scenario(nodes, seed=seed, **options(seed))
    trace = sc.run()
    stop = sc.nemesis.stop
    proposed = [NOOP] + [Command(i.msg.client_id, i.msg.seq, i.msg.command) for i in sc.inputs]
    return all_hold([
        raft_safety(trace),
        agreement(trace, key="applied", index=1),
        validity(trace, proposed, key="applied", index=1),
        termination(trace, within=LIVENESS_BOUND, after=stop, key="applied", index=1),
        client_liveness(trace, within=LIVENESS_BOUND, after=stop),
    ])


def sweep(nodes, first):
    failures = []
    for seed in range(first, min(first + CHUNK, SEEDS)):
        verdict = check_run(nodes, seed)
        if not verdict:
            failures.append((seed, options(seed), verdict))
    assert not failures, "\n".join(f"{nodes} nodes, seed {s} {o}: {v}" for s, o, v in failures)


@pytest.mark.parametrize("first", range(0, SEEDS, CHUNK))
@pytest.mark.parametrize("nodes", [3, 5])
def test_raft_survives_random_faults(nodes, first):
    sweep(nodes, first)
