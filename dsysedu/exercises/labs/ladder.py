"""The ladder of labs: what each lab runs, how each of its parts is judged, and for how many points.

A lab is a list of parts. A part is either a set of *runs* (a :class:`~.workloads.Workload` over
``seeds`` seeds, each run judged by a checker) or a *model check* (the learner's class inside the
model checker, with a property that must hold in every reachable state). A part earns its points
when every run passes, or when the model checker finds no violation: all or nothing, as DSLabs
grades its tests.

The ladder follows Fly.io's Gossip Glomers (echo, unique ids, broadcast 3a-3e, grow-only counter,
Kafka-style log) and ends with DSLabs' and MIT 6.824's Raft (election, then log replication).

Examples
--------
>>> [lab for lab in LABS]
['echo', 'unique-ids', 'broadcast', 'g-counter', 'kafka', 'raft']
>>> sum(p.points for p in LABS["broadcast"].parts)
8
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from dsysedu.check import all_hold
from dsysedu.check.model_checker import Model, invariant
from dsysedu.check.models import KeyValue
from dsysedu.protocols.consensus.raft.properties import election_safety, raft_safety
from dsysedu.sim.scenario import Scenario

from .checks import (KafkaLog, all_answered, broadcast_converges, broadcast_efficiency, counter_converges,
                     echoes_right, ids_unique, leader_after_faults, linearizable, mostly_answered)
from .client import LabClient
from .workloads import Workload

__all__ = ["Part", "Lab", "LABS", "EFFICIENCY_TARGETS", "parts_table"]

#: Gossip Glomers' targets for 25 nodes and 100 ms links: messages per operation, median and maximum
#: stable latency in seconds; challenge 3d asks for speed, 3e for fewer messages (fly.io/dist-sys/3d, 3e)
EFFICIENCY_TARGETS = {"3d": (30, 0.4, 0.6), "3e": (20, 1.0, 2.0)}


@dataclass(frozen=True)
class Part:
    """One graded part of a lab.

    Attributes
    ----------
    name : str
    points : int
    workload : Workload or None
        The runs (with ``check`` and ``seeds``), or None for a model check.
    check : callable(Trace) -> Verdict
    seeds : int
        Runs with seeds ``0 .. seeds-1``.
    model : callable(node class) -> (Model, Property, dict of check() options), optional
    """
    name: str
    points: int
    workload: Workload | None = None
    check: Callable | None = None
    seeds: int = 10
    model: Callable | None = None
    asks: str = ""


@dataclass(frozen=True)
class Lab:
    name: str
    title: str
    parts: tuple


# ---------------------------------------------------------------------------------------------- plans

def no_plan(rng, i):
    return ()


def echo_plan(rng, i):
    return tuple(("echo", None, f"c{i}-{k}-{rng.randrange(1000)}") for k in range(8))


def generate_plan(rng, i):
    return (("generate", None, None),) * 12


def broadcast_plan(ops, read_share=0.5):
    def plan(rng, i):
        return tuple(("read", None, None) if rng.random() < read_share else ("broadcast", None, 1000 * i + k)
                     for k in range(ops))
    return plan


def counter_plan(rng, i):
    return tuple(("read", None, None) if rng.random() < 0.4 else ("add", None, rng.randint(1, 5)) for _ in range(20))


def kafka_plan(rng, i):
    plan = []
    for k in range(16):
        key, r = f"k{rng.randrange(2)}", rng.random()
        if r < 0.5:
            plan.append(("send", key, 100 * i + k))
        elif r < 0.8:
            plan.append(("poll", key, rng.randrange(3)))
        elif r < 0.9:
            plan.append(("commit", key, rng.randrange(4)))
        else:
            plan.append(("list_committed", key, None))
    return tuple(plan)


def kv_plan(rng, i):
    return tuple(("read", k, None) if rng.random() < 0.5 else ("write", k, 100 * i + n)
                 for n, k in enumerate(rng.choice("xy") for _ in range(25)))


# ---------------------------------------------------------------------------------------------- models

def _not_timeouts(node, name) -> bool:
    return not (isinstance(name, tuple) and name[0] == "timeout")


def ids_model(cls):
    """Two servers, two clients with two ``generate`` each; every interleaving; ids must differ."""
    nodes = ["n0", "n1", "c0", "c1"]
    params = {c: dict(plan=(("generate", None, None),) * 2, server=s) for c, s in (("c0", "n0"), ("c1", "n1"))}
    sc = Scenario({"n0": cls, "n1": cls, "c0": LabClient, "c1": LabClient}, nodes=nodes, node_params=params)

    def distinct(s):
        ids = [r for c in ("c0", "c1") for _k, r in s[c].results]
        return len(ids) == len(set(ids))
    return (Model(sc, fire=_not_timeouts, name=f"{cls.__name__}: unique ids"),
            invariant("ids differ", distinct), dict(max_states=200_000, max_seconds=10.0))


def raft_election_model(cls):
    """Three servers, terms up to 1 (the timer ``"election"`` fires only below it), one crash and one
    recovery anywhere: at most one leader per term among the servers that are up."""
    sc = Scenario(cls, nodes=["n0", "n1", "n2"])

    def fire(node, name):
        return name == "election" and node.current_term < 1

    def one_leader_per_term(s):
        terms = [s[n].current_term for n in s.nodes if s.is_up(n) and s[n].role == "leader"]
        return len(terms) == len(set(terms))
    return (Model(sc, fire=fire, crashes=1, recoveries=1, name=f"{cls.__name__}: election"),
            invariant("election safety", one_leader_per_term), dict(max_states=300_000, max_seconds=12.0))


# ---------------------------------------------------------------------------------------------- the ladder

def _raft_checks(trace):
    return all_hold([raft_safety(trace), linearizable(trace, KeyValue())])


_BROADCAST = Workload(servers=5, clients=5, plan=broadcast_plan(20), gap=0.1, until=4.0, final=("read", None))
_EFFICIENT = Workload(servers=25, clients=25, plan=broadcast_plan(10), gap=0.1, latency=(0.1, 0.1), until=5.0,
                      timeout=1.0, final=("read", None), final_at=4.5)
_COUNTER = Workload(servers=3, clients=3, plan=counter_plan, gap=0.1, until=4.0, final=("read", None))
_KAFKA = Workload(servers=1, clients=3, plan=kafka_plan, gap=0.05, until=2.0)
_RAFT = Workload(servers=5, clients=3, plan=kv_plan, gap=0.05, timeout=0.4, rotate=True, until=5.0,
                 fault_start=0.5, fault_stop=3.0)

LABS = {lab.name: lab for lab in (
    Lab("echo", "Echo", (
        Part("echo", 2, Workload(servers=1, clients=2, plan=echo_plan, until=2.0), echoes_right, seeds=10,
             asks="answer each Echo with an EchoOk carrying the same text"),
        Part("echo on three servers", 1, Workload(servers=3, clients=3, plan=echo_plan, until=2.0), echoes_right,
             seeds=10, asks="the same, on each of three servers"),
    )),
    Lab("unique-ids", "Unique ID generation", (
        Part("unique ids", 2, Workload(plan=generate_plan, until=2.0), ids_unique, seeds=20,
             asks="three servers answer Generate with ids no other answer carries"),
        Part("unique ids under partitions", 2, Workload(plan=generate_plan, until=3.0, partitions=True), ids_unique,
             seeds=20, asks="the same while the servers are partitioned: every request is still answered"),
        Part("unique ids, model-checked", 2, model=ids_model,
             asks="every order of delivery and timer firing, two servers, two clients"),
    )),
    Lab("broadcast", "Broadcast", (
        Part("multi-node broadcast", 3, _BROADCAST, broadcast_converges, seeds=20,
             asks="five servers; every server's final read holds every acknowledged broadcast"),
        Part("fault-tolerant broadcast", 3, replace(_BROADCAST, partitions=True),
             broadcast_converges, seeds=20, asks="the same under partitions between servers, healed at 2.5 s"),
        Part("efficient broadcast, 3d", 1, _EFFICIENT,
             lambda t: all_hold([broadcast_converges(t), broadcast_efficiency(t, *EFFICIENCY_TARGETS["3d"])]),
             seeds=2, asks="25 servers, 100 ms links: < 30 messages per operation, stable latency median < 0.4 s, "
                           "max < 0.6 s"),
        Part("efficient broadcast, 3e", 1, _EFFICIENT,
             lambda t: all_hold([broadcast_converges(t), broadcast_efficiency(t, *EFFICIENCY_TARGETS["3e"])]),
             seeds=2, asks="the same with < 20 messages per operation, median < 1 s, max < 2 s"),
    )),
    Lab("g-counter", "Grow-only counter", (
        Part("grow-only counter", 2, _COUNTER, counter_converges, seeds=20,
             asks="three servers; every final read is the sum of the acknowledged adds"),
        Part("counter under partitions and loss", 3,
             replace(_COUNTER, partitions=True, loss=0.2), counter_converges, seeds=30,
             asks="the same with partitions and 20% of messages between servers lost"),
    )),
    Lab("kafka", "Kafka-style log", (
        Part("single-node log", 2, _KAFKA, lambda t: all_hold([linearizable(t, KafkaLog()), all_answered(t)]),
             seeds=20, asks="one server: send, poll, commit_offsets, list_committed_offsets, linearizable"),
        Part("replicated log", 2, replace(_KAFKA, servers=3),
             lambda t: all_hold([linearizable(t, KafkaLog()), all_answered(t)]), seeds=20,
             asks="three servers, any of them asked: still one linearizable log"),
        Part("replicated log under faults", 2,
             replace(_KAFKA, servers=3, partitions=True, loss=0.1, until=3.0),
             lambda t: linearizable(t, KafkaLog()), seeds=30,
             asks="partitions and loss: answers may fail, but never contradict one log"),
    )),
    Lab("raft", "Raft: election and log replication", (
        Part("leader election", 2, replace(_RAFT, plan=no_plan, crashes=True, partitions=True),
             lambda t: all_hold([election_safety(t), leader_after_faults(t)]), seeds=30,
             asks="five servers, crashes and partitions: one leader per term, and a leader once faults stop"),
        Part("leader election, model-checked", 2, model=raft_election_model,
             asks="three servers, every interleaving, one crash and one recovery"),
        Part("replicated key-value store", 2, _RAFT, lambda t: all_hold([_raft_checks(t), mostly_answered(t, 0.5)]),
             seeds=20, asks="writes and reads through the log, no faults: linearizable, Raft's safety, most answered"),
        Part("replicated key-value store under faults", 3,
             replace(_RAFT, crashes=True, partitions=True, loss=0.05), _raft_checks,
             seeds=40, asks="crashes, partitions and loss: still linearizable, Raft's four safety properties hold"),
    )),
)}


def parts_table(lab: str, styled: bool = False):
    """A lab's parts as a table: what each asks, its points, and how it is judged.

    With ``styled=True``, a pandas Styler for a notebook: left-aligned, without the index.

    Examples
    --------
    >>> int(parts_table("echo")["points"].sum())
    3
    """
    import pandas as pd

    if lab not in LABS:
        raise ValueError(f"unknown lab {lab!r}; labs are {list(LABS)}")
    rows = []
    for p in LABS[lab].parts:
        if p.workload is None:
            how = "model checker: every interleaving"
        else:
            w = p.workload
            faults = [f for f, on in (("partitions", w.partitions), ("crashes", w.crashes),
                                      (f"{w.loss:.0%} loss", w.loss)) if on]
            how = (f"{p.seeds} seeds, {w.servers} servers, {w.clients} clients, "
                   + (", ".join(faults) if faults else "no faults"))
        rows.append({"part": p.name, "points": p.points, "judged by": how, "asks": p.asks})
    table = pd.DataFrame(rows)
    if styled:
        return table.style.hide(axis="index").set_properties(**{"text-align": "left"})
    return table
