"""dsysedu: learn distributed systems by running, breaking and checking them.

The one flow: a :class:`~dsysedu.sim.Scenario` runs (seeded, bounded) into a
:class:`~dsysedu.sim.Trace`; views in :mod:`dsysedu.viz` draw traces; controls
in :mod:`dsysedu.widgets` edit scenarios and scrub traces. :func:`sweep` runs a grid of
seeded runs on any executor (serial, a process pool, a Dask cluster).
"""
from .sim import *  # noqa: F401,F403
from .sim import __all__ as _sim_all
from .sweep import sweep  # noqa: F401  (the function; the module stays importable as dsysedu.sweep)

__version__ = "0.1.0"
__all__ = [*_sim_all, "sweep"]
