"""Storage (数据存储与访问, source §4.2): sharding and caching.

========================  ==================================================================
``sharding``              range, mod N, consistent hashing with virtual nodes, rendezvous,
                          jump hash; keys moved, load imbalance, hot spots, query fan-out
``shard_nodes``           a router scattering point reads and range scans to shards
``cache_policies``        LRU, LFU and ARC; Che's approximation; ``cachetools`` beside them
``cache_nodes``           a cache in front of a database as nodes: write-through, write-back,
                          write-around; TTLs, negative caching, Bloom filter, XFetch
``cache_experiments``     lost writes, stale reads, penetration, avalanche and stampede measured
========================  ==================================================================
"""
from . import cache_experiments, cache_nodes, cache_policies, shard_nodes, sharding
from .cache_experiments import *  # noqa: F401,F403
from .cache_nodes import *  # noqa: F401,F403
from .cache_policies import *  # noqa: F401,F403
from .shard_nodes import *  # noqa: F401,F403
from .sharding import *  # noqa: F401,F403

__all__ = (sharding.__all__ + shard_nodes.__all__ + cache_policies.__all__ + cache_nodes.__all__
           + cache_experiments.__all__)
