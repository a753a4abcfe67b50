"""Failure detectors: heartbeats, phi accrual and SWIM, and their quality measured from a trace.

A failure detector is a module at each node that outputs a set of *suspects*: the
nodes it currently believes have crashed. Chandra and Toueg [1]_ classify detectors by
two properties:

* **completeness**: every crashed node is eventually suspected (*strong*: by every
  correct node; *weak*: by some correct node);
* **accuracy**: *strong*, no node is suspected before it crashes; *weak*, some correct
  node is never suspected.

In an asynchronous system no detector has both strong properties: a slow node cannot be
told from a crashed one. Chen, Toueg and Aguilera [2]_ replace the yes/no properties with
numbers, which :mod:`.quality` computes from a :class:`~dsysedu.sim.trace.Trace`: the
*detection time* of a crash, the *false-suspicion rate* and the *mistake duration*.

Every detector here observes ``("suspects", frozenset)`` whenever its output changes.
:class:`SwimDetector` also observes ``("faulty", frozenset)``, the confirmed subset.

References
----------
.. [1] T. D. Chandra and S. Toueg, "Unreliable failure detectors for reliable distributed
   systems", Journal of the ACM 43(2), 1996.
.. [2] W. Chen, S. Toueg and M. K. Aguilera, "On the quality of service of failure
   detectors", IEEE Transactions on Computers 51(5), 2002.
.. [3] N. Hayashibara, X. Défago, R. Yared and T. Katayama, "The φ accrual failure
   detector", SRDS 2004.
.. [4] A. Das, I. Gupta and A. Motivala, "SWIM: scalable weakly-consistent infection-style
   process group membership protocol", DSN 2002.
"""
from .heartbeat import Heartbeat, HeartbeatDetector, phi, PhiAccrualDetector
from .swim import Ack, ALIVE, FAULTY, Ping, PingReq, SUSPECT, SwimDetector
from .quality import accuracy, completeness, detector_quality, tradeoff
__all__ = ["Heartbeat", "HeartbeatDetector", "phi", "PhiAccrualDetector", "ALIVE", "SUSPECT", "FAULTY", "Ping",
           "PingReq", "Ack", "SwimDetector", "detector_quality", "completeness", "accuracy", "tradeoff"]
