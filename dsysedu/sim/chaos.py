"""The Jepsen-style weather the randomized protocol runs share: a nemesis and a bad network."""
from __future__ import annotations

from .faults import Nemesis
from .network import LinkModel, Uniform

__all__ = ["chaos_weather"]


def chaos_weather(stop: float, nemesis: Nemesis | None = None, link: LinkModel | None = None,
                  loss: float = 0.02, **clock) -> tuple[Nemesis, LinkModel]:
    """Crashes, pauses and partitions until ``stop``; links that lose, duplicate and reorder.

    ``nemesis`` and ``link`` are passed through when given, so callers can override either.
    ``clock`` adds clock faults to the default nemesis: ``clock_rate``, ``max_jump``, ``max_drift``
    (see :class:`~dsysedu.sim.faults.Nemesis`).
    """
    unknown = set(clock) - {"clock_rate", "max_jump", "max_drift"}
    if unknown:
        raise TypeError(f"chaos_weather: unknown clock settings {sorted(unknown)}; "
                        "allowed: clock_rate, max_jump, max_drift")
    if nemesis is None:
        nemesis = Nemesis(crash_rate=0.8, mean_downtime=0.3, partition_rate=1.0, mean_partition=0.4,
                          pause_rate=0.2, stop=stop, **clock)
    elif clock:
        raise ValueError("chaos_weather: give the clock settings to your own nemesis, not beside it")
    if link is None:
        link = LinkModel(latency=Uniform(0.002, 0.02), loss=loss, duplicate=loss, reorder=True)
    return nemesis, link
