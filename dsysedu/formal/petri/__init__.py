"""Petri nets (Petri网): places, transitions, weighted arcs and the token game.

A *place* holds tokens; a *transition* is enabled when every input place holds at least
the weight of its arc, and *firing* it takes those tokens and puts the output arcs' weights
into the output places. A *marking* is the number of tokens in each place: here an
immutable tuple in the net's place order, so markings can be hashed, compared and used as
graph nodes.

Analyses, all bounded by ``max_states``:

- :func:`reachability_graph` explores every marking reachable from the initial one
  (a networkx ``DiGraph``; edges carry the transitions that lead along them);
- :func:`deadlocks` lists the reachable markings where nothing is enabled, and
  :func:`state_space` counts markings and deadlocks (a row of a comparison table);
- :func:`coverability_graph` is Karp and Miller's construction [1]_: a place that can grow
  without limit gets :data:`OMEGA` (ω), which makes the graph finite even for unbounded nets;
- :func:`is_bounded` and :func:`bound` read boundedness off the coverability graph;
- :func:`p_invariants` finds weightings of places whose weighted token sum never changes
  (Farkas' algorithm as used by Martínez and Silva [2]_).

Examples are built by :func:`dining_philosophers` (deadlocking, or fixed by resource
ordering or by a butler), :func:`producer_consumer` (a bounded buffer) and
:func:`unbounded_producer`.

The package has three modules: :mod:`.net` (the net and its token game), :mod:`.analysis`
(the analyses above) and :mod:`.examples`.

References
----------
.. [1] R. M. Karp and R. E. Miller, "Parallel program schemata", JCSS 3(2), 1969.
.. [2] J. Martínez and M. Silva, "A simple and fast algorithm to obtain all invariants of a
   generalised Petri net", Application and Theory of Petri Nets, 1982.
.. [3] T. Murata, "Petri nets: properties, analysis and applications", Proc. IEEE 77(4), 1989.
"""
from .analysis import (reachability_graph, deadlocks, state_space, coverability_graph, bound, is_bounded, p_invariants)
from .examples import (dining_philosophers, philosophers_word, producer_consumer, unbounded_producer)
from .net import (OMEGA, StateLimitExceeded, format_marking, PetriNet)

__all__ = ["OMEGA", "StateLimitExceeded", "format_marking", "PetriNet", "reachability_graph", "deadlocks", "state_space",
           "coverability_graph", "bound", "is_bounded", "p_invariants", "dining_philosophers",
           "philosophers_word", "producer_consumer", "unbounded_producer"]
