"""The unreliable link of chapter 1, declared: a client sends deposits to a bank over a lossy link.

The learner moves the link's latency, loss, duplication and reordering, crashes the client or the
server for a while, and changes the seed; every change re-runs
:func:`~dsysedu.protocols.basics.request_reply_scenario`. The table counts the messages and says
how many deposits ended with an *unknown outcome* (no reply in time: did the money arrive?).

Examples
--------
>>> from dsysedu.widgets import Playground
>>> pg = Playground(UNRELIABLE_LINK)
>>> pg.controls["crash"].buttons[1].value = True     # crash the server: a re-run
>>> pg.measures["crashes"]
1
"""
from __future__ import annotations

from dsysedu.protocols.basics import request_reply_scenario
from dsysedu.protocols.basics.request_reply import link_metrics
from dsysedu.sim import Crash, LinkModel, Scenario, Uniform
from .playground import run_summary
from .spec import LinkSliders, NodeToggles, PlaygroundSpec, Seed

__all__ = ["UNRELIABLE_LINK", "unreliable_link"]


def unreliable_link(link=LinkModel(latency=Uniform(0.01, 0.06), loss=0.2), crash=(), crash_at=0.8,
                    crash_until=1.6) -> Scenario:
    """Chapter 1's client (node 0) and server (node 1) over ``link``; the nodes in ``crash`` are down
    from ``crash_at`` to ``crash_until`` (None: for good)."""
    return request_reply_scenario(loss=link.loss, latency=link.latency, duplicate=link.duplicate,
                                  reorder=link.reorder,
                                  faults=[Crash(n, at=crash_at, until=crash_until) for n in crash])


UNRELIABLE_LINK = PlaygroundSpec(
    unreliable_link,
    controls=[LinkSliders("link", group="Network"),
              NodeToggles("crash", window=("crash_at", "crash_until"), group="Crashes",
                          labels={0: "crash client", 1: "crash server"}),
              Seed(group="Seed")],
    views=("topology", "spacetime"),
    measures=(run_summary, link_metrics),
    tabs=True, fork=True)
