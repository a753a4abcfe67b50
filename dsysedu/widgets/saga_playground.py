"""The saga playground: an order saga (or two-phase commit) with a failing step and crashes.

:data:`SAGA` declares it: :func:`saga_playground_scenario` builds the order saga, orchestrated
or choreographed (:mod:`dsysedu.protocols.transactions.saga`), or two-phase commit over three
participants (:mod:`dsysedu.protocols.transactions.twopc`) for contrast, with the step that
fails (a slider: 0 for none), crashes of the coordinator or a service in a from–to window, and
lost or duplicated messages. The space-time view shows the requests, the compensations and the
retries; the table says how the run ended and whether the properties hold (``verdict`` gives the
first one that fails, as a Verdict):
compensations in reverse order, each effect at most once, all-done or all-compensated (for 2PC:
atomicity, and whether every participant decided or some are blocked).
"""
from __future__ import annotations

from dsysedu.check import Verdict
from dsysedu.protocols.transactions.saga import ORCHESTRATOR, STEPS, saga_outcomes, saga_scenario
from dsysedu.protocols.transactions.saga_choreography import choreography_scenario
from dsysedu.protocols.transactions.saga_runs import saga_verdicts
from dsysedu.protocols.transactions.twopc import ABORTED, COMMITTED, COORDINATOR, twopc_scenario
from dsysedu.sim import Crash, LinkModel, Uniform
from .spec import Choice, NodeToggles, PlaygroundSpec, Seed, Slider

__all__ = ["SAGA", "STYLES", "saga_playground_scenario", "saga_measures", "saga_verdict"]

STYLES = ("orchestration", "choreography", "2PC")
PARTICIPANTS = ("p1", "p2", "p3")
_LABELS = {ORCHESTRATOR: "coordinator", COORDINATOR: "coordinator", **{s: s for s in STEPS},
           **{p: p for p in PARTICIPANTS}}


def style_nodes(style) -> tuple:
    """The nodes of a style, coordinator first."""
    return {"orchestration": (ORCHESTRATOR, *STEPS), "choreography": STEPS,
            "2PC": (COORDINATOR, *PARTICIPANTS)}[style]


def saga_playground_scenario(style="orchestration", fail_step=3, crash=(), crash_at=0.01, crash_until=0.3,
                             loss=0.0, duplicate=0.0, until=1.0):
    """One order saga (or one 2PC transaction) with the given failure and faults.

    Parameters
    ----------
    style : {"orchestration", "choreography", "2PC"}
    fail_step : int
        The step (1..3) whose local transaction fails; 0: none. In 2PC, participant ``p{k}``
        aborts on its own before it votes.
    crash : tuple of node ids
        Nodes down from ``crash_at`` to ``crash_until`` (None: for good). Nodes of another
        style are ignored (the toggles outlive a change of style).
    loss, duplicate : float
        Probability that a message is lost, delivered twice.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    if isinstance(fail_step, bool) or not isinstance(fail_step, int) or not 0 <= fail_step <= 3:
        raise ValueError(f"fail_step must be 0 (no failure) or a step 1..3, got {fail_step!r}")
    nodes = style_nodes(style)
    faults = [Crash(n, at=crash_at, until=crash_until) for n in crash if n in nodes]
    link = LinkModel(latency=Uniform(0.008, 0.012), loss=loss, duplicate=duplicate)
    common = dict(faults=faults, link=link, until=until)
    if style == "2PC":
        params = {p: {"abort_after": 0.001 if k == fail_step else None} for k, p in enumerate(PARTICIPANTS, 1)}
        return twopc_scenario(3, node_params=params, **common)
    build = saga_scenario if style == "orchestration" else choreography_scenario
    return build(fail_step or None, by_client=False, **common)


def _style_of(trace) -> str:
    return "2PC" if COORDINATOR in trace.nodes else "orchestration" if ORCHESTRATOR in trace.nodes else "choreography"


def _twopc_phases(trace) -> dict:
    phase = {}
    for e in trace.events:
        if e.kind == "observe" and e.data == "phase" and e.node in PARTICIPANTS:
            phase[e.node] = e.value
    return phase


def saga_measures(trace) -> dict:
    """Outcome, messages, effects and compensations of a run (for 2PC: decisions and blocked participants)."""
    sends = trace.count("send")
    if _style_of(trace) == "2PC":
        phase = _twopc_phases(trace)
        decided = [p for p in PARTICIPANTS if phase.get(p) in (COMMITTED, ABORTED)]
        outcome = ("committed" if all(phase.get(p) == COMMITTED for p in PARTICIPANTS) else
                   "aborted" if len(decided) == 3 and all(phase[p] == ABORTED for p in decided) else "blocked")
        values = set(phase.values())
        return {"outcome": outcome, "atomicity": _word(not {COMMITTED, ABORTED} <= values),
                "every participant decided": _word(len(decided) == 3), "messages": sends,
                "decided": len(decided), "blocked (prepared)": sum(phase.get(p) == "prepared" for p in PARTICIPANTS)}
    effects = [e.value[1] for e in trace.events if e.kind == "observe" and e.data == "effect"]
    out = {"outcome": saga_outcomes(trace).get("s1", "running")}
    out.update({v.property: _word(v.ok) for v in saga_verdicts(trace)})
    out.update({"messages": sends, "steps done": effects.count("do"), "compensations": effects.count("undo")})
    return out


def _word(ok: bool) -> str:
    return "holds" if ok else "VIOLATED"


def saga_verdict(trace) -> Verdict:
    """The first property that fails, or that all hold (for 2PC: atomicity, then 'every participant decided')."""
    if _style_of(trace) == "2PC":
        phase = _twopc_phases(trace)
        values = set(phase.values())
        if {COMMITTED, ABORTED} <= values:
            return Verdict(False, "atomicity", "some participants committed and some aborted")
        stuck = sorted(p for p in PARTICIPANTS if phase.get(p) not in (COMMITTED, ABORTED))
        if stuck:
            return Verdict(False, "every participant decided", f"{', '.join(stuck)} blocked, holding locks")
        return Verdict(True, "atomicity", f"all {phase['p1']}")
    verdicts = saga_verdicts(trace)
    bad = [v for v in verdicts if not v.ok]
    if bad:
        return bad[0]
    return Verdict(True, "saga properties", "reverse order, at most once, " + verdicts[2].message)


SAGA = PlaygroundSpec(
    saga_playground_scenario,
    controls=[Choice("style", STYLES, buttons=True, width="120px",
                     tooltips=("a coordinator with a durable saga log", "services react to each other's events",
                               "two-phase commit: locks held until the coordinator decides")),
              Slider("fail_step", 0, 3, 1, label="failing step"),
              Slider("loss", 0.0, 0.5, 0.05), Slider("duplicate", 0.0, 0.5, 0.05),
              Seed(),
              NodeToggles("crash", nodes=lambda v: style_nodes(v["style"]), window=("crash_at", "crash_until"),
                          labels=_LABELS, group="crashes",
                          help="Crash the coordinator or a service for a while (the window); a crash with no end "
                               "is for good.")],
    views=("spacetime",),
    measures=saga_measures, verdict=saga_verdict,
    view_options={"views": ("spacetime",), "size": (8.6, 3.5)},   # the panel is not told spec.views by itself
    defaults={"seed": 7}, frames=100, css="dsysedu-saga")
