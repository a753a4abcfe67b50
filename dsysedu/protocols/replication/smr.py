"""State machine replication (状态机复制): same start, same commands, same order, same state.

A replica is a *deterministic state machine*: a state and a transition function
``step(state, command) -> state`` that depends on nothing else (no clock, no randomness,
no local configuration). Replication then needs only one thing from the network: every
replica applies the same commands in the same order. The argument is an induction over
the log position ``k`` (Schneider 1990; Lamport 1978):

* base: every replica starts in the machine's initial state ``S_0``;
* step: if two replicas are in the same state ``S_{k-1}`` and both apply command ``op_k``,
  both reach ``step(S_{k-1}, op_k)``, the same ``S_k``, because ``step`` is a function.

So for every ``k``, replicas that applied the same first ``k`` commands are in the same
state. The two premises are separate jobs: *determinism* is the machine's, the *same
order* is the consensus protocol's (Raft's State Machine Safety: no two nodes apply
different commands at one log index).

This module makes each part checkable:

* :class:`StateMachine` with three machines: :data:`KV` (a key-value store), :data:`BANK`
  (accounts with guarded withdrawals and interest: commands that do not commute) and
  :data:`RAFT_KV` (the key-value machine exactly as :class:`~dsysedu.protocols.consensus.raft.Raft`
  applies its log entries, no-ops and client sessions included);
* :func:`apply_log`, :func:`trajectory` and :func:`state_hash` (a short, stable hash of a state);
* :func:`order_experiment`: replicas apply the same commands in shuffled orders, or in one
  agreed order, and :func:`divergences` counts replicas that end in a minority state;
* for Raft runs: :func:`applied_logs` rebuilds each node's applied prefix from a trace,
  :func:`log_agreement`, :func:`state_agreement` and :func:`check_induction` return verdicts,
  and :func:`raft_runs` sweeps chaos runs (crashes, partitions, lossy reordering links).

References
----------
.. [1] F. B. Schneider, "Implementing fault-tolerant services using the state machine
   approach: a tutorial", ACM Computing Surveys 22(4), 1990.
.. [2] L. Lamport, "Time, clocks, and the ordering of events in a distributed system",
   CACM 21(7), 1978.
.. [3] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014 (State Machine Safety, Figure 3).
"""
from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.validate import positive_int
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.protocols.consensus.raft import NOOP, Command, apply_op

__all__ = ["StateMachine", "KV", "BANK", "RAFT_KV", "MACHINES", "apply_log", "trajectory", "state_hash",
           "random_commands", "order_experiment", "divergences", "applied_logs", "log_agreement",
           "state_agreement", "check_induction", "raft_runs"]


@dataclass(frozen=True)
class StateMachine:
    """A deterministic state machine: an initial state and a transition function.

    Parameters
    ----------
    name : str
    initial : hashable
        ``S_0``; states are immutable values (tuples, frozensets), so they can be compared and hashed.
    transition : callable (state, command) -> state
        Must depend only on its arguments; raises ``ValueError`` for a command it does not know.

    Examples
    --------
    >>> KV.step(KV.initial, ("set", "x", 1))
    (('x', 1),)
    """
    name: str
    initial: Any
    transition: Callable[[Any, Any], Any]

    def step(self, state, command):
        """``S_k = step(S_{k-1}, op_k)``."""
        return self.transition(state, command)

    def __repr__(self) -> str:
        return f"StateMachine({self.name!r})"


# ---------------------------------------------------------------------------- machines

def _freeze_kv(kv: dict) -> tuple:
    return tuple(sorted(kv.items(), key=lambda kv: repr(kv[0])))


_KV_OPS = "('set', key, value), ('delete', key), ('incr', key, amount), ('cas', key, expected, new), ('get', key)"


def _kv_step(state: tuple, command) -> tuple:
    if not isinstance(command, tuple) or not command:
        raise ValueError(f"a KV command is one of {_KV_OPS}; got {command!r}")
    kv = dict(state)
    if command[0] == "incr" and len(command) == 3:
        kv[command[1]] = kv.get(command[1], 0) + command[2]
        return _freeze_kv(kv)
    try:
        apply_op(kv, command)
    except (ValueError, IndexError):
        raise ValueError(f"a KV command is one of {_KV_OPS}; got {command!r}") from None
    return _freeze_kv(kv)


KV = StateMachine("key-value", (), _kv_step)
"""A key-value store; the state is a sorted tuple of ``(key, value)`` pairs."""

_BANK_OPS = "('deposit', account, amount), ('withdraw', account, amount), ('interest', percent)"


