"""Chapter 3.1's Raft experiments: §3.1.3 (learning in consensus) and Paxos against Raft.

Three experiments, each a function that runs seeded simulations and returns a tidy
:class:`pandas.DataFrame` (one row per run), so that a notebook, a test and a benchmark
read the same numbers:

:func:`timeout_experiment`
    A fixed election timeout against :class:`AdaptiveRaft`, which learns its timeout from
    the heartbeat gaps it sees, over networks from fast to slow, with one leader crash in
    each run: how many elections, how long without a leader, how long until a client's
    command is acknowledged after the crash.
:func:`prediction_experiment`
    Predict "the leader has failed" from heartbeat gaps alone (:func:`predict_leader_failures`),
    and score the predictions against the crashes that really happened: precision, recall,
    detection delay, per threshold.
:func:`cost_experiment`
    Messages and latency per decision: single-decree Paxos (one proposer, or two with
    backoff) against Raft committing client commands under a stable leader.

Every run is seeded; the same arguments give the same frame. The module also holds three
scripted scenarios the chapter narrates: :func:`split_vote_scenario`,
:func:`leader_crash_scenario` and :func:`partitioned_leader_scenario`.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, §5.6 (timing: broadcastTime << electionTimeout << MTBF) and §9.3.
.. [2] V. Paxson, M. Allman, J. Chu, M. Sargent, "Computing TCP's Retransmission Timer",
   RFC 6298, 2011 (the smoothed mean and mean deviation used by :class:`AdaptiveRaft`).
.. [3] N. Hayashibara et al., "The phi accrual failure detector", SRDS 2004 (suspicion from
   heartbeat inter-arrival times).
"""
from __future__ import annotations

import math

import pandas as pd

from dsysedu.sim.faults import Crash, Nemesis
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.network import LinkModel, LogNormal, Uniform
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.protocols.consensus.paxos import Paxos
from .node import CANDIDATE, LEADER, PRECANDIDATE, AppendEntries, ClientRequest, Raft

__all__ = ["AdaptiveRaft", "POLICIES",
           "leader_crash_run", "availability", "timeout_experiment", "timeout_summary", "predict_leader_failures",
           "score_predictions", "prediction_experiment", "prediction_summary", "raft_commit_cost",
           "paxos_decision_cost", "cost_experiment"]

HEARTBEAT = 0.05        # every policy sends heartbeats this often: only the election timeout differs
CLIENT_RETRY = 0.02     # how often a node re-sends a held client request (same for all policies)



# ------------------------------------------------------------------------------ the learned policy

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


def timeout_experiment(latencies=(0.005, 0.01, 0.02, 0.04, 0.08), seeds=range(10), policies=None,
                       **run_params) -> pd.DataFrame:
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
    rows = []
    for latency in latencies:
        for name, (protocol, params) in policies.items():
            for seed in seeds:
                trace = leader_crash_run(protocol, latency_median=latency, seed=seed, **params, **run_params)
                rows.append({"policy": name, "latency_ms": round(latency * 1000, 3), "seed": seed,
                             **availability(trace)})
    return pd.DataFrame(rows)


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


# ------------------------------------------------------------------------------ predicting a leader failure

def predict_leader_failures(trace, threshold: float) -> pd.DataFrame:
    """Predict "my leader has failed" from heartbeat gaps alone, and say when it was right.

    Each node watches the node it last heard AppendEntries from: its leader. If that leader
    sends it nothing for ``threshold`` seconds, the node raises an alarm, once per silence
    (the next AppendEntries ends it). A node that is crashed or paused watches nothing. The
    alarm is *correct* when the suspect was in fact crashed at that moment; a leader that is
    only paused or slow makes a false alarm.

    Parameters
    ----------
    trace : Trace
    threshold : float
        Seconds of silence before an alarm.

    Returns
    -------
    pandas.DataFrame
        One row per alarm: ``node, suspect, time, correct``.

    Examples
    --------
    >>> trace = leader_crash_run(seed=3, election_timeout=1.0)
    >>> alarms = predict_leader_failures(trace, threshold=0.3)
    >>> len(alarms), bool(alarms.correct.all())   # the 4 survivors, each right
    (4, True)
    """
    crashed_during = _down_intervals(trace)
    watch: dict = {}          # node -> (its leader, when that leader's last AppendEntries came)
    alarms = []

    def due(now):
        for n in [n for n, (_s, last) in watch.items() if last + threshold <= now]:
            suspect, last = watch.pop(n)
            at = last + threshold
            alarms.append((n, suspect, at, any(a <= at < b for a, b in crashed_during.get(suspect, ()))))

    for time, kind, node, peer, _mid, msg, _v in trace.rows:
        due(time)
        if kind == "deliver" and isinstance(msg, AppendEntries):
            watch[node] = (peer, time)
        elif kind in ("crash", "pause"):
            watch.pop(node, None)
    due(trace.end_time)
    df = pd.DataFrame(alarms, columns=["node", "suspect", "time", "correct"])
    return df.sort_values(["time", "node"], kind="stable").reset_index(drop=True)


def _down_intervals(trace) -> dict:
    out, since = {}, {}
    for time, kind, node, *_ in trace.rows:
        if kind == "crash":
            since[node] = time
        elif kind == "recover" and node in since:
            out.setdefault(node, []).append((since.pop(node), time))
    for node, t in since.items():
        out.setdefault(node, []).append((t, math.inf))
    return out


