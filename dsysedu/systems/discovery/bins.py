"""Balls into bins: why two random choices balance load so much better than one.

Throw ``n`` balls into ``n`` bins. One random bin per ball leaves the fullest bin with about
``ln n / ln ln n`` balls (with high probability); choosing the less loaded of ``d >= 2`` random
bins leaves about ``ln ln n / ln d`` (plus a constant): an exponential improvement that a third
choice barely improves further (Azar, Broder, Karlin and Upfal [1]_; Mitzenmacher [2]_). This
is the reason behind the ``p2c`` balancer of :mod:`~dsysedu.systems.discovery.balancing`.

References
----------
.. [1] Y. Azar, A. Z. Broder, A. R. Karlin, E. Upfal, "Balanced Allocations", SIAM J. Computing
   29(1), 1999 (STOC 1994).
.. [2] M. Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE TPDS 12(10), 2001.
"""
from __future__ import annotations

import math

import numpy as np

from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import positive_int

__all__ = ["max_load", "one_choice_bound", "d_choice_bound", "balls_into_bins_table"]


def max_load(n: int, d: int = 1, balls: int | None = None, seed=None) -> int:
    """The fullest bin after ``balls`` (default ``n``) balls each go to the least loaded of ``d``
    bins drawn uniformly at random (with replacement; ties: the first drawn).

    Parameters
    ----------
    n : int
        Bins.
    d : int
        Choices per ball (1: plain random).
    seed : None, int or numpy.random.Generator

    Examples
    --------
    >>> max_load(1000, d=2, seed=1) <= max_load(1000, d=1, seed=1)
    True
    """
    positive_int("n", n, high=10_000_000)
    positive_int("d", d, high=64)
    balls = n if balls is None else positive_int("balls", balls, low=0, high=100_000_000)
    rng = np.random.default_rng(normalize_seed(seed))
    if d == 1:
        return int(np.bincount(rng.integers(0, n, balls), minlength=n).max()) if balls else 0
    load = np.zeros(n, dtype=np.int64)
    picks = rng.integers(0, n, (balls, d))
    for row in picks.tolist():            # sequential: each ball sees the loads the earlier ones left
        best = row[0]
        for b in row[1:]:
            if load[b] < load[best]:
                best = b
        load[best] += 1
    return int(load.max())


def one_choice_bound(n: int) -> float:
    """``ln n / ln ln n``: the leading term of the maximum load with one choice."""
    return math.log(n) / math.log(math.log(n))


def d_choice_bound(n: int, d: int = 2) -> float:
    """``ln ln n / ln d``: the leading term of the maximum load with ``d`` choices (up to a constant)."""
    return math.log(math.log(n)) / math.log(d)


def balls_into_bins_table(sizes=(100, 1_000, 10_000, 100_000), seeds=range(5), choices=(1, 2, 3), seed=0):
    """Mean maximum load over ``seeds`` per ``n`` and ``d``, beside the two leading terms.

    Returns a DataFrame indexed by ``n`` with columns ``"d=1"``, ``"d=2"``, ... and
    ``"ln n / ln ln n"``, ``"ln ln n / ln 2"``.
    """
    import pandas as pd
    base = normalize_seed(seed)
    rows = {}
    for n in sizes:
        row = {f"d={d}": float(np.mean([max_load(n, d, seed=base + 1000 * d + s) for s in seeds]))
               for d in choices}
        row["ln n / ln ln n"] = one_choice_bound(n)
        row["ln ln n / ln 2"] = d_choice_bound(n, 2)
        rows[n] = row
    return pd.DataFrame(rows).T.rename_axis("n")
