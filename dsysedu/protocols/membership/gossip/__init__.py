"""Gossip (epidemic) dissemination: push, pull and push-pull; anti-entropy and rumor mongering.

A rumor starts at one node (the ``origin``). Every ``round_time`` seconds each node that
takes part calls ``fanout`` peers chosen at random among its neighbours in the topology:

* **push**: an informed node sends the rumor;
* **pull**: an uninformed node asks, and an informed peer answers with the rumor;
* **push-pull**: both (Karp et al. 2000): whoever knows tells, whoever does not asks.

In the epidemic words of Demers et al. (1987) a node is *susceptible* (has not heard),
*infective* (knows and spreads) or *removed* (knows but has lost interest). Anti-entropy
(``stop=None``) never loses interest; rumor mongering does, in two of the paper's variants:

* ``stop="feedback-counter"``: after ``k`` pushes to peers that already knew (the peer
  answers :class:`AlreadyInformed`), the node stops;
* ``stop="blind-coin"``: after each push the node stops with probability ``1/k``.

Two ways to run it:

* :class:`Gossip`, a :class:`~dsysedu.sim.Node` for the event simulator (continuous time,
  latency, loss, crashes; each node's rounds start at its own random phase);
* :func:`simulate_rounds`, a synchronous round kernel in numpy for large N (10,000 nodes
  in milliseconds), returning the number of informed nodes after each round.

Sweeps of either over sizes and seeds (:func:`rounds_experiment`, :func:`event_spread_experiment`)
go through :func:`dsysedu.sweep`, so they run on a process pool or a Dask cluster too.

Invariants: a node's state only moves susceptible -> infective -> removed; a node is informed
only by a message carrying the rumor; on a connected graph without loss or crashes, anti-entropy
informs everyone with probability 1.

References
----------
.. [1] A. Demers, D. Greene, C. Hauser, W. Irish, J. Larson, S. Shenker, H. Sturgis,
   D. Swinehart, D. Terry, "Epidemic algorithms for replicated database maintenance",
   PODC 1987.
.. [2] B. Pittel, "On spreading a rumor", SIAM J. Appl. Math. 47(1), 1987.
.. [3] R. Karp, C. Schindelhauer, S. Shenker, B. Vöcking, "Randomized rumor spreading",
   FOCS 2000.
"""
from .protocol import (AlreadyInformed, Gossip, gossip_scenario, INFECTIVE, MODES, PullReply, PullRequest, Push,
                       REMOVED, run_to_full_spread, spread_stats, SpreadStats, STOPS, SUSCEPTIBLE)
from .rounds import (DEMERS_TABLE, mean_field_curve, pittel_rounds, rounds_to_full_spread, rumor_mongering_rounds,
                     simulate_rounds, theory_curve)
from .scale import event_spread, event_spread_experiment, rounds_experiment, spread_rounds
__all__ = ["Push", "PullRequest", "PullReply", "AlreadyInformed", "Gossip", "MODES", "STOPS", "SUSCEPTIBLE",
           "INFECTIVE", "REMOVED", "gossip_scenario", "run_to_full_spread", "SpreadStats", "spread_stats",
           "simulate_rounds", "rounds_to_full_spread", "pittel_rounds", "mean_field_curve", "theory_curve",
           "rumor_mongering_rounds", "DEMERS_TABLE", "spread_rounds", "rounds_experiment", "event_spread",
           "event_spread_experiment"]