def score_predictions(trace, alarms: pd.DataFrame) -> dict:
    """Compare alarms with the leader crash of a :func:`leader_crash_run` trace.

    Returns
    -------
    dict
        ``alarms``, ``correct`` (alarms whose suspect was crashed), ``crashes`` (0 or 1),
        ``detected`` (1 if some node raised a correct alarm about the crashed leader),
        ``delay_s`` (first correct alarm minus the crash time; ``nan`` if not detected),
        ``raft_delay_s`` (when Raft itself reacted: the first election started after the crash).
    """
    leader, at = trace.meta["leader_crash"]
    hit = alarms[alarms.correct & (alarms.suspect == leader) & (alarms.time >= at)]
    raft = next((r[0] - at for r in trace.rows if r[0] >= at and r[1] == "observe" and r[5] == "term"), math.nan)
    return {"alarms": len(alarms), "correct": int(alarms.correct.sum()), "crashes": int(leader is not None),
            "detected": int(leader is not None and len(hit) > 0),
            "delay_s": float(hit.time.min() - at) if len(hit) else math.nan, "raft_delay_s": raft}


def prediction_experiment(thresholds=(0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8), seeds=range(20),
                          latency_median: float = 0.02, pauses: float = 0.1, election_timeout: float = 1.0,
                          **run_params) -> pd.DataFrame:
    """Score the heartbeat-gap predictor over seeds and thresholds.

    Each seed is one :func:`leader_crash_run` of :class:`~dsysedu.protocols.consensus.raft.node.Raft` (5 nodes,
    the given latency, random pauses as false-alarm bait, one leader crash). Raft runs with a
    cautious ``election_timeout`` (timers of 1-2 s by default), so a prediction could start
    the election sooner than Raft's own timer. Every threshold reads the same traces.

    Returns
    -------
    pandas.DataFrame
        One row per (threshold, seed): ``threshold_s, seed`` and the keys of
        :func:`score_predictions`.

    Examples
    --------
    >>> df = prediction_experiment(thresholds=[0.5], seeds=[0, 1])
    >>> int(df.detected.sum())
    2
    """
    rows = []
    for seed in seeds:
        trace = leader_crash_run(Raft, latency_median=latency_median, pauses=pauses, seed=seed,
                                 election_timeout=election_timeout, **run_params)
        for th in thresholds:
            rows.append({"threshold_s": th, "seed": seed,
                         **score_predictions(trace, predict_leader_failures(trace, th))})
    return pd.DataFrame(rows)


def prediction_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Pool :func:`prediction_experiment` runs per threshold.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``threshold_s``: ``alarms``; ``precision``, the share of alarms that were
        right; ``recall``, the share of leader crashes detected; ``false_per_run``, false alarms
        per run; ``median_delay_s``, from the crash to the first right alarm; and
        ``raft_median_delay_s``, from the crash to Raft's own first election.
    """
    g = df.groupby("threshold_s")
    out = pd.DataFrame({"alarms": g.alarms.sum()})
    out["precision"] = g.correct.sum() / out.alarms.where(out.alarms > 0)
    out["recall"] = g.detected.sum() / g.crashes.sum()
    out["false_per_run"] = (g.alarms.sum() - g.correct.sum()) / g.size()
    out["median_delay_s"] = g.delay_s.median()
    out["raft_median_delay_s"] = g.raft_delay_s.median()
    return out


# ------------------------------------------------------------------------------ cost per decision

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


def raft_commit_cost(seed=0, *, nodes: int = 5, commands: int = 20, latency=None) -> pd.DataFrame:
    """Messages and time for a stable Raft leader to commit each client command.

    Node 0 becomes leader (it alone has a short election timeout), then receives a command
    every 50-150 ms (uniform, from the seed). For each command: the AppendEntries that carried
    its entry and the follower replies they caused, and the time from the command's arrival at
    the leader to the leader's commit. The followers learn the new commit index on the next
    AppendEntries, at no extra cost.

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
    rnd = stream(seed, "workload")
    quiet = {n: {"election_timeout": 1000.0} for n in range(1, nodes)}
    quiet[0] = {"election_timeout": 0.05}
    at, inputs = 0.5, []
    for i in range(commands):
        inputs.append(Input(at, 0, ClientRequest("c", i + 1, ("set", "x", i + 1))))
        at += rnd.uniform(0.05, 0.15)
    link = LinkModel(latency=Uniform(0.005, 0.015) if latency is None else latency)
    sc = Scenario(Raft, nodes=nodes, params={"heartbeat": HEARTBEAT}, node_params=quiet, link=link, inputs=inputs,
                  until=at + 0.5, seed=seed)
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


def cost_experiment(seeds=range(10), nodes: int = 5, latency=None) -> pd.DataFrame:
    """Messages and latency per decision, Paxos against Raft, over seeds (same links for all).

    Returns
    -------
    pandas.DataFrame
        One row per decision: ``protocol, seed, messages, latency_ms``. Protocols:
        ``"Paxos, 1 proposer"``, ``"Paxos, 2 proposers"`` (they collide, then back off) and
        ``"Raft, stable leader"`` (20 commands per seed). Links take 5-15 ms (uniform) by default.

    Examples
    --------
    >>> df = cost_experiment(seeds=[0])
    >>> df.groupby("protocol").messages.min().to_dict()
    {'Paxos, 1 proposer': 32, 'Paxos, 2 proposers': 60, 'Raft, stable leader': 8}
    """
    rows = []
    for seed in seeds:
        for k in (1, 2):
            c = paxos_decision_cost(seed, nodes=nodes, proposers=k, latency=latency)
            rows.append({"protocol": f"Paxos, {k} proposer{'s' if k > 1 else ''}", "seed": seed,
                         "messages": c["messages"], "latency_ms": c["latency_s"] * 1000})
        for r in raft_commit_cost(seed, nodes=nodes, latency=latency).itertuples():
            rows.append({"protocol": "Raft, stable leader", "seed": seed, "messages": r.messages,
                         "latency_ms": r.latency_s * 1000})
    return pd.DataFrame(rows)
