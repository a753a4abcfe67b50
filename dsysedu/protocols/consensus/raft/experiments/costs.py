"""Messages and latency per decision: single-decree Paxos, Multi-Paxos and Raft under a stable leader.

:func:`paxos_decision_cost` counts what one Paxos decision costs (one proposer, or two that
collide and back off); :func:`raft_commit_cost` what each client command costs a stable Raft
leader; :func:`multipaxos_decision_cost` the same for a stable Multi-Paxos leader;
:func:`cost_experiment` puts them in one frame over seeds, on the same links.
"""
from __future__ import annotations

import math

import pandas as pd

from dsysedu.protocols.consensus.multipaxos import Chosen, MPAccept, MPAccepted, MultiPaxos, Submit
from dsysedu.protocols.consensus.paxos import Paxos
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.streams import normalize_seed, stream
from ..messages import AppendEntries, ClientRequest
from ..node import Raft
from .timeouts import HEARTBEAT

__all__ = ["paxos_decision_cost", "raft_commit_cost", "multipaxos_decision_cost", "cost_experiment"]


def _network_sends(trace, t0: float, t1: float) -> int:
    return sum(1 for r in trace.rows if r[1] == "send" and r[2] != r[3] and t0 <= r[0] <= t1)


def paxos_decision_cost(seed=0, *, nodes: int = 5, proposers: int = 1, latency=None) -> dict:
    """Messages and time for single-decree Paxos to choose one value.

    The proposers (nodes ``0 .. proposers-1``) start at t = 0.1 s, with backoff. Counted:
    messages between different nodes from the start until every node has decided (messages a
    node sends to itself are local steps, not network traffic).

    Returns
    -------
    dict
        ``messages``, ``latency_s`` (start to the first decision, the moment the value is
        chosen and known), ``all_decided_s`` (start to the last node's decision).

    Examples
    --------
    >>> paxos_decision_cost(0)["messages"]   # 4 Prepare, 4 Promise, 4 Accept, 5 x 4 Accepted
    32
    """
    start = 0.1
    link = LinkModel(latency=Uniform(0.005, 0.015) if latency is None else latency)
    sc = Scenario(Paxos, nodes=nodes, params={"proposers": tuple(range(proposers)), "start": start},
                  link=link, until=start + 3.0, seed=normalize_seed(seed))
    trace = sc.run()
    times = [r[0] for r in trace.rows if r[1] == "observe" and r[5] == "decided"]
    if len(times) < nodes:
        return {"messages": _network_sends(trace, start, trace.end_time), "latency_s": math.nan,
                "all_decided_s": math.nan}
    return {"messages": _network_sends(trace, start, max(times)), "latency_s": min(times) - start,
            "all_decided_s": max(times) - start}


def _workload(seed, commands: int, make) -> tuple:
    """Commands arriving every 50-150 ms (uniform, from the seed) from t=0.5; and the end time."""
    rnd = stream(seed, "workload")
    at, inputs = 0.5, []
    for i in range(commands):
        inputs.append(make(at, i))
        at += rnd.uniform(0.05, 0.15)
    return inputs, at + 0.5


def raft_commit_cost(seed=0, *, nodes: int = 5, commands: int = 20, latency=None, protocol=Raft,
                     **params) -> pd.DataFrame:
    """Messages and time for a stable Raft leader to commit each client command.

    Node 0 becomes leader (it alone has a short election timeout), then receives a command
    every 50-150 ms (uniform, from the seed). For each command: the AppendEntries that carried
    its entry and the follower replies they caused, and the time from the command's arrival at
    the leader to the leader's commit. The followers learn the new commit index on the next
    AppendEntries, at no extra cost.

    ``protocol`` (a Raft subclass, such as
    :class:`~dsysedu.protocols.consensus.raft.pipeline.PipelinedRaft`) and ``**params`` change the
    servers.

    Returns
    -------
    pandas.DataFrame
        One row per committed command: ``index, messages, latency_s``.

    Notes
    -----
    With ``n`` nodes a command costs ``2 (n - 1)`` messages when every reply is back before the
    next heartbeat; a heartbeat that fires while replies are still on the way carries the entry
    again (Figure 2: send entries from ``nextIndex`` on), up to ``4 (n - 1)``.

    Examples
    --------
    >>> costs = raft_commit_cost(0, commands=5)
    >>> bool(costs.messages.between(8, 16).all())   # 4 AppendEntries and 4 replies, at times twice
    True
    """
    seed = normalize_seed(seed)
    quiet = {n: {"election_timeout": 1000.0} for n in range(1, nodes)}
    quiet[0] = {"election_timeout": 0.05}
    inputs, until = _workload(seed, commands, lambda at, i: Input(at, 0, ClientRequest("c", i + 1, ("set", "x", i + 1))))
    link = LinkModel(latency=Uniform(0.005, 0.015) if latency is None else latency)
    sc = Scenario(protocol, nodes=nodes, params=dict({"heartbeat": HEARTBEAT}, **params), node_params=quiet,
                  link=link, inputs=inputs, until=until, seed=seed)
    trace = sc.run()
    arrived, committed, carried = {}, {}, {}
    caused_by = {}     # follower -> the entry indexes of the AppendEntries it is answering
    for time, kind, node, peer, _mid, data, value in trace.rows:
        if kind == "deliver" and isinstance(data, ClientRequest) and node == 0:
            arrived.setdefault(data.seq, time)
        elif kind == "observe" and node == 0 and data == "entry" and hasattr(value[2], "seq"):
            carried.setdefault(value[0], {"seq": value[2].seq, "messages": 0})
        elif kind == "observe" and node == 0 and data == "commit_index":
            for i in carried:
                if i <= value:
                    committed.setdefault(i, time)
        elif kind == "send" and node == 0 and isinstance(data, AppendEntries):
            for i in range(data.prev_log_index + 1, data.prev_log_index + len(data.entries) + 1):
                if i in carried:
                    carried[i]["messages"] += 1
        elif kind == "deliver" and isinstance(data, AppendEntries):
            caused_by[node] = range(data.prev_log_index + 1, data.prev_log_index + len(data.entries) + 1)
        elif kind == "send" and peer == 0 and node in caused_by:
            for i in caused_by.pop(node):   # the reply to the AppendEntries just delivered
                if i in carried:
                    carried[i]["messages"] += 1
    rows = [{"index": i, "messages": c["messages"], "latency_s": committed[i] - arrived[c["seq"]]}
            for i, c in sorted(carried.items()) if i in committed]
    return pd.DataFrame(rows, columns=["index", "messages", "latency_s"])


