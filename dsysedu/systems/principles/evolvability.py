"""Evolvability (可演化性): a component swapped behind an interface, the rest untouched, the tests unchanged.

The component is the sharded store's placement (:mod:`dsysedu.systems.storage.sharding`): the
router (:class:`~dsysedu.systems.storage.shard_nodes.ShardRouter`) asks it one question,
``node_for(key)``, and a rebalance asks a second, ``with_nodes(nodes)``. Any object answering
both can replace another. :func:`store_contract` is the *one* test function every placement
must pass, run as it is against each (a contract test, in the manner of consumer-driven
contracts): the rules are listed in :data:`RULES`, and it returns the rules a placement broke.

:class:`StaleRing` is a broken placement on purpose (its ``with_nodes`` keeps the nodes it had),
so that the contract is seen to fail; :func:`swap_table` measures what swapping placements buys.
"""
from __future__ import annotations

import inspect

import pandas as pd

from dsysedu.sim.kernel import run
from dsysedu.systems.storage import shard_nodes
from dsysedu.systems.storage.sharding import HashRing, STRATEGIES, moved_fraction

__all__ = ["RULES", "store_contract", "StaleRing", "router_mentions", "swap_table"]

RULES = ("every key is placed on one of the placement's nodes",
         "a key's node is the same every time it is asked",
         "after a node is removed no key is placed on it",
         "the sharded store answers every query",
         "a point read touches exactly one shard")


class StaleRing(HashRing):
    """Broken on purpose: a rebalance returns the old ring, so removed nodes still get keys."""
    name = "stale ring"

    def with_nodes(self, nodes):
        return self


def _make(strategy, nodes, keys):
    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {sorted(STRATEGIES)} or a placement class, got {strategy!r}")
        strategy = STRATEGIES[strategy]
    if not inspect.isclass(strategy):
        raise TypeError(f"strategy must be a name of STRATEGIES or a placement class, got {strategy!r}")
    return strategy(nodes, keys) if strategy is STRATEGIES["range"] else strategy(nodes)


def store_contract(strategy, keys: int = 2000, shards: int = 4, seed=0) -> list:
    """The rules of :data:`RULES` that ``strategy`` breaks (an empty list: it may replace any other).

    Parameters
    ----------
    strategy : str or class
        A name of :data:`~dsysedu.systems.storage.sharding.STRATEGIES`, or a placement class
        built as ``cls(nodes)``.
    keys, shards : int
        How many keys and shards to try it with.
    seed : None, int or numpy.random.Generator
        The store's workload and run.

    Examples
    --------
    >>> store_contract("consistent hashing"), store_contract(StaleRing)
    ([], ['after a node is removed no key is placed on it'])
    """
    nodes = [f"shard{i}" for i in range(shards)]
    placement = _make(strategy, nodes, keys)
    broken = []
    placed = [placement.node_for(k) for k in range(keys)]
    if not set(placed) <= set(nodes):
        broken.append(RULES[0])
    if placed != [placement.node_for(k) for k in range(keys)]:
        broken.append(RULES[1])
    fewer = placement.with_nodes(nodes[:-1])
    if any(fewer.node_for(k) == nodes[-1] for k in range(keys)):
        broken.append(RULES[2])
    # the same store, the same router, the same workload: only the placement differs
    name = strategy if isinstance(strategy, str) else None
    if name is not None:
        trace = run(shard_nodes.sharded_scenario(name, shards=shards, keys=keys, queries=50, seed=seed), seed=seed)
        answered = [e.value for e in trace.events if e.kind == "observe" and e.data == "query"]
        if len(answered) != 100:
            broken.append(RULES[3])
        if any(kind == "Get" and asked != 1 for kind, asked, _ in answered):
            broken.append(RULES[4])
    return broken


def router_mentions(names=None) -> list:
    """Which placement class names the router's source mentions (none: it knows only the interface)."""
    names = names or [cls.__name__ for cls in STRATEGIES.values()]
    source = inspect.getsource(shard_nodes.ShardRouter)
    return [n for n in names if n in source]


def swap_table(strategies=("mod N", "consistent hashing", "rendezvous"), keys: int = 20_000, shards: int = 10) -> pd.DataFrame:
    """Per placement: the contract's broken rules and the share of keys that move when an 11th shard
    joins (what swapping placements buys), indexed by strategy."""
    nodes = [f"shard{i}" for i in range(shards)]
    rows = []
    for name in strategies:
        placement = _make(name, nodes, keys)
        rows.append({"strategy": name, "contract_broken": len(store_contract(name)),
                     "moved_on_join": moved_fraction(placement, range(keys), nodes + [f"shard{shards}"])})
    return pd.DataFrame(rows).set_index("strategy")
