"""Fixed against learned election timeouts (chapter 3.1.3): how fast does a cluster fail over?

:class:`AdaptiveRaft` learns its election timeout from the heartbeat gaps it measures;
:func:`leader_crash_run` runs a cluster and crashes whichever node leads at a random moment;
:func:`availability` reads from its trace how many elections there were, how long the
cluster had no leader and how long a client waited after the crash; :func:`timeout_experiment`
runs the :data:`POLICIES` over networks from fast to slow, one row per run.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, §5.6 (timing: broadcastTime << electionTimeout << MTBF) and §9.3.
.. [2] V. Paxson, M. Allman, J. Chu, M. Sargent, "Computing TCP's Retransmission Timer",
   RFC 6298, 2011 (the smoothed mean and mean deviation used by :class:`AdaptiveRaft`).
"""
from __future__ import annotations

import functools
import math

import pandas as pd

from dsysedu.sim.faults import Crash, Nemesis
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.network import LinkModel, LogNormal
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.sweep import sweep
from ..messages import CANDIDATE, LEADER, PRECANDIDATE, AppendEntries, ClientRequest
from ..node import Raft

__all__ = ["AdaptiveRaft", "POLICIES", "leader_crash_run", "availability", "timeout_experiment", "timeout_summary"]

HEARTBEAT = 0.05        # every policy sends heartbeats this often: only the election timeout differs
CLIENT_RETRY = 0.02     # how often a node re-sends a held client request (same for all policies)


