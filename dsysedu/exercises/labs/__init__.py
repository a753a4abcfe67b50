"""Protocol labs: the learner writes a whole server, a workload, a nemesis and checkers grade it.

In the manner of DSLabs and Fly.io's Gossip Glomers (on Maelstrom), inside Jupyter: a lab gives
client requests in Maelstrom's shapes (:mod:`.messages`), the learner writes a :class:`LabNode`
subclass that answers them, and :func:`grade_lab` runs it over many seeds under partitions,
crashes and loss (:mod:`.workloads`), judges every run with the course's checkers
(:mod:`.checks`), model-checks it where the state space allows, and awards points per part
(:mod:`.ladder`). A failure comes back with its seed and its space-time diagram.

>>> from dsysedu.exercises.labs import LABS
>>> list(LABS)
['echo', 'unique-ids', 'broadcast', 'g-counter', 'kafka', 'raft']

Reference solutions are not part of the package: they are in the lab notebooks' solution cells
(``notebooks/labs/``), which the student version leaves out.
"""
from .checks import *  # noqa: F401,F403
from .checks import __all__ as _checks
from .client import *  # noqa: F401,F403
from .client import __all__ as _client
from .grading import *  # noqa: F401,F403
from .grading import __all__ as _grading
from .ladder import *  # noqa: F401,F403
from .ladder import __all__ as _ladder
from .messages import *  # noqa: F401,F403
from .messages import __all__ as _messages
from .workloads import *  # noqa: F401,F403
from .workloads import __all__ as _workloads

__all__ = [*_messages, *_client, *_workloads, *_checks, *_ladder, *_grading]
