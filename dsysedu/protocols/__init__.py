"""Protocols: node classes written against :class:`dsysedu.sim.Node`, grouped by the course's topics.

Each topic is a subpackage whose ``__init__`` exports its public names; a protocol's properties,
broken variants and model-checker model live beside it.

========================  ==================================================================
``basics``                flooding, ping/echo, request/reply, timing models (chapters 1, 2.1)
``consensus``             consensus properties, Paxos, FLP, and ``consensus.raft`` (chapter 3.1)
``replication``           register and CAP, quorums, state machine replication, CRDTs (2.1.3, 3.2)
``membership``            failure detectors, gossip, aggregation (chapter 3.4)
``transactions``          two-phase commit (chapters 2.3, 3.3)
``coordination``          mutual exclusion with a lock server (chapter 2.3)
========================  ==================================================================
"""
