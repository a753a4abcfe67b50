"""Defensive programming (防御性编程): a Raft node that checks every message before it believes it.

A cluster member with a bug (a serializer of another version, a corrupted buffer) sends
*malformed* messages: a term that is a string, a negative log index, a candidate that is not
the sender, entries that are not ``(term, command)`` pairs. :class:`Babbler` is such a member:
an ordinary Raft node that also sends the garbage it is given, on a schedule.

Plain :class:`~dsysedu.protocols.consensus.raft.node.Raft` trusts its peers: one bad message
raises inside a handler (a "query of death": in a real deployment the process dies, and every
replica that receives the message dies with it). :class:`Defensive` checks each message against
:func:`message_problem` first and drops what fails, observing ``rejected``; the rest of Raft is
unchanged. :func:`fuzz_run` runs a chaos scenario with a babbling node 0 and reports what happened.

Out of scope: *well-formed lies* (a peer claiming a term or a log it does not have). Refusing
those needs Byzantine fault tolerance (PBFT and its descendants), not input checking.
"""
from __future__ import annotations

import dataclasses
import random
from typing import get_type_hints

import pandas as pd

from dsysedu.protocols.consensus.raft import messages as rm
from dsysedu.protocols.consensus.raft.node import Raft
from dsysedu.protocols.consensus.raft.properties import client_liveness, raft_safety
from dsysedu.protocols.consensus.raft.scenarios import chaos_scenario
from dsysedu.sim.kernel import run
from dsysedu.sim.streams import normalize_seed

__all__ = ["RAFT_MESSAGES", "message_problem", "Defensive", "Babbler", "DefensiveBabbler", "fuzz_run", "MAX_INT",
           "TEMPLATES", "BAD_VALUES", "malformed", "random_garbage", "fuzz_table"]

RAFT_MESSAGES = (rm.RequestVote, rm.RequestVoteReply, rm.PreVote, rm.PreVoteReply, rm.AppendEntries,
                 rm.AppendEntriesReply, rm.ClientRequest, rm.ClientReply)
MAX_INT = 2 ** 63 - 1        # what a 64-bit field on the wire can hold
_SENDER = {rm.RequestVote: "candidate_id", rm.PreVote: "candidate_id", rm.AppendEntries: "leader_id"}
_HINTS = {t: get_type_hints(t) for t in RAFT_MESSAGES + (rm.Command,)}


def _int_problem(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} is {type(value).__name__}, not int"
    if not 0 <= value <= MAX_INT:
        return f"{name} = {value} is outside [0, 2**63 - 1]"
    return None


def _fields_problem(msg):
    hints = _HINTS[type(msg)]
    for f in dataclasses.fields(msg):
        value, hint = getattr(msg, f.name), hints[f.name]
        if hint is int:
            problem = _int_problem(f.name, value)
            if problem:
                return problem
        elif hint is bool and not isinstance(value, bool):
            return f"{f.name} is {type(value).__name__}, not bool"
    return None


def _entries_problem(msg):
    if not isinstance(msg.entries, tuple):
        return f"entries is {type(msg.entries).__name__}, not tuple"
    for i, entry in enumerate(msg.entries):
        if not (isinstance(entry, tuple) and len(entry) == 2):
            return f"entries[{i}] is not a (term, command) pair"
        term, command = entry
        problem = _int_problem(f"entries[{i}] term", term)
        if problem:
            return problem
        if not 1 <= term <= msg.term:
            return f"entries[{i}] has term {term}, not in [1, {msg.term}]"
        if command != rm.NOOP and not isinstance(command, rm.Command):
            return f"entries[{i}] holds {type(command).__name__}, not a Command"
        if isinstance(command, rm.Command):
            problem = _fields_problem(command)
            op = command.op
            if problem:
                return f"entries[{i}]: {problem}"
            if not (isinstance(op, tuple) and op and op[0] in rm.OPS and len(op) == rm.OPS[op[0]]):
                return f"entries[{i}] has operation {op!r}"
    return None