def multipaxos_decision_cost(seed=0, *, nodes: int = 5, commands: int = 20, latency=None) -> pd.DataFrame:
    """Messages and time for a stable Multi-Paxos leader to get each client command chosen.

    The same workload and links as :func:`raft_commit_cost`; node 0 leads (it alone has a short
    election timeout) and runs phase 1 once. For each slot: the network messages that carried it
    (Accept to the other acceptors, their Accepted, the leader's Chosen to everyone; an Accept
    the leader re-sends at a heartbeat counts too), and the time from the command's arrival at the
    leader to the leader knowing it is chosen.

    Examples
    --------
    >>> costs = multipaxos_decision_cost(0, commands=5)
    >>> int(costs.messages.min()), int(costs.messages.max())   # 4 Accept, 4 Accepted, 4 Chosen; a heartbeat re-sends
    (12, 20)
    """
    seed = normalize_seed(seed)
    quiet = {n: {"election_timeout": 1000.0} for n in range(1, nodes)}
    quiet[0] = {"election_timeout": 0.06}
    inputs, until = _workload(seed, commands, lambda at, i: Input(at, 0, Submit(f"c{i + 1}", i + 1)))
    link = LinkModel(latency=Uniform(0.005, 0.015) if latency is None else latency)
    sc = Scenario(MultiPaxos, nodes=nodes, params={"heartbeat": HEARTBEAT}, node_params=quiet, link=link,
                  inputs=inputs, until=until, seed=seed)
    trace = sc.run()
    arrived, slot_of, chosen, messages = {}, {}, {}, {}
    for time, kind, node, peer, _mid, data, value in trace.rows:
        if kind == "deliver" and isinstance(data, Submit) and node == 0:
            arrived.setdefault(data.cid, time)
        elif kind == "send" and node != peer and isinstance(data, (MPAccept, MPAccepted, Chosen)):
            messages[data.slot] = messages.get(data.slot, 0) + 1
            if isinstance(data, MPAccept) and isinstance(data.value, Submit):
                slot_of.setdefault(data.slot, data.value.cid)
        elif kind == "observe" and node == 0 and data == "decided":
            chosen.setdefault(value[0], time)
    rows = [{"slot": s, "messages": messages[s], "latency_s": chosen[s] - arrived[cid]}
            for s, cid in sorted(slot_of.items()) if s in chosen]
    return pd.DataFrame(rows, columns=["slot", "messages", "latency_s"])


def cost_experiment(seeds=range(10), nodes: int = 5, latency=None) -> pd.DataFrame:
    """Messages and latency per decision, Paxos against Raft, over seeds (same links for all).

    Returns
    -------
    pandas.DataFrame
        One row per decision: ``protocol, seed, messages, latency_ms``. Protocols:
        ``"Paxos, 1 proposer"``, ``"Paxos, 2 proposers"`` (they collide, then back off),
        ``"Multi-Paxos, stable leader"`` and ``"Raft, stable leader"`` (20 commands per seed).
        Links take 5-15 ms (uniform) by default.

    Examples
    --------
    >>> df = cost_experiment(seeds=[0])
    >>> df.groupby("protocol").messages.min().to_dict()
    {'Multi-Paxos, stable leader': 12, 'Paxos, 1 proposer': 32, 'Paxos, 2 proposers': 60, 'Raft, stable leader': 8}
    """
    rows = []
    for seed in seeds:
        for k in (1, 2):
            c = paxos_decision_cost(seed, nodes=nodes, proposers=k, latency=latency)
            rows.append({"protocol": f"Paxos, {k} proposer{'s' if k > 1 else ''}", "seed": seed,
                         "messages": c["messages"], "latency_ms": c["latency_s"] * 1000})
        for r in multipaxos_decision_cost(seed, nodes=nodes, latency=latency).itertuples():
            rows.append({"protocol": "Multi-Paxos, stable leader", "seed": seed, "messages": r.messages,
                         "latency_ms": r.latency_s * 1000})
        for r in raft_commit_cost(seed, nodes=nodes, latency=latency).itertuples():
            rows.append({"protocol": "Raft, stable leader", "seed": seed, "messages": r.messages,
                         "latency_ms": r.latency_s * 1000})
    return pd.DataFrame(rows)
