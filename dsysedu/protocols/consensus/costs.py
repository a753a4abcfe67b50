"""What one decision costs: single-decree Paxos, Multi-Paxos and Raft, measured the same way.

Every protocol runs on ``nodes`` nodes joined by constant links of ``latency`` seconds, with
no faults. Commands go to the leader, so forwarding costs nothing, and arrive one at a time,
``spacing`` seconds apart, after the leader is settled:

* **messages per decision** is the *marginal* count: the messages sent in a run with the
  commands minus those sent in the same run without them (same seed, same length), divided
  by the number of commands. Heartbeats cancel out; what a heartbeat carries for a command
  (Raft piggybacks entries and the commit index on it) counts.
* **latency per decision** is the mean time from a command's arrival at the leader to the
  leader knowing it is chosen (Multi-Paxos ``decided``, Raft ``applied``).

Single-decree Paxos decides one value per run: its cost is the whole run's messages until the
last node decides, and its latency the time from the proposer's start to its own decision.
"""
from __future__ import annotations

import pandas as pd

from dsysedu.sim.network import LinkModel
from dsysedu.sim.kernel import run
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.validate import number, positive_int
from .multipaxos import MultiPaxos, Submit
from .paxos import Paxos
from .raft.messages import ClientRequest
from .raft.node import Raft

__all__ = ["decision_costs", "COST_COLUMNS"]

COST_COLUMNS = ("protocol", "messages_per_decision", "latency_ms", "round_trips", "decisions")


def _sends(trace) -> int:
    return trace.count("send")


def _leader_at(trace, t: float, key: str = "leader"):
    obs = trace.observations(key)
    obs = obs[obs.time <= t]
    if obs.empty:
        raise ValueError(f"no leader was elected by t={t:g} s; start the commands later")
    return obs.node.iloc[-1]


def _marginal(protocol, params, nodes, latency, start, spacing, commands, seed, make_input, done_key, done_of):
    end = start + commands * spacing + 1.0
    base = Scenario(protocol, nodes=nodes, params=params, link=LinkModel(latency=latency), until=end,
                    name=f"{protocol.__name__} without commands")
    quiet = run(base, seed=seed)
    leader = _leader_at(quiet, start)
    inputs = [Input(start + i * spacing, leader, make_input(i)) for i in range(commands)]
    busy = run(Scenario(protocol, nodes=nodes, params=params, link=LinkModel(latency=latency), until=end,
                        inputs=inputs, name=f"{protocol.__name__} with {commands} commands"), seed=seed)
    if _leader_at(busy, end) != leader:
        raise ValueError(f"{protocol.__name__}: the leader changed during the measurement; use a calmer setting")
    obs = busy.observations(done_key)
    obs = obs[obs.node == leader]
    done = {}
    for t, value in zip(obs.time, obs.value):
        key = done_of(value)
        if key is not None:
            done.setdefault(key, t)
    missing = [i for i in range(commands) if i not in done]
    if missing:
        raise ValueError(f"{protocol.__name__}: commands {missing} were not decided by t={end:g} s")
    lat = sum(done[i] - (start + i * spacing) for i in range(commands)) / commands
    return (_sends(busy) - _sends(quiet)) / commands, lat


def decision_costs(nodes: int = 5, *, commands: int = 20, latency: float = 0.01, spacing: float = 0.1,
                   start: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """One row per protocol: messages and latency per decision, and latency in round trips.

    Examples
    --------
    >>> costs = decision_costs(3, commands=4)
    >>> list(costs.protocol)
    ['single-decree Paxos', 'Multi-Paxos', 'Raft']
    """
    nodes = positive_int("decision_costs nodes", nodes, low=1, high=15)
    commands = positive_int("decision_costs commands", commands, high=500)
    latency = number("decision_costs latency", latency, low=0.0, low_open=True)
    spacing = number("decision_costs spacing", spacing, low=0.0, low_open=True)
    if spacing <= 2 * latency:
        raise ValueError(f"decision_costs spacing ({spacing:g} s) must exceed one round trip "
                         f"({2 * latency:g} s) so that commands are measured one at a time")
    rows = []
    single = run(Scenario(Paxos, nodes=nodes, params={"proposers": (0,), "retry_timeout": 10.0},
                          link=LinkModel(latency=latency), until=1.0, name="single-decree Paxos"), seed=seed)
    dec = single.observations("decided")
    if len(dec) != nodes:
        raise ValueError(f"single-decree Paxos: {len(dec)} of {nodes} nodes decided")
    last = dec.time.max()
    sends = sum(1 for r in single.rows if r[1] == "send" and r[0] <= last)
    own = dec[dec.node == 0].time.iloc[0]
    rows.append(("single-decree Paxos", sends, own * 1000, own / (2 * latency), 1))

    def mp_done(value):
        slot, label = value
        return int(label[1:]) - 1 if label.startswith("c") else None

    m, lat = _marginal(MultiPaxos, {}, nodes, latency, start, spacing, commands, seed,
                       lambda i: Submit(f"c{i + 1}", i + 1), "decided", mp_done)
    rows.append(("Multi-Paxos", m, lat * 1000, lat / (2 * latency), commands))

    def raft_done(value):
        index, command = value
        seq = getattr(command, "seq", None)
        return None if seq is None or getattr(command, "client_id", None) != "cost" else seq - 1

    m, lat = _marginal(Raft, {}, nodes, latency, start, spacing, commands, seed,
                       lambda i: ClientRequest("cost", i + 1, ("set", "x", i + 1)), "applied", raft_done)
    rows.append(("Raft", m, lat * 1000, lat / (2 * latency), commands))
    return pd.DataFrame(rows, columns=list(COST_COLUMNS))