def message_problem(node, src, msg) -> str | None:
    """Why ``msg`` from ``src`` is malformed for Raft ``node``, or None if it is well formed.

    Checked: the type is one of :data:`RAFT_MESSAGES`; the sender is a peer (only a client
    request may come from outside, ``src`` None); every ``int`` field is an int (not a bool) in
    ``[0, 2**63 - 1]`` and every ``bool`` field a bool; a candidate or leader id is the sender's;
    an AppendEntries' previous term is at most its term, and its entries are ``(term, command)``
    pairs with terms in ``[1, term]`` and well-formed commands.

    Examples
    --------
    >>> n = Raft(0, peers=[1, 2])
    >>> message_problem(n, 1, rm.RequestVote(1, 1, 0, 0)) is None
    True
    >>> message_problem(n, 1, rm.RequestVote("1", 1, 0, 0))
    'term is str, not int'
    >>> message_problem(n, 2, rm.RequestVote(1, 1, 0, 0))
    'candidate_id 1 is not the sender 2'
    """
    if type(msg) not in RAFT_MESSAGES:
        return f"unknown message type {type(msg).__name__}"
    if src is None:
        if not isinstance(msg, rm.ClientRequest):
            return f"{type(msg).__name__} from outside the cluster"
    elif src not in node.peers:
        return f"sender {src!r} is not a peer"
    problem = _fields_problem(msg)
    if problem:
        return problem
    field = _SENDER.get(type(msg))
    if field and getattr(msg, field) != src:
        return f"{field} {getattr(msg, field)!r} is not the sender {src!r}"
    if isinstance(msg, rm.AppendEntries):
        if msg.prev_log_term > msg.term:
            return f"prev_log_term {msg.prev_log_term} is above the term {msg.term}"
        return _entries_problem(msg)
    return None


class Defensive(Raft):
    """Raft that drops malformed messages (observing ``rejected`` with the reason) and handles the rest."""

    def on_message(self, ctx, src, msg):
        problem = message_problem(self, src, msg)
        if problem is not None:
            ctx.observe("rejected", problem)
            return
        super().on_message(ctx, src, msg)


class Babbler(Raft):
    """A Raft member with a bug: besides its ordinary work it sends ``garbage``, a tuple of
    ``(at, destination, message)``, each at its time (seconds from the start)."""

    def __init__(self, node_id, peers=(), garbage=(), **params):
        super().__init__(node_id, peers, **params)
        self.garbage = tuple(garbage)
        for at, dst, _msg in self.garbage:
            if dst not in self.peers:
                raise ValueError(f"Babbler garbage goes to {dst!r}, which is not a peer of {node_id!r}")
            if isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0:
                raise ValueError(f"Babbler garbage times must be numbers >= 0, got {at!r}")

    def on_start(self, ctx):
        super().on_start(ctx)
        for i, (at, _dst, _msg) in enumerate(self.garbage):
            ctx.set_timer(("garbage", i), at)

    def on_timer(self, ctx, name):
        if isinstance(name, tuple) and name and name[0] == "garbage":
            _at, dst, msg = self.garbage[name[1]]
            ctx.send(dst, msg)
            return
        super().on_timer(ctx, name)


class DefensiveBabbler(Babbler, Defensive):
    """The babbling member, itself defensive about what it receives."""


#: well-formed messages from node 0, each to be spoiled in one field by :func:`malformed`
TEMPLATES = (rm.RequestVote(1, 0, 0, 0), rm.RequestVoteReply(1, True), rm.PreVote(2, 0, 0, 0),
             rm.PreVoteReply(1, False), rm.AppendEntries(1, 0, 0, 0, (), 0), rm.AppendEntriesReply(1, True, 0))