def _bank_step(state: tuple, command) -> tuple:
    accounts = dict(state)
    kind = command[0] if isinstance(command, tuple) and command else None
    amount = command[-1] if kind else None
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"a BANK command is one of {_BANK_OPS} with whole amounts >= 0; got {command!r}")
    if kind == "deposit" and len(command) == 3:
        accounts[command[1]] = accounts.get(command[1], 0) + amount
    elif kind == "withdraw" and len(command) == 3:
        if accounts.get(command[1], 0) >= amount:      # refused when it would overdraw
            accounts[command[1]] = accounts.get(command[1], 0) - amount
    elif kind == "interest" and len(command) == 2:
        accounts = {a: b + b * amount // 100 for a, b in accounts.items()}
    else:
        raise ValueError(f"a BANK command is one of {_BANK_OPS}; got {command!r}")
    return _freeze_kv(accounts)


BANK = StateMachine("bank", (), _bank_step)
"""Bank accounts in whole cents; a withdrawal that would overdraw is refused; interest is paid on
every balance, rounded down. Deposits, withdrawals and interest do not commute."""


def _raft_kv_step(state: tuple, command) -> tuple:
    kv, applied = state
    if command == NOOP:
        return state
    if not isinstance(command, Command):
        raise ValueError(f"a RAFT_KV command is NOOP or a raft Command; got {command!r}")
    rid = (command.client_id, command.seq)
    if rid in applied:          # a retried request is applied once (client sessions)
        return state
    d = dict(kv)
    apply_op(d, command.op)
    return (_freeze_kv(d), applied | {rid})


RAFT_KV = StateMachine("raft key-value", ((), frozenset()), _raft_kv_step)
"""What a :class:`~dsysedu.protocols.consensus.raft.Raft` node applies: its log entries (no-ops and
:class:`~dsysedu.protocols.consensus.raft.Command`), each client request once. The state is
``(kv pairs, applied request ids)``."""

MACHINES = {"kv": KV, "bank": BANK, "raft-kv": RAFT_KV}


def _machine(machine) -> StateMachine:
    if isinstance(machine, str):
        if machine not in MACHINES:
            raise ValueError(f"machine must be a StateMachine or one of {sorted(MACHINES)}, got {machine!r}")
        return MACHINES[machine]
    if not isinstance(machine, StateMachine):
        raise TypeError(f"machine must be a StateMachine or one of {sorted(MACHINES)}, got {machine!r}")
    return machine


# ---------------------------------------------------------------------------- applying and hashing

def apply_log(machine, commands, state=None):
    """Apply ``commands`` in order, from ``state`` (default the machine's initial state).

    Examples
    --------
    >>> apply_log(BANK, [("deposit", "a", 100), ("interest", 10), ("withdraw", "a", 50)])
    (('a', 60),)
    >>> apply_log(BANK, [("deposit", "a", 100), ("withdraw", "a", 50), ("interest", 10)])
    (('a', 55),)
    """
    machine = _machine(machine)
    s = machine.initial if state is None else state
    for c in commands:
        s = machine.step(s, c)
    return s


def trajectory(machine, commands) -> list:
    """``[S_0, S_1, ..., S_n]``: the state after each prefix of ``commands``.

    Examples
    --------
    >>> [dict(s) for s in trajectory(KV, [("set", "x", 1), ("incr", "x", 2)])]
    [{}, {'x': 1}, {'x': 3}]
    """
    machine = _machine(machine)
    out = [machine.initial]
    for c in commands:
        out.append(machine.step(out[-1], c))
    return out


def _canonical(x):
    """A repr that does not depend on set iteration order or on hash randomization."""
    if isinstance(x, (set, frozenset)):
        return "{" + ",".join(sorted(_canonical(v) for v in x)) + "}"
    if isinstance(x, dict):
        return "{" + ",".join(sorted(f"{_canonical(k)}:{_canonical(v)}" for k, v in x.items())) + "}"
    if isinstance(x, (tuple, list)):
        return "(" + ",".join(_canonical(v) for v in x) + ")"
    return repr(x)


def state_hash(state, length: int = 10) -> str:
    """A short hex digest of a state (SHA-256 of a canonical form), the same in every process.

    Examples
    --------
    >>> state_hash((("x", 1),)) == state_hash((("x", 1),)), state_hash((("x", 1),)) == state_hash((("x", 2),))
    (True, False)
    """
    return hashlib.sha256(_canonical(state).encode()).hexdigest()[:positive_int("length", length, high=64)]


# ---------------------------------------------------------------------------- order experiment

def random_commands(machine, count: int, seed=None, keys=("x", "y", "z")) -> list:
    """A seeded workload for :data:`KV` or :data:`BANK` (``keys`` are the keys or accounts).

    KV: ``set`` (half), ``incr`` and ``cas``; BANK: deposits, withdrawals and interest.
    Neither commutes in general, so different orders usually end in different states.

    Examples
    --------
    >>> cmds = random_commands(KV, 3, seed=1)
    >>> len(cmds), cmds == random_commands(KV, 3, seed=1), {c[0] for c in cmds} <= {"set", "incr", "cas"}
    (3, True, True)
    """
    machine = _machine(machine)
    positive_int("count", count, low=0)
    rnd = stream(normalize_seed(seed), "commands")
    out = []
    for i in range(1, count + 1):
        k = keys[rnd.randrange(len(keys))]
        u = rnd.random()
        if machine is KV:
            out.append(("set", k, i) if u < 0.5 else ("incr", k, i) if u < 0.8 else ("cas", k, i - 1, i))
        elif machine is BANK:
            out.append(("deposit", k, 10 * i) if u < 0.45 else ("withdraw", k, 15 * i) if u < 0.85
                       else ("interest", 5))
        else:
            raise ValueError(f"random_commands makes KV or BANK workloads, not {machine.name!r}")
    return out


def divergences(hashes) -> int:
    """How many replicas hold a state other than the most common one (0: all agree).

    Examples
    --------
    >>> divergences(["a1", "a1", "b2", "a1"]), divergences(["a1"] * 3)
    (1, 0)
    """
    hashes = list(hashes)
    return len(hashes) - Counter(hashes).most_common(1)[0][1] if hashes else 0


def order_experiment(machine, commands, replicas: int = 5, *, agreed: bool = False, seed=None) -> pd.DataFrame:
    """Each replica applies ``commands``: in its own random order, or (``agreed=True``) in one order.

    Without agreement each replica's order is a seeded shuffle, as if the commands reached it
    over links that reorder. With agreement every replica gets the same order (one shuffle
    shared by all: what a consensus protocol provides).

    Returns
    -------
    pandas.DataFrame
        One row per replica: ``replica, first_commands`` (the first three of its order, for
        display), ``hash``, ``divergent`` (not in the most common state).

    Examples
    --------
    >>> cmds = random_commands(BANK, 12, seed=3)
    >>> int(order_experiment(BANK, cmds, agreed=True, seed=3).divergent.sum())
    0
    """
    machine = _machine(machine)
    positive_int("replicas", replicas)
    commands = list(commands)
    rnd = stream(normalize_seed(seed), "order")
    shared = rnd.sample(commands, len(commands))
    orders = [shared if agreed else rnd.sample(commands, len(commands)) for _ in range(replicas)]
    hashes = [state_hash(apply_log(machine, o)) for o in orders]
    common = Counter(hashes).most_common(1)[0][0]
    return pd.DataFrame({"replica": range(replicas), "first_commands": [tuple(o[:3]) for o in orders],
                         "hash": hashes, "divergent": [h != common for h in hashes]})


# ---------------------------------------------------------------------------- Raft runs

def applied_logs(trace) -> dict:
    """Each node's applied prefix, from the ``applied`` ``(index, command)`` observations of a Raft run.

    A node that recovers from a crash applies its log again from index 1; each index keeps
    its first command, and a node that applied two different commands at one index has that
    conflict kept in ``conflicts``. Returns ``{node: tuple of commands}`` for indexes
    ``1..k`` (the longest gap-free prefix), plus the key ``"conflicts"`` listing
    ``(node, index, first, second)`` if any.

    Examples
    --------
    >>> from dsysedu.protocols.consensus.raft.scenarios import leader_crash_scenario
    >>> logs = applied_logs(leader_crash_scenario().run())
    >>> sorted(len(v) for n, v in logs.items() if n != "conflicts")   # two no-ops, x=1 and y=2
    [4, 4, 4, 4, 4]
    """
    per_node: dict = {n: {} for n in trace.nodes}
    conflicts = []
    for _seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == "applied":
            index, command = r[6]
            have = per_node[r[2]]
            if index in have and have[index] != command:
                conflicts.append((r[2], index, have[index], command))
            have.setdefault(index, command)
    out: dict = {}
    for n, have in per_node.items():
        k = 0
        while k + 1 in have:
            k += 1
        out[n] = tuple(have[i] for i in range(1, k + 1))
    if conflicts:
        out["conflicts"] = conflicts
    return out


def _nodes(logs: dict) -> list:
    return [n for n in logs if n != "conflicts"]


def log_agreement(logs: dict) -> Verdict:
    """Consensus's premise: every two applied prefixes agree on their common part.

    Examples
    --------
    >>> log_agreement({0: ("a", "b"), 1: ("a",)}).ok, log_agreement({0: ("a", "b"), 1: ("a", "c")}).ok
    (True, False)
    """
    prop = "same order"
    for node, index, first, second in logs.get("conflicts", ()):
        return Verdict(False, prop, f"node {node!r} applied {first!s} and later {second!s} at index {index}")
    nodes = _nodes(logs)
    for a, b in itertools.combinations(nodes, 2):
        for k, (x, y) in enumerate(zip(logs[a], logs[b]), start=1):
            if x != y:
                return Verdict(False, prop, f"nodes {a!r} and {b!r} applied different commands at index {k}: "
                                            f"{x!s} and {y!s}")
    longest = max((len(logs[n]) for n in nodes), default=0)
    return Verdict(True, prop, f"{len(nodes)} applied prefixes (up to {longest} commands) agree where they overlap")


def state_agreement(machine, logs: dict) -> Verdict:
    """The conclusion: every two replicas are in the same state after each common prefix length.

    Compares :func:`state_hash` of ``S_k`` for every pair of nodes and every ``k`` up to the
    shorter applied prefix.
    """
    machine = _machine(machine)
    prop = "same state"
    nodes = _nodes(logs)
    hashes = {n: [state_hash(s) for s in trajectory(machine, logs[n])] for n in nodes}
    bad = []
    for a, b in itertools.combinations(nodes, 2):
        k = next((k for k, (x, y) in enumerate(zip(hashes[a], hashes[b])) if x != y), None)
        if k is not None:
            bad.append((a, b, k))
    if bad:
        a, b, k = bad[0]
        return Verdict(False, prop, f"{len(bad)} pairs of replicas diverge; first: nodes {a!r} and {b!r} after "
                                    f"{k} commands ({hashes[a][k]} vs {hashes[b][k]})")
    steps = sum(len(h) for h in hashes.values())
    return Verdict(True, prop, f"{len(nodes)} replicas, {steps} states: equal at every common prefix length")


def check_induction(machine, logs: dict) -> Verdict:
    """The induction, checked on actual runs: base case, and every step whose premises hold.

    Base: all replicas start in ``S_0``. Step: for every pair of replicas and every ``k``, if
    they were in the same state before ``k`` and applied the same command at ``k``, they are in
    the same state after it. A step whose premises fail (different commands) is not evidence
    either way and is counted apart.

    Examples
    --------
    >>> check_induction(KV, {0: (("set", "x", 1),), 1: (("set", "x", 1),)}).ok
    True
    """
    machine = _machine(machine)
    prop = "induction"
    nodes = _nodes(logs)
    traj = {n: trajectory(machine, logs[n]) for n in nodes}
    if any(t[0] != machine.initial for t in traj.values()):
        return Verdict(False, prop, "a replica does not start in the initial state")
    checked = skipped = 0
    for a, b in itertools.combinations(nodes, 2):
        for k in range(1, min(len(logs[a]), len(logs[b])) + 1):
            if traj[a][k - 1] == traj[b][k - 1] and logs[a][k - 1] == logs[b][k - 1]:
                checked += 1
                if traj[a][k] != traj[b][k]:
                    return Verdict(False, prop, f"nodes {a!r} and {b!r}: same state and same command at step {k}, "
                                                f"different states after it: the machine is not deterministic")
            else:
                skipped += 1
    extra = f"; {skipped} steps had different commands or states before (premise false)" if skipped else ""
    return Verdict(True, prop, f"base case and {checked} steps hold{extra}")


def raft_runs(seeds, nodes: int = 5, requests: int = 10, **chaos) -> pd.DataFrame:
    """Raft chaos runs (:func:`~dsysedu.protocols.consensus.raft.scenarios.chaos_scenario`), checked as SMR.

    For each seed: run the chaos scenario (random crashes, pauses, partitions; lossy,
    duplicating, reordering links), rebuild the applied prefixes and check the three verdicts
    with :data:`RAFT_KV`.

    Returns
    -------
    pandas.DataFrame
        One row per seed: ``seed, shortest, longest`` (applied prefix lengths), ``same_order``,
        ``same_state``, ``induction`` (booleans), ``divergences`` (replicas whose state after the
        shortest common prefix is not the most common one) and ``hashes`` (each node's
        :func:`state_hash` after that prefix, in node order).

    Examples
    --------
    >>> df = raft_runs([1, 2], nodes=3, requests=4)
    >>> int(df.divergences.sum()), bool(df.same_state.all())
    (0, True)
    """
    from dsysedu.protocols.consensus.raft.scenarios import chaos_scenario
    rows = []
    for seed in seeds:
        logs = applied_logs(chaos_scenario(nodes, seed=seed, requests=requests, **chaos).run())
        ns = _nodes(logs)
        k = min(len(logs[n]) for n in ns)
        hashes = [state_hash(apply_log(RAFT_KV, logs[n][:k])) for n in ns]
        rows.append((seed, k, max(len(logs[n]) for n in ns), log_agreement(logs).ok,
                     state_agreement(RAFT_KV, logs).ok, check_induction(RAFT_KV, logs).ok, divergences(hashes),
                     tuple(hashes)))
    return pd.DataFrame(rows, columns=["seed", "shortest", "longest", "same_order", "same_state", "induction",
                                       "divergences", "hashes"])
