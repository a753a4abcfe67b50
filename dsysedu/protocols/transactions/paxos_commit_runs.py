"""Paxos Commit on the simulator: its cost against two-phase commit, a leader crash, random fault schedules.

The cost is counted the way Gray and Lamport count it [1]_: message delays until every RM knows
the outcome, and messages sent until then, in a fault-free run where every link takes the same
time. Our runs start at the transaction manager's Prepare; the paper's counts start one delay
earlier, at the RM's *BeginCommit* request, so the table shows both.

References
----------
.. [1] J. Gray and L. Lamport, "Consensus on transaction commit", ACM TODS 31(1), 2006.
"""
from __future__ import annotations

import random

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.faults import Crash
from dsysedu.sim.kernel import run
from dsysedu.sim.network import Exponential, LinkModel, Uniform

from .paxos_commit import CommitLeader, paxos_commit_ids, paxos_commit_scenario
from .twopc import ABORTED, COMMITTED, twopc_scenario

__all__ = ["blocking_against_2pc", "fault_schedule_table", "message_pattern", "reduces_to_2pc", "decided_at",
           "commit_cost", "commit_costs", "PAPER_DELAYS", "leader_crash_scenario", "commit_outcomes",
           "commit_atomic", "random_commit_scenario", "paxos_commit_txn_per_s"]

LATENCY = 0.01      # the simulator's default link: a constant 10 ms
PAPER_DELAYS = {"2PC": 4, "Paxos Commit": 5, "Faster Paxos Commit": 4}
"""Message delays in the normal case, counted from the BeginCommit request, from Gray and Lamport [1]_."""


def decided_at(trace) -> float | None:
    """When the last RM (a node observing ``phase``) committed or aborted; None if one never did."""
    last, final = {}, {}
    for e in trace.events:
        if e.kind == "observe" and e.data == "phase":
            final[e.node] = e.value
            last[e.node] = e.time
    if not final or any(v not in (COMMITTED, ABORTED) for v in final.values()):
        return None
    return max(last.values())


def commit_cost(trace) -> dict:
    """Message delays until every RM decided (time / link latency) and messages sent until then."""
    t = decided_at(trace)
    if t is None:
        raise ValueError("not every RM decided in this run: no cost to count")
    sends = sum(1 for e in trace.events if e.kind == "send" and e.time <= t + 1e-9)
    return {"message delays": round(t / LATENCY), "messages": sends}


def commit_costs(participants: int = 3, fs=(0, 1, 2), seed=None) -> pd.DataFrame:
    """2PC against Paxos Commit and Faster Paxos Commit for each F, fault-free, constant 10 ms links.

    Columns: measured message delays (from the Prepare), the same plus the BeginCommit request,
    the paper's count, and messages sent until every RM decided.
    """
    rows = [("2PC", 0, twopc_scenario(participants, node_params={p: {"abort_after": None} for p in
                                                                  paxos_commit_ids(participants, 0)[0]},
                                      until=1.0))]
    for f in fs:
        for name, fast in (("Paxos Commit", False), ("Faster Paxos Commit", True)):
            rows.append((name, f, paxos_commit_scenario(participants, f, fast=fast, until=1.0)))
    out = []
    for name, f, sc in rows:
        cost = commit_cost(run(sc, seed=seed))
        out.append({"protocol": name, "F": f, "acceptors": 2 * f + 1 if name != "2PC" else 0,
                    "message delays": cost["message delays"],
                    "delays with BeginCommit": cost["message delays"] + 1,
                    "paper (Gray & Lamport)": PAPER_DELAYS[name], "messages": cost["messages"]})
    return pd.DataFrame(out).set_index(["protocol", "F"])


KINDS = {"Prepare": "prepare", "CommitPrepare": "prepare", "Vote": "vote", "P2a": "vote", "Decision": "decision",
         "CommitOutcome": "decision", "P2b": "report", "P1a": "phase 1a", "P1b": "phase 1b"}


