"""Scripted Raft scenarios for lessons, tests and benchmarks.

Each function returns a :class:`~dsysedu.sim.Scenario` whose faults and per-node
timeouts make a situation from the paper (Ongaro & Ousterhout, USENIX ATC 2014)
happen on every seed: Figure 8's lost commit, a stale leader, a forgotten vote, a
partitioned node that rejoins, and Jepsen-style chaos with clients.
"""
from __future__ import annotations

from dsysedu.sim.faults import Crash, CutLink, Nemesis, Partition
from dsysedu.sim.network import LinkModel
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.sim.chaos import chaos_weather
from .messages import ClientRequest
from .node import Raft

__all__ = ["QUIET", "figure8_scenario", "stale_leader_scenario", "forgotten_vote_scenario", "rejoin_scenario",
           "chaos_scenario", "split_vote_scenario", "leader_crash_scenario", "partitioned_leader_scenario"]

# ------------------------------------------------------------------------------ scripted scenarios

QUIET = 1000.0  # an election timeout so long that the node never starts an election in a lesson run


def figure8_scenario(protocol=Raft, *, panel: str = "d", seed: int = 0, **params) -> Scenario:
    """The situation of Figure 8 of the paper, played with crashes and partitions on servers 1-5.

    Only servers 1 and 5 ever time out (the others get an election timeout of
    ``QUIET`` seconds through ``node_params``); links take 10 ms; ``noop=False``, as in Figure 2,
    and the nodes do not retry client requests (``client_retry=QUIET``): a retried request
    would be appended again in term 4 and commit index 2 the right way, as in panel (e).

    1. Term 1: S1 leads and commits ``x=1`` at index 1 everywhere. S1 crashes and restarts
       at once, and wins term 2.
    2. (a) Partition {S1, S2} | {S3, S4, S5}: S1 appends ``x=2`` at index 2 (term 2) and copies
       it to S2 only.
    3. (b) S5 times out and wins term 3 with votes of S3 and S4. S5 is cut off alone and
       appends ``x=3`` at index 2 (term 3), which no one else receives; then it crashes.
    4. (c) S1 hears of term 3, steps down, wins term 4 (S2, S3, S4 vote) and copies index 2
       (term 2) to S3 and S4: it is now on a majority. Correct Raft does *not* commit it
       (it is not of term 4); :class:`RaftCommitOldTerm` does, and applies ``x=2``.
    5. (d) S1 crashes. S5 restarts, wins term 5 (its last term, 3, beats their 2), overwrites
       index 2 with ``x=3`` everywhere, and commits it with a client command of term 5.
       Under :class:`RaftCommitOldTerm` the committed ``x=2`` is lost: two nodes applied
       different commands at index 2. S1 restarts at t=5.0 and follows S5.

    With ``panel="e"``, S1 also gets a client command (``z=4``) at t=2.3, in term 4, and copies
    it to a majority before it crashes: that commits index 2 and 3 the correct way, S5 can no
    longer win (S2-S4 now end in term 4), and ``x=2`` stays.

    Parameters
    ----------
    protocol : Raft subclass
        :class:`Raft` or a broken variant such as :class:`RaftCommitOldTerm`.
    panel : {"d", "e"}
        Which ending of the figure to play.
    seed : int
        The scenario's seed (the script does not depend on it).
    **params
        More keyword arguments for every node (``fast_backoff=True``...).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> trace = run(figure8_scenario())
    >>> sorted(set(trace.observations("leader").value.tolist()))
    [1, 2, 3, 4, 5]
    """
    nodes = [1, 2, 3, 4, 5]
    quick = {"election_timeout": 0.1}
    node_params = {1: quick, 5: {"election_timeout": 0.3}, 2: {"election_timeout": QUIET},
                   3: {"election_timeout": QUIET}, 4: {"election_timeout": QUIET}}
    base = {"noop": False, "heartbeat": 0.05, "client_retry": QUIET}
    base.update(params)
    faults = [
        Crash(1, at=0.6, until=0.61),                              # S1 restarts: term 2 is its
        Partition(((1, 2), (3, 4, 5)), at=1.0, until=1.8),          # (a) and (b)
        Partition(((5,), (1, 2, 3, 4)), at=1.8, until=2.5),         # (c): S5 alone
        Crash(5, at=1.9, until=2.5),                                # S5 crashes after appending x=3
        Crash(1, at=2.5, until=5.0),                                # (d)
    ]
    inputs = [
        Input(0.4, 1, ClientRequest("c", 1, ("set", "x", 1))),
        Input(1.05, 1, ClientRequest("c", 2, ("set", "x", 2))),
        Input(1.85, 5, ClientRequest("c", 3, ("set", "x", 3))),
        Input(4.5, 5, ClientRequest("c", 4, ("set", "y", 4))),
    ]
    if panel == "e":
        inputs.append(Input(2.3, 1, ClientRequest("c", 5, ("set", "z", 4))))
    elif panel != "d":
        raise ValueError(f"figure8_scenario panel must be 'd' or 'e', got {panel!r}")
    return Scenario(protocol, nodes=nodes, params=base, node_params=node_params,
                    link=LinkModel(latency=0.01), faults=faults, inputs=sorted(inputs, key=lambda i: i.at),
                    until=6.0, seed=seed, name=f"Figure 8{panel} ({protocol.__name__})")