class AdaptiveRaft(Raft):
    """Raft whose election timeout follows the heartbeat gaps the node measures.

    Each follower times the gaps between AppendEntries from its leader on its own clock and
    keeps, as TCP does for round trips [2]_, a smoothed mean and a smoothed mean deviation::

        dev  <- (1 - beta) * dev + beta * |gap - mean|
        mean <- (1 - alpha) * mean + alpha * gap
        election_timeout = max(floor, mean + k * dev)

    and, when an election it started fails (its timer runs out again while it is still a
    candidate), it doubles its timeout, up to ``cap``, as Paxos proposers back off. The timer
    is still drawn from ``[election_timeout, 2 * election_timeout]``, as in
    :class:`~dsysedu.protocols.consensus.raft.node.Raft`. Until a node has heard two heartbeats it uses the
    ``election_timeout`` it was built with. Safety does not depend on timeouts at all, so
    this changes only *when* elections happen, never what is committed.

    Parameters
    ----------
    floor : float
        Never time out sooner than this (seconds); keep it above the heartbeat interval.
    k : float
        How many mean deviations above the mean gap to wait.
    cap : float
        The longest timeout that backing off after failed elections may reach (seconds).
    alpha, beta : float
        Smoothing weights of the mean and of the deviation (RFC 6298: 1/8 and 1/4).
    **kwargs
        As for :class:`~dsysedu.protocols.consensus.raft.node.Raft`.

    Notes
    -----
    Observes ``election_timeout`` (seconds) each time the learned value moves by more than
    10 % from the last one observed.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, LinkModel, LogNormal, run
    >>> slow = Scenario(AdaptiveRaft, nodes=3, link=LinkModel(latency=LogNormal(0.08, 0.5)), until=3.0)
    >>> learned = run(slow, seed=1).observations("election_timeout").value
    >>> bool(learned.iloc[-1] > 0.15)   # a slow, jittery network: it waits longer than the default
    True
    """

    state_fields = Raft.state_fields + ("election_timeout", "gap_mean", "gap_dev", "last_heartbeat", "heard_leader")

    def __init__(self, node_id, peers=(), floor=0.1, k=8.0, cap=2.0, alpha=0.125, beta=0.25, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.floor, self.k, self.cap, self.alpha, self.beta = floor, k, cap, alpha, beta
        self.gap_mean = None
        self.gap_dev = 0.0
        self.last_heartbeat = None   # our clock when the last AppendEntries of heard_leader came
        self.heard_leader = None     # (leader, term) the gaps belong to
        self._observed = self.election_timeout   # the last value observed (for the views only)

    def election_timeout_elapsed(self, ctx) -> None:
        if self.role in (CANDIDATE, PRECANDIDATE):
            # Our last election failed (split votes, or votes still on the wire): wait longer
            # next time, as Paxos proposers back off; heartbeats from a leader will set it again.
            self.election_timeout = min(self.cap, 2 * self.election_timeout)
            self._note(ctx)
        super().election_timeout_elapsed(ctx)

    def on_append_entries(self, ctx, src, m: AppendEntries) -> None:
        if m.term >= self.current_term:
            now = ctx.clock()
            if self.heard_leader == (m.leader_id, m.term) and self.last_heartbeat is not None:
                self.learn(ctx, now - self.last_heartbeat)
            self.heard_leader = (m.leader_id, m.term)
            self.last_heartbeat = now
        super().on_append_entries(ctx, src, m)

    def learn(self, ctx, gap: float) -> None:
        """Fold one heartbeat gap into the estimate and set the election timeout from it."""
        if self.gap_mean is None:
            self.gap_mean, self.gap_dev = gap, gap / 2
        else:
            self.gap_dev = (1 - self.beta) * self.gap_dev + self.beta * abs(gap - self.gap_mean)
            self.gap_mean = (1 - self.alpha) * self.gap_mean + self.alpha * gap
        self.election_timeout = max(self.floor, self.gap_mean + self.k * self.gap_dev)
        self._note(ctx)

    def _note(self, ctx) -> None:
        if abs(self.election_timeout - self._observed) > 0.1 * self._observed:
            self._observed = self.election_timeout   # the last value observed (for the views only)
            ctx.observe("election_timeout", round(self.election_timeout, 4))


POLICIES = {
    "fixed 100 ms": (Raft, {"election_timeout": 0.1}),
    "fixed 150 ms": (Raft, {"election_timeout": 0.15}),
    "fixed 500 ms": (Raft, {"election_timeout": 0.5}),
    "adaptive": (AdaptiveRaft, {"election_timeout": 0.5}),
}
"""Election-timeout policies compared by :func:`timeout_experiment`: name -> (protocol, params).
150 ms is the paper's choice for a LAN (timers in 150-300 ms); 100 ms is the adaptive policy's floor;
500 ms is a cautious setting for slow networks, and where the adaptive policy starts before it
has measured anything."""


# ------------------------------------------------------------------------------ one run with a leader crash

def leader_crash_run(protocol=Raft, *, latency_median: float = 0.02, sigma: float = 0.5, loss: float = 0.0,
                     nodes: int = 5, seed=0, crash_window=(2.0, 3.0), until: float = 6.0, pauses: float = 0.0,
                     **params):
    """Run a Raft cluster, crash whichever node leads at a random moment, and ask for a command.

    At a time drawn uniformly from ``crash_window`` the current leader crashes for good (if an
    election is on at that moment, the crash waits, in 10 ms steps, for its winner), and a
    client hands a command to the lowest-numbered surviving node; the rest of the run shows
    the failover.

    Parameters
    ----------
    protocol : Raft subclass
    latency_median, sigma : float
        Link latency is ``LogNormal(latency_median, sigma)`` seconds (FIFO links).
    loss : float
        Probability that a message is lost.
    nodes : int
    seed : None, int or numpy.random.Generator
        Seeds the crash time, the network, the timers and the pauses.
    crash_window : (float, float)
    until : float
        Simulated seconds.
    pauses : float
        Pauses (like garbage-collection stalls, mean 0.2 s) per node per second, before the
        crash window ends: a paused leader sends nothing yet has not failed.
    **params
        Keyword arguments for every node (``election_timeout=...``).

    Returns
    -------
    Trace
        ``trace.meta["leader_crash"]`` is ``(node, time)``, or ``(None, time)`` if no node led
        until a second before the end (then nothing crashes).

    Examples
    --------
    >>> trace = leader_crash_run(seed=3)
    >>> node, at = trace.meta["leader_crash"]
    >>> node is not None and 2.0 <= at <= 3.0
    True
    """
    seed = normalize_seed(seed)
    rnd = stream(seed, "workload")
    crash_at = rnd.uniform(*crash_window)
    nemesis = None
    if pauses:
        nemesis = Nemesis(pause_rate=pauses, mean_downtime=0.2, max_down=1, stop=crash_window[1])
    base = {"heartbeat": HEARTBEAT, "client_retry": CLIENT_RETRY}
    base.update(params)
    sc = Scenario(protocol, nodes=nodes, params=base, nemesis=nemesis, until=until, seed=seed,
                  link=LinkModel(latency=LogNormal(latency_median, sigma), loss=loss),
                  name=f"leader crash ({protocol.__name__}, {latency_median * 1000:g} ms)")
    sim = Simulation(sc)
    sim.run_until(crash_at)
    leader = _current_leader(sim)
    while leader is None and crash_at < until - 1.0:   # an election is on: crash its winner
        crash_at += 0.01
        sim.run_until(crash_at)
        leader = _current_leader(sim)
    if leader is not None:
        sim.apply(Crash(leader, at=crash_at))
        asked = min(n for n in sc.node_ids if n != leader)
        sim.inject(asked, ClientRequest("probe", 1, ("set", "after_crash", 1)))
    trace = sim.run()
    trace.meta["leader_crash"] = (leader, crash_at)
    return trace


def _current_leader(sim):
    """The up node that leads in the highest term, or None."""
    best = None
    for n, node in sim.nodes.items():
        if sim.status(n) == "up" and node.role == LEADER and (best is None or node.current_term > best[0]):
            best = (node.current_term, n)
    return None if best is None else best[1]


def availability(trace, since: float = 1.0) -> dict:
    """Elections, time without a leader, and failover time of a :func:`leader_crash_run` trace.

    Parameters
    ----------
    trace : Trace
    since : float
        Count time without a leader from here on (seconds): start-up is measured apart, by
        ``first_leader_s``.

    Returns
    -------
    dict
        ``elections``: the highest term reached (each election starts a new term);
        ``first_leader_s``: when the first leader was elected;
        ``leaderless_s``: seconds from ``since`` to the end during which no up node leads in the
        highest term any up node holds (clients cannot commit then);
        ``failover_s``: seconds from the leader crash to the acknowledgement of the probe
        command (``nan`` if it was never acknowledged).
    """
    role, term, up = {}, {}, {n: True for n in trace.nodes}
    leaderless, gap_from = 0.0, since   # gap_from: since when there has been no leader (None: there is one)
    ack = first = math.nan
    _, crash_at = trace.meta.get("leader_crash", (None, 0.0))
    for time, kind, node, _peer, _mid, key, value in trace.rows:
        if kind == "observe":
            if key == "role":
                role[node] = value
            elif key == "term":
                term[node] = value
            elif key == "ack" and value == ("probe", 1) and math.isnan(ack):
                ack = time - crash_at
            elif key == "leader" and math.isnan(first):
                first = time
            else:
                continue
        elif kind in ("crash", "recover"):
            up[node] = kind == "recover"
        else:
            continue
        live = [n for n in trace.nodes if up[n]]
        top = max((term.get(n, 0) for n in live), default=0)
        led = any(role.get(n) == LEADER and term.get(n, 0) == top for n in live)
        if led and gap_from is not None:
            leaderless += max(0.0, time - gap_from)
            gap_from = None
        elif not led and gap_from is None:
            gap_from = max(time, since)
    if gap_from is not None:
        leaderless += max(0.0, trace.end_time - gap_from)
    return {"elections": max(term.values(), default=0), "first_leader_s": first, "leaderless_s": leaderless,
            "failover_s": ack}


def _policy_run(seed, *, latency, policy, policies, run_params):
    protocol, params = policies[policy]
    return leader_crash_run(protocol, latency_median=latency, seed=seed, **params, **run_params)


def timeout_experiment(latencies=(0.005, 0.01, 0.02, 0.04, 0.08), seeds=range(10), policies=None, *,
                       executor=None, progress: bool = False, **run_params) -> pd.DataFrame:
    """Fixed against adaptive election timeouts, one leader crash per run.

    Parameters
    ----------
    latencies : iterable of float
        Median link latencies (seconds) of the log-normal network.
    seeds : iterable of int
        One run per seed, policy and latency; the same seed gives every policy the same
        crash time and the same network draws to start with.
    policies : dict, optional
        name -> (protocol, params); default :data:`POLICIES`.
    executor : None, concurrent.futures.Executor or distributed.Client
        Where the runs happen (:func:`dsysedu.sweep`); the frame is the same on any of them.
    progress : bool
        Show a progress bar.
    **run_params
        More keyword arguments for :func:`leader_crash_run` (``until``, ``loss``...).

    Returns
    -------
    pandas.DataFrame
        One row per run: ``policy, latency_ms, seed`` and the keys of :func:`availability`.

    Examples
    --------
    >>> df = timeout_experiment(latencies=[0.01], seeds=[0])
    >>> sorted(df.policy) == sorted(POLICIES)
    True
    """
    policies = POLICIES if policies is None else policies
    build = functools.partial(_policy_run, policies=dict(policies), run_params=run_params)
    df = sweep(build, availability, seeds=seeds, params={"latency": list(latencies), "policy": list(policies)},
               executor=executor, progress=progress, description="timeout trade-off")
    df.insert(1, "latency_ms", [round(v * 1000, 3) for v in df.pop("latency")])
    return df[["policy", "latency_ms", *df.columns.drop(["policy", "latency_ms"])]]


def timeout_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Average :func:`timeout_experiment` runs per latency and policy.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(latency_ms, policy)``: mean ``elections``, mean ``leaderless_s``,
        ``failover_median_s`` (a probe never acknowledged counts as infinitely slow) and
        ``acked`` (the share of runs whose probe was acknowledged before the end).
    """
    g = df.assign(failover=df.failover_s.fillna(math.inf)).groupby(["latency_ms", "policy"])
    return pd.DataFrame({"elections": g.elections.mean(), "leaderless_s": g.leaderless_s.mean(),
                         "failover_median_s": g.failover.median(), "acked": g.failover_s.count() / g.size()})
