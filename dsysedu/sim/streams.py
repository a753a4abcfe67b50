"""Seeds and independent random streams.

Every random choice in a run comes from a stream named after its concern
(``"network"``, ``"faults"``, ``"node:3"`` ...). A stream is derived from the
run's seed and its own name only, so adding a new stream never shifts the
numbers an existing one produces: the network keeps dropping the same messages
when a protocol starts drawing random timeouts.
"""
from __future__ import annotations

import random
import zlib

import numpy as np

__all__ = ["normalize_seed", "stream", "numpy_stream"]


def normalize_seed(seed) -> int:
    """Turn ``None``, an ``int`` or a ``numpy.random.Generator`` into an int seed.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` draws fresh entropy (the chosen value is returned so the run
        can be repeated); an ``int`` must be non-negative.

    Raises
    ------
    TypeError
        If ``seed`` is of another type (``bool`` and ``float`` included).
    ValueError
        If ``seed`` is a negative int.

    Examples
    --------
    >>> normalize_seed(7)
    7
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be None, a non-negative int or a numpy Generator, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    return int(seed)


def _seed_sequence(seed: int, name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode()),))


def stream(seed: int, name: str) -> random.Random:
    """A ``random.Random`` for one concern of a run (fast scalar draws)."""
    state = _seed_sequence(seed, name).generate_state(4)
    return random.Random(int.from_bytes(state.tobytes(), "little"))


def numpy_stream(seed: int, name: str) -> np.random.Generator:
    """A ``numpy.random.Generator`` for one concern of a run (vector draws)."""
    return np.random.default_rng(_seed_sequence(seed, name))