def stale_leader_scenario(protocol=Raft, *, seed: int = 0, **params) -> Scenario:
    """A node that missed committed entries asks for votes (3 nodes, 10 ms links).

    Node 0 leads term 1 and commits ``x=1`` and ``x=2`` with node 1 while node 2 is cut
    off. Node 0 crashes; the partition heals; node 2 times out first (node 1's timeout is
    long). Correct Raft: node 1 refuses, its log is more up-to-date, and wins later.
    :class:`RaftNoUpToDateCheck`: node 1 votes for node 2, which leads with an empty log
    and overwrites the committed entries.
    """
    node_params = {0: {"election_timeout": 0.1}, 1: {"election_timeout": 1.0}, 2: {"election_timeout": 0.2}}
    faults = [Partition(((0, 1), (2,)), at=0.0, until=1.0), Crash(0, at=0.9)]
    inputs = [Input(0.5, 0, ClientRequest("c", 1, ("set", "x", 1))),
              Input(0.6, 0, ClientRequest("c", 2, ("set", "x", 2))),
              Input(2.5, 1, ClientRequest("c", 3, ("set", "x", 3)))]
    return Scenario(protocol, nodes=3, params=dict(params), node_params=node_params,
                    link=LinkModel(latency=0.01), faults=faults, inputs=inputs, until=5.0, seed=seed,
                    name=f"stale candidate ({protocol.__name__})")


def forgotten_vote_scenario(protocol=Raft, *, seed: int = 0, **params) -> Scenario:
    """A voter crashes right after voting (3 nodes, 10 ms links; nodes 0 and 2 cannot talk).

    Node 0 times out first and wins term 1 with node 1's vote. Node 1 crashes and comes back.
    Node 2, which never heard of term 1, times out and asks node 1 for its vote in term 1.
    Correct Raft: node 1 remembers its vote and refuses. :class:`RaftForgetsVote`: node 1
    votes again, and term 1 has two leaders. No client commands and ``noop=False``: the logs
    stay empty, so the up-to-date check does not stand in the way.
    """
    node_params = {0: {"election_timeout": 0.1}, 1: {"election_timeout": QUIET}, 2: {"election_timeout": 0.35}}
    faults = [CutLink(0, 2, at=0.0), CutLink(2, 0, at=0.0), Crash(1, at=0.3, until=0.32)]
    base = {"noop": False}  # empty logs: node 2's log is as up-to-date as any
    base.update(params)
    return Scenario(protocol, nodes=3, params=base, node_params=node_params,
                    link=LinkModel(latency=0.01), faults=faults, until=3.0, seed=seed,
                    name=f"forgotten vote ({protocol.__name__})")