def message_pattern(trace, colocate=None) -> list:
    """``(src, dst, kind)`` of every message sent, in send order, on the wire.

    ``colocate`` maps nodes onto the machine that hosts them (``{"a1": "c"}``: the acceptor runs
    on the coordinator's machine); a message between two roles on one machine is not on the
    wire and is left out. Kinds are named by role, so that 2PC's and Paxos Commit's compare:
    ``prepare``, ``vote`` (2PC's Vote, Paxos Commit's phase 2a), ``report`` (phase 2b),
    ``decision``, ``phase 1a``, ``phase 1b``.
    """
    colocate = colocate or {}
    out = []
    for e in trace.events:
        if e.kind != "send":
            continue
        src, dst = colocate.get(e.node, e.node), colocate.get(e.peer, e.peer)
        if src != dst:
            name = type(e.data).__name__
            out.append((src, dst, KINDS.get(name, name)))
    return out


def reduces_to_2pc(participants: int = 3, seed=None) -> pd.DataFrame:
    """Paxos Commit with F = 0, its acceptor on the coordinator's machine, beside 2PC: one row per
    pattern of unilateral aborts (none, the last RM, all), with both message patterns and outcomes."""
    rows = []
    rms = paxos_commit_ids(participants, 0)[0]
    for aborting in ((), rms[-1:], rms):
        aborts = {rm: (0.001 if rm in aborting else None) for rm in rms}
        two = run(twopc_scenario(participants, node_params={p: {"abort_after": a} for p, a in aborts.items()},
                                 until=1.0), seed=seed)
        pc = run(paxos_commit_scenario(participants, 0, abort_after=aborts, until=1.0), seed=seed)
        two_out = {e.node: e.value for e in two.events if e.kind == "observe" and e.data == "phase"}
        pc_out = {k: v for k, v in commit_outcomes(pc).items() if k in rms}
        two_pat, pc_pat = message_pattern(two), message_pattern(pc, {"a1": "c"})
        rows.append({"aborting on their own": ", ".join(aborting) or "none",
                     "2PC messages": len(two_pat), "Paxos Commit messages": len(pc_pat),
                     "same messages": two_pat == pc_pat, "2PC outcome": sorted(set(two_out.values())),
                     "same outcomes": two_out == pc_out})
    return pd.DataFrame(rows).set_index("aborting on their own")


def leader_crash_scenario(participants: int = 2, crash_at: float = 0.025, takeover: float = 0.1, **kwargs):
    """F = 1: the transaction manager ``c`` crashes after the RMs voted, before it learns their votes.

    The backup ``b1`` takes over after ``2 * takeover`` seconds, learns from the acceptors that
    every RM prepared, and finishes the commit.
    """
    return paxos_commit_scenario(participants, 1, takeover=takeover, faults=[Crash("c", at=crash_at)],
                                 until=kwargs.pop("until", 1.0), **kwargs)


def blocking_against_2pc(downtimes=(0.25, 0.5, 1.0, 2.0, 4.0), participants: int = 3, takeover: float = 0.1,
                         seed=None) -> pd.DataFrame:
    """How long prepared participants hold their locks while the coordinator is down, 2PC against Paxos Commit.

    For each downtime: the chapter's logged 2PC with its coordinator crashing before its log
    (:func:`~dsysedu.protocols.transactions.twopc_sim.blocking_sweep`), and Paxos Commit with
    F = 1 whose transaction manager crashes after the votes went out, for the same time (the
    backup suspects it after ``2 * takeover`` seconds). Columns: the downtime, each protocol's
    longest lock hold, and whether each run was atomic.
    """
    from .twopc_sim import blocking_sweep, lock_hold_times
    two = blocking_sweep(downtimes, participants, seed=seed).set_index("coordinator down (s)")
    rows = []
    for down in downtimes:
        sc = paxos_commit_scenario(participants, 1, takeover=takeover, until=max(downtimes) + 5.0,
                                   faults=[Crash("c", at=0.025, until=0.025 + down)])
        tr = run(sc, seed=seed)
        rows.append({"coordinator down (s)": down, "2PC: lock held (s)": two.loc[down, "lock held (s)"],
                     "Paxos Commit: lock held (s)": round(max(lock_hold_times(tr).values()), 6),
                     "atomic": bool(two.loc[down, "atomic"]) and commit_atomic(tr).ok})
    return pd.DataFrame(rows).set_index("coordinator down (s)")


