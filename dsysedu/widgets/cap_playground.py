"""The CAP playground: partition a replicated register and choose, CP or AP, what to give up.

:data:`CAP` declares it: :func:`~dsysedu.protocols.replication.cap.cap_scenario` (5 replicas, 4
clients, 3 simulated seconds by default) built from the partition the learner draws (each replica
on side A or B, and a from–to window), the mode (CP: majority quorums; AP: answer locally, last
writer wins), the write share and the seed. Every change re-runs the bounded scenario; Play and
the time slider only redraw. The picture is a :class:`~dsysedu.viz.cap.CapPanel` (the network
and the client history); the table holds :func:`~dsysedu.protocols.replication.cap.cap_measures`:
answered, stale reads, lost writes, linearizable.
"""
from __future__ import annotations

from dsysedu.protocols.replication.cap import MODES, cap_measures, cap_scenario, default_partition
from .playground import Playground, median_ms
from .spec import Choice, PartitionSides, PlaygroundSpec, Seed, Slider

__all__ = ["CAP", "CapPlayground", "cap_table", "cap_rerun_ms"]


def cap_table(m) -> dict:
    """The table's rows for :class:`~dsysedu.protocols.replication.cap.CapMeasures`."""
    return {"answered": m.answered, "stale reads": m.stale_reads, "lost writes": m.lost_writes,
            "linearizable": m.linearizable, "operations": m.operations, "refused (fail)": m.failed,
            "unknown (info)": m.unknown}


CAP = PlaygroundSpec(
    cap_scenario,
    controls=[Choice("mode", MODES, buttons=True, width="60px",
                     tooltips=("majority quorums: consistent, refuses on the minority side",
                               "answer locally, last writer wins: available, not consistent")),
              Slider("write_share", 0.0, 1.0, 0.05),
              Seed(),
              PartitionSides("partition", nodes=lambda v: range(v["replicas"]), window=("partition_at", "heal_at"),
                             group="partition", help="Put each replica on side A or B; the window says when the "
                             "network is cut. Each client sits next to a replica, on its side.")],
    views=("topology", "history"),
    measures=cap_measures, table=cap_table,
    notes=lambda values, trace, m: [] if m.linearizable is not None else ["linearizability undecided (search budget)"],
    view_options=lambda v: {"clients": range(v["replicas"], v["replicas"] + v["clients"]), "until": v["until"]},
    defaults={"seed": 7, "partition": default_partition(5)}, frames=120, css="dsysedu-cap")


class CapPlayground(Playground):
    """The :data:`CAP` playground.

    Parameters
    ----------
    partition : "default", None or list of lists of replica ids
        Starting sides (default: a minority and a majority).
    **values
        Starting values of :func:`~dsysedu.protocols.replication.cap.cap_scenario`'s parameters
        (``mode``, ``replicas``, ``clients``, ``partition_at``, ``heal_at``, ``until``,
        ``write_share``...) and ``seed`` (default 7).

    Raises
    ------
    ValueError
        For a mode outside ("CP", "AP"), bad counts or times, a write share outside [0, 1]
        (the messages of :func:`~dsysedu.protocols.replication.cap.cap_scenario`).

    Examples
    --------
    >>> pg = CapPlayground(mode="AP")
    >>> pg.measures.answered
    1.0
    """

    def __init__(self, partition="default", **values):
        if isinstance(partition, str) and partition == "default":
            partition = default_partition(values.get("replicas", 5))
        super().__init__(CAP, partition=partition, **values)


def cap_rerun_ms(repeats: int = 7) -> float:
    """Median wall milliseconds of one re-run + redraw (run, measure, draw, PNG) of the default
    playground in a warm process; each repeat changes the seed (which re-runs)."""
    pg = CapPlayground()
    return median_ms(lambda i: setattr(pg.controls["seed"].box, "value", 100 + i), repeats)