def rejoin_scenario(protocol=Raft, *, seed: int = 0, **params) -> Scenario:
    """A follower is cut off for two seconds, then comes back (5 nodes, 10 ms links).

    Node 4 is alone from t=1 to t=3. It hears no heartbeats, so it keeps starting elections
    it cannot win. Without PreVote each one raises its term; when it comes back, its higher
    term makes the leader step down and the cluster holds a needless election (the disruptive
    rejoin). With ``prevote=True`` node 4 never gets a majority of PreVotes, its term stays,
    and it quietly follows the leader again.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> after = lambda tr: [t for t in tr.observations("leader").time if t > 3.0]
    >>> len(after(run(rejoin_scenario()))) > 0, len(after(run(rejoin_scenario(prevote=True))))
    (True, 0)
    """
    node_params = {0: {"election_timeout": 0.1}}
    return Scenario(protocol, nodes=5, params=dict(params), node_params=node_params,
                    link=LinkModel(latency=0.01), faults=[Partition(((0, 1, 2, 3), (4,)), at=1.0, until=3.0)],
                    until=5.0, seed=seed, name=f"rejoin ({', '.join(f'{k}={v}' for k, v in params.items()) or 'Raft'})")


def chaos_scenario(nodes: int = 5, *, seed: int = 0, stop: float = 2.0, until: float = 4.0, requests: int = 8,
                   nemesis: Nemesis | None = None, link: LinkModel | None = None, protocol=None,
                   **params) -> Scenario:
    """A Jepsen-style run: random faults until ``stop``, then calm; client requests throughout.

    Crashes (and recoveries), pauses and partitions come from a :class:`~dsysedu.sim.Nemesis`
    drawn from the run's seed; links lose, duplicate and reorder messages for the whole run.
    Half of the ``requests`` arrive, at random nodes, while faults happen (they may be lost
    with a crashed node: a real client would retry); the other half arrive between ``stop``
    and ``stop + 0.5`` s, and must be applied (:func:`dsysedu.protocols.consensus.raft.properties.client_liveness`).

    Parameters
    ----------
    nodes : int
        Cluster size.
    seed : None, int or numpy.random.Generator
        Seeds the faults, the network, the nodes' timers and the client requests.
    stop, until : float
        Faults happen in ``[0, stop)``; the run ends at ``until``.
    requests : int
        How many client requests (``("set", key, value)``).
    nemesis, link
        Override the default fault rates and link model (a nemesis should stop at ``stop``).
    protocol : Raft subclass
        Default :class:`Raft`.
    **params
        Keyword arguments for every node (``prevote=True``...).

    Examples
    --------
    >>> from dsysedu.protocols.consensus.raft import raft_safety
    >>> raft_safety(chaos_scenario(3, seed=4).run()).ok
    True
    """
    seed = normalize_seed(seed)   # once: the workload and the run share it
    rnd = stream(seed, "workload")
    nemesis, link = chaos_weather(stop, nemesis, link, loss=0.02)
    inputs = []
    for i in range(requests):
        at = rnd.uniform(0.0, stop) if i < requests // 2 else stop + rnd.uniform(0.0, 0.5)
        key = "xyz"[rnd.randrange(3)]
        inputs.append(Input(at, rnd.randrange(nodes), ClientRequest("c", i + 1, ("set", key, i + 1))))
    return Scenario(protocol or Raft, nodes=nodes, params=params, link=link, nemesis=nemesis,
                    inputs=sorted(inputs, key=lambda inp: inp.at), until=until, seed=seed,
                    name=f"chaos ({nodes} nodes)")


# ------------------------------------------------------------------------------ lesson scenarios (chapter 3.1)