def commit_outcomes(trace) -> dict:
    """Each RM's last phase and each leader's decision, by node."""
    out = {}
    for e in trace.events:
        if e.kind == "observe" and e.data in ("phase", "decision"):
            out[e.node] = e.value
    return out


def commit_atomic(trace) -> Verdict:
    """No RM committed while another aborted or a leader decided abort (or the other way round)."""
    out = commit_outcomes(trace)
    seen = {COMMITTED if v in (COMMITTED, "commit") else ABORTED for v in out.values()
            if v in (COMMITTED, ABORTED, "commit", "abort")}
    return Verdict(len(seen) <= 1, "atomicity", f"outcomes {dict(sorted(out.items()))}")


def random_commit_scenario(seed: int, until: float = 10.0, leader=CommitLeader):
    """A random fault schedule within what Paxos Commit claims to survive.

    1-4 RMs, F in 0..2, links of 5-30 ms or with an exponential tail (mean 10 ms) that may
    reorder, some RMs aborting on their own, backups that suspect early or late (20 ms to 300 ms),
    the Faster variant in about a third of the runs,
    and up to F crashes among the leaders and acceptors (the transaction manager ``c`` in about
    half of the runs with one) in the first 100 ms, some recovering; then calm.
    """
    rnd = random.Random(seed)
    n, f = rnd.randint(1, 4), rnd.randint(0, 2)
    rms, accs, leaders = paxos_commit_ids(n, f)
    victims = rnd.sample([*leaders, *accs], rnd.randint(0, f))
    if victims and "c" not in victims and rnd.random() < 0.5:
        victims[0] = "c"            # the transaction manager is the interesting victim
    faults = []
    for v in sorted(victims):
        at = rnd.uniform(0.0, 0.1)
        faults.append(Crash(v, at=at, until=at + rnd.uniform(0.05, 1.0) if rnd.random() < 0.3 else None))
    aborts = {rm: rnd.choice([None, None, 0.005, 0.03]) for rm in rms}
    latency = Uniform(0.005, 0.03) if rnd.random() < 0.5 else Exponential(0.01)
    link = LinkModel(latency=latency, reorder=rnd.random() < 0.5)
    takeover = rnd.choice([0.02, 0.1, 0.3])
    return paxos_commit_scenario(n, f, leader=leader, abort_after=aborts, takeover=takeover, fast=rnd.random() < 0.3,
                                 faults=faults, link=link, until=until)


def fault_schedule_table(runs: int = 500, leaders=(CommitLeader, None)) -> pd.DataFrame:
    """Run :func:`random_commit_scenario` for seeds ``0..runs-1`` with each leader class (None: the
    blind one) and count: atomicity violations, runs where an RM never decided, runs where a backup
    decided (it took over), and crashes in the schedules."""
    from .paxos_commit import BlindLeader
    rows = []
    for cls in leaders:
        cls = BlindLeader if cls is None else cls
        bad = undecided = backups = crashes = 0
        for seed in range(runs):
            sc = random_commit_scenario(seed, leader=cls)
            tr = run(sc, seed=seed)
            out = commit_outcomes(tr)
            bad += not commit_atomic(tr).ok
            undecided += decided_at(tr) is None
            backups += any(k.startswith("b") and v in ("commit", "abort") for k, v in out.items())
            crashes += len(sc.faults)
        rows.append({"leader": cls.__name__, "runs": runs, "crashes": crashes, "a backup decided": backups,
                     "atomicity violated": bad, "an RM undecided": undecided})
    return pd.DataFrame(rows).set_index("leader")


def paxos_commit_txn_per_s(runs: int = 200, participants: int = 3, f: int = 1) -> float:
    """Fault-free Paxos Commit transactions per wall second (one run each), for the benchmark."""
    import time
    sc = paxos_commit_scenario(participants, f, until=0.5)
    t = time.perf_counter()
    for s in range(runs):
        if decided_at(run(sc, seed=s)) is None:
            raise AssertionError("a fault-free run did not decide")
    return runs / (time.perf_counter() - t)
