"""What strong consistency costs in latency: quorum sizes in the WARS model, CP against AP in the simulator.

Consistency is paid for in waiting. A quorum write waits for the W-th acknowledgement and a
quorum read for the R-th answer, so a larger quorum waits for a slower replica;
:func:`quorum_latency` draws those waits from the same WARS delays as
:func:`~dsysedu.protocols.replication.quorum.consistency_probability` (Bailis et al. 2012) and
returns their median and 99th percentile. :func:`operation_latency` measures what clients
really waited in a simulated history, and :func:`cp_ap_latency` compares the chapter's two
registers on the same network without a partition: ABD majority quorums (linearizable, two
round trips to a majority per operation) against last-writer-wins replicas that answer at once.

References
----------
.. [1] P. Bailis, S. Venkataraman, M. J. Franklin, J. M. Hellerstein and I. Stoica, "Probabilistically
   bounded staleness for practical partial quorums", VLDB 2012 (the WARS model; latency against
   staleness for each N, R, W).
.. [2] D. Abadi, "Consistency tradeoffs in modern distributed database system design: CAP is only
   part of the story", IEEE Computer 45(2), 2012 (PACELC: else, latency against consistency).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dsysedu.check.history import History
from dsysedu.sim.kernel import run
from dsysedu.sim.streams import normalize_seed, numpy_stream
from dsysedu.sim.validate import positive_int
from .cap import cap_scenario
from .quorum import WARS, check_quorum, sample_delays

__all__ = ["quorum_latency", "operation_latency", "cp_ap_latency"]


def quorum_latency(n: int, r: int, w: int, *, delays: WARS | None = None, trials: int = 20_000,
                   seed=None) -> dict:
    """Median and 99th-percentile latency of a quorum write and a quorum read (seconds).

    A write is acknowledged at the W-th smallest ``W_i + A_i``, a read completes at the R-th
    smallest ``R_i + S_i`` (the WARS delays, :class:`~dsysedu.protocols.replication.quorum.WARS`).

    Parameters
    ----------
    n, r, w : int
        Replicas, read quorum, write quorum (``1 <= r, w <= n``).
    delays : WARS, optional
    trials : int
    seed : None, int or numpy.random.Generator

    Returns
    -------
    dict
        ``write_median, write_p99, read_median, read_p99`` in seconds.

    Raises
    ------
    ValueError, TypeError
        For ``R`` or ``W`` outside ``1..N`` or a bad trial count.

    Examples
    --------
    >>> fast, safe = quorum_latency(3, 1, 1, seed=1), quorum_latency(3, 2, 2, seed=1)
    >>> safe["write_median"] > fast["write_median"] and safe["read_p99"] > fast["read_p99"]
    True
    """
    check_quorum(n, r, w)
    positive_int("trials", trials)
    delays = WARS() if delays is None else delays
    if not isinstance(delays, WARS):
        raise TypeError(f"delays must be a WARS(write, ack, read, response), got {delays!r}")
    rng = numpy_stream(normalize_seed(seed), "quorum latency")
    shape = (trials, n)
    write = np.sort(sample_delays(delays.write, rng, shape) + sample_delays(delays.ack, rng, shape), axis=1)[:, w - 1]
    read = sample_delays(delays.read, rng, shape) + sample_delays(delays.response, rng, shape)
    read = np.sort(read, axis=1)[:, r - 1]
    return {"write_median": float(np.median(write)), "write_p99": float(np.quantile(write, 0.99)),
            "read_median": float(np.median(read)), "read_p99": float(np.quantile(read, 0.99))}


def operation_latency(history: History) -> pd.DataFrame:
    """How long each completed (``ok``) operation of a history took: columns ``id, client, kind, latency``."""
    if not isinstance(history, History):
        raise TypeError(f"operation_latency reads a History, got {type(history).__name__}")
    rows = [(op.id, op.client, op.kind, op.complete - op.invoke) for op in history
            if op.status == "ok" and op.complete is not None]
    return pd.DataFrame(rows, columns=["id", "client", "kind", "latency"])


def cp_ap_latency(seeds=range(5), **scenario_args) -> pd.DataFrame:
    """Client-observed latency of the CP (ABD) and AP (last writer wins) registers, no partition.

    Parameters
    ----------
    seeds : iterable of int
        One run per seed and mode.
    **scenario_args
        More arguments for :func:`~dsysedu.protocols.replication.cap.cap_scenario` (``replicas``,
        ``link``, ``until``...).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(mode, kind)``: ``median_ms``, ``p99_ms`` and ``operations``.
    """
    frames = []
    for mode in ("CP", "AP"):
        for seed in seeds:
            trace = run(cap_scenario(mode, partition=None, **scenario_args), seed=seed)
            frames.append(operation_latency(History.from_trace(trace)).assign(mode=mode, seed=seed))
    df = pd.concat(frames, ignore_index=True)
    g = df.groupby(["mode", "kind"]).latency
    return pd.DataFrame({"median_ms": g.median() * 1000, "p99_ms": g.quantile(0.99) * 1000, "operations": g.size()})