def split_vote_scenario(*, seed: int = 0, far: float = 0.04, **params) -> Scenario:
    """Four nodes on two sites; the two nodes that can stand for election sit on different sites.

    Nodes 0 and 2 share site A, nodes 1 and 3 site B: 2 ms within a site, ``far`` seconds
    across. Only nodes 0 and 1 time out (timers of 100-200 ms; nodes 2 and 3 never stand).
    If both time out within about ``far`` of each other, each wins its neighbour's vote
    first: 2 votes of 4, no majority, no leader in that term (a *split vote*). Each then
    waits a new random timeout; the one that fires first by a margin wins a later term. On
    about two seeds in three the first election splits; on each of the 200 seeds we tried, a
    leader was elected by 2 s (the run's end).

    Examples
    --------
    >>> from dsysedu.protocols.consensus.raft.properties import leaders
    >>> sorted(leaders(split_vote_scenario(seed=7).run()))   # term 1 split; term 2 has a leader
    [2]
    """
    near, across = LinkModel(latency=0.002), LinkModel(latency=far)
    site = {0: "A", 2: "A", 1: "B", 3: "B"}
    links = {(u, v): near if site[u] == site[v] else across for u in site for v in site if u != v}
    base = {"election_timeout": 0.1}
    base.update(params)
    quiet = {2: {"election_timeout": QUIET}, 3: {"election_timeout": QUIET}}
    return Scenario(Raft, nodes=4, params=base, node_params=quiet, link=across, links=links, until=2.0, seed=seed,
                    name="split vote (two sites)")


def leader_crash_scenario(*, seed: int = 0, **params) -> Scenario:
    """Five nodes, 10 ms links: node 0 leads term 1, commits ``x=1``, then crashes at t = 1 s.

    Node 0 has the shortest election timeout, so it leads term 1. A client sets ``x=1``
    through it at 0.5 s. At 1.0 s it crashes; the followers hear no heartbeat, one of them
    times out and wins term 2. A client gives ``y=2`` to node 1 at 1.1 s; node 1 holds it until
    it knows the new leader. Node 0 recovers at 2.0 s with its durable log and follows.
    """
    base = {"client_retry": 0.05}
    base.update(params)
    inputs = [Input(0.5, 0, ClientRequest("c", 1, ("set", "x", 1))),
              Input(1.1, 1, ClientRequest("c", 2, ("set", "y", 2)))]
    return Scenario(Raft, nodes=5, params=base, node_params={0: {"election_timeout": 0.05}},
                    link=LinkModel(latency=0.01), faults=[Crash(0, at=1.0, until=2.0)], inputs=inputs, until=2.5,
                    seed=seed, name="leader crash")


def partitioned_leader_scenario(*, seed: int = 0, **params) -> Scenario:
    """The leader ends up on the minority side of a partition (five nodes, 10 ms links).

    Node 0 leads term 1 and commits ``x=1``. From 1.0 s to 2.0 s the partition
    {0, 1} | {2, 3, 4} cuts it off from the majority. A client gives ``x=2`` to node 0 at 1.1 s:
    node 0 appends it but can never commit it. The majority elects a leader of a later term,
    which commits ``y=3`` (sent to node 2 at 1.5 s). When the partition heals, node 0 sees the higher
    term, steps down, and its uncommitted ``x=2`` is overwritten; the client's node retries it
    and it is committed at a new index.

    With ``check_quorum=True`` node 0 steps down by itself once it has not heard from a majority
    for an election timeout; it then keeps starting elections it cannot win, and its high term
    forces one more election when the partition heals, unless ``prevote=True`` too.

    Examples
    --------
    >>> trace = partitioned_leader_scenario(seed=7).run()
    >>> trace.value_at("role", 1.8)[0], trace.value_at("term", 1.8)[0]   # still leads, in an old term
    ('leader', 1)
    """
    base = {"client_retry": 0.1}
    base.update(params)
    inputs = [Input(0.5, 0, ClientRequest("c", 1, ("set", "x", 1))),
              Input(1.1, 0, ClientRequest("c", 2, ("set", "x", 2))),
              Input(1.5, 2, ClientRequest("c", 3, ("set", "y", 3)))]
    options = ", ".join(k for k in ("check_quorum", "prevote") if base.get(k))
    return Scenario(Raft, nodes=5, params=base, node_params={0: {"election_timeout": 0.05}},
                    link=LinkModel(latency=0.01), faults=[Partition(((0, 1), (2, 3, 4)), at=1.0, until=2.0)],
                    inputs=inputs, until=3.0, seed=seed, name=f"partitioned leader{f' ({options})' if options else ''}")