#: what a broken sender puts in a field, by the field's declared type
BAD_VALUES = {
    int: ("1", -1, -2 ** 70, 2 ** 64, None, 1.5, True, (1,)),
    bool: (1, "yes", None, 0.0),
    "id": (2, 3, "mallory", None, -1),
    "entries": (("junk",), ((0, rm.NOOP),), ((99, rm.NOOP),), ((1, "delete everything"),), (1, 2),
                ((1, rm.Command("c", 1, ("drop", "x"))),), "entries"),
}
_NOT_MESSAGES = ("hello", 42, (1, 2, 3), frozenset({"term"}), 3.14, None)


def malformed(template, field: str, value):
    """``template`` with ``field`` set to ``value``, bypassing nothing but the sender's own checks."""
    return dataclasses.replace(template, **{field: value})


def random_garbage(rng, n: int = 5, peers=(1, 2, 3, 4), window=(0.2, 2.0)) -> tuple:
    """``n`` ``(at, destination, message)`` triples, each message malformed in one field (or not a
    Raft message at all), drawn from ``rng`` (a ``random.Random``)."""
    out = []
    for _ in range(n):
        at, dst = round(rng.uniform(*window), 4), rng.choice(list(peers))
        if rng.random() < 0.1:
            msg = rng.choice(_NOT_MESSAGES)
        else:
            template = rng.choice(TEMPLATES)
            hints = _HINTS[type(template)]
            field = rng.choice([f.name for f in dataclasses.fields(template)])
            kind = "id" if field in ("candidate_id", "leader_id") else "entries" if field == "entries" \
                else hints[field]
            msg = malformed(template, field, rng.choice(BAD_VALUES[kind]))
        out.append((at, dst, msg))
    return tuple(sorted(out, key=lambda g: g[0]))


def fuzz_table(seeds=range(20), per_run: int = 5) -> pd.DataFrame:
    """One row per seed and node kind (``trusting`` Raft, ``defensive``): :func:`fuzz_run` with
    ``per_run`` random malformed messages drawn from the seed, the same for both kinds."""
    rows = []
    for seed in seeds:
        garbage = random_garbage(random.Random(normalize_seed(seed)), per_run)
        for kind, defensive in (("trusting", False), ("defensive", True)):
            rows.append({"seed": seed, "nodes": kind, **fuzz_run(garbage, defensive, seed=seed)})
    return pd.DataFrame(rows)


def fuzz_run(garbage, defensive: bool = True, seed=None, nodes: int = 5) -> dict:
    """A chaos run (:func:`~dsysedu.protocols.consensus.raft.scenarios.chaos_scenario`) in which node 0
    also sends ``garbage`` (``(at, destination, message)`` triples).

    Returns
    -------
    dict
        ``outcome``: ``"ran"`` or the exception a handler raised (``"TypeError: ..."``);
        ``sent``: garbage messages; ``delivered``: copies of them that arrived (links lose and
        duplicate); ``rejected``: messages the nodes dropped as malformed;
        ``safe`` and ``live``: the verdicts of Raft's safety properties and of client liveness
        (None when the run did not finish).
    """
    base = chaos_scenario(nodes, seed=seed, until=5.0)   # 2 s after the last request for liveness
    honest = Defensive if defensive else Raft
    sc = dataclasses.replace(base, protocol={n: (DefensiveBabbler if defensive else Babbler) if n == 0 else honest
                                             for n in base.node_ids},
                             node_params={0: {"garbage": tuple(garbage)}})
    try:
        trace = run(sc, seed=seed)
    except Exception as exc:   # noqa: BLE001 - the point is to see what a bad message does to a trusting node
        return {"outcome": f"{type(exc).__name__}: {exc}", "sent": len(garbage), "delivered": None,
                "rejected": None, "safe": None, "live": None}
    bad = {repr(msg) for _at, _dst, msg in garbage}     # repr: True == 1 would match honest messages
    delivered = sum(1 for e in trace.events if e.kind == "deliver" and e.peer == 0 and repr(e.data) in bad)
    rejected = sum(1 for e in trace.events if e.kind == "observe" and e.data == "rejected")
    return {"outcome": "ran", "sent": len(garbage), "delivered": delivered, "rejected": rejected,
            "safe": raft_safety(trace).ok, "live": client_liveness(trace).ok}
