"""Grading a lab: run every part, award its points, and hand back the first failure to look at.

:func:`grade_lab` runs each part of a lab (:mod:`.ladder`) against the learner's node class and
returns a :class:`LabReport`: points per part, and for a part that failed, the seed of the failing
run, the checker's verdict and the run's trace. The report draws the failure as a space-time
diagram with the checker's evidence ringed (:meth:`LabReport.draw`), and says the call that
replays it: ``grade_lab("broadcast", MyNode, seed=3)`` runs every part at seed 3 only.

Examples
--------
>>> from dsysedu.exercises.labs.client import LabNode
>>> report = grade_lab("echo", LabNode, parts=["echo"])
>>> report.points, report.failure.seed
({'echo': 0}, 0)
"""
from __future__ import annotations

import html
import os
import traceback
from dataclasses import dataclass, field

from dsysedu.check import Verdict
from dsysedu.check.model_checker import check as model_check
from dsysedu.sim.kernel import run
from dsysedu.sim.node import Node

from .client import is_server
from .ladder import LABS
from .workloads import lab_scenario

__all__ = ["grade_lab", "lab_run", "LabReport", "Failure"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Failure:
    """Where a part failed: the seed (None for the model checker), the verdict and the trace to draw."""
    part: str
    seed: int | None
    verdict: Verdict
    trace: object = field(default=None, repr=False)


@dataclass
class LabReport:
    """Points per part (``points``, out of ``possible``) and the failures, first one first."""
    lab: str
    node_class: str
    points: dict
    possible: dict
    failures: list
    seeds: dict
    node_cls: type = field(default=None, repr=False)

    @property
    def total(self) -> int:
        return sum(self.points.values())

    @property
    def out_of(self) -> int:
        return sum(self.possible.values())

    @property
    def failure(self) -> Failure | None:
        return self.failures[0] if self.failures else None

    def replay_call(self) -> str | None:
        """The call that runs the first failing run again (None if it was the model checker's)."""
        f = self.failure
        if f is None or f.seed is None:
            return None
        return f"grade_lab({self.lab!r}, {self.node_class}, seed={f.seed})"

    def text(self) -> str:
        lines = [f"{self.lab}: {self.total} of {self.out_of} points for {self.node_class}"]
        for part, pts in self.points.items():
            runs = self.seeds[part]
            lines.append(f"  {part}: {pts}/{self.possible[part]}" + (f" ({runs})" if runs else ""))
        f = self.failure
        if f is not None:
            where = "the model checker" if f.seed is None else f"seed {f.seed}"
            lines.append(f"First failure, {f.part} ({where}): {f.verdict.property}: {f.verdict.message}")
            if self.replay_call():
                lines.append(f"  replay it: {self.replay_call()}")
        return "\n".join(lines)

    __repr__ = text

    def _repr_html_(self) -> str:
        from dsysedu.viz import style

        left = "text-align:left;padding-right:1.5em"
        rows = "".join(f"<tr><td style='{left}'>{html.escape(p)}</td><td style='text-align:right'>{pts} / "
                       f"{self.possible[p]}</td><td style='{left}'>{html.escape(self.seeds[p])}</td></tr>"
                       for p, pts in self.points.items())
        colour = style.VERDICT_OK if not self.failures else style.NOT_YET
        more = ""
        if self.failure is not None:
            more = "<br>" + html.escape(self.text().split("\n", len(self.points) + 1)[-1]).replace("\n", "<br>")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px"><b>{html.escape(self.lab)}: '
                f'{self.total} of {self.out_of} points</b><table>{rows}</table>{more}</div>')

    def draw(self, ax=None, max_lanes: int = 8, window: float = 0.6):
        """The first failure's run as a space-time diagram, the checker's evidence ringed.

        Shows the servers and the clients the evidence names (at most ``max_lanes`` lanes), around
        the time of the evidence; a model checker's counterexample is drawn whole. With no failure,
        the first ``window`` seconds of the first part's first run; with a failure that has no run
        (the node raised), its message on an empty figure.
        """
        from dsysedu.viz.spacetime import spacetime

        f = self.failure
        if f is None:
            part = next(p for p in LABS[self.lab].parts if p.workload is not None)
            seed = int(self.seeds[part.name].split()[-1].split("-")[0])
            trace = lab_run(self.lab, part.name, self.node_cls, seed)
            lanes = [n for n in trace.nodes if is_server(n)][:max_lanes - 1]
            lanes += ["c0"] if any(r[1] == "send" and r[2] == "c0" for r in trace.rows) else []
            return spacetime(trace, ax=ax, nodes=lanes, t_range=(0.0, window),
                             title=f"{self.lab} / {part.name} (seed {seed}): passed; the first {window:g} s")
        if f.trace is None:
            import matplotlib.pyplot as plt

            if ax is None:
                ax = plt.figure(figsize=(9, 1.2)).add_subplot()
            ax.set_axis_off()
            ax.text(0.0, 0.5, f"{self.lab} / {f.part}: {f.verdict.message}", va="center", wrap=True)
            return ax
        trace, events = f.trace, list(f.verdict.events)
        named = [trace.rows[s][2] for s in events] + [trace.rows[s][3] for s in events]
        lanes = [n for n in trace.nodes if is_server(n)]
        lanes = lanes[:max(2, max_lanes - len(set(named) - set(lanes)))]
        lanes += sorted({n for n in named if n in trace.nodes and n not in lanes})
        t_range = None
        if f.seed is None:          # a model checker's path is short: draw all of it, every lane
            lanes = list(trace.nodes)
        elif events:
            times = [trace.rows[s][0] for s in events]
            pad = max(0.1, 0.1 * (max(times) - min(times)))
            t_range = (max(0.0, min(times) - pad), max(times) + 0.1)
        where = "model checker" if f.seed is None else f"seed {f.seed}"
        return spacetime(trace, ax=ax, highlight=events or None, nodes=lanes[:max_lanes + 4], t_range=t_range,
                         title=f"{self.lab} / {f.part} ({where}): {f.verdict.property} violated")


def lab_run(lab: str, part: str, node_cls, seed: int = 0):
    """One graded run of ``node_cls`` in a part of a lab, as a Trace to look at (no grading).

    Examples
    --------
    >>> from dsysedu.exercises.labs.client import LabNode
    >>> lab_run("echo", "echo", LabNode, seed=1).ended_by
    'time'
    """
    if lab not in LABS:
        raise ValueError(f"unknown lab {lab!r}; labs are {list(LABS)}")
    runs = {p.name: p for p in LABS[lab].parts if p.workload is not None}
    if part not in runs:
        raise ValueError(f"lab {lab!r} has no part {part!r} with runs; its parts with runs are {list(runs)}")
    return run(lab_scenario(node_cls, runs[part].workload, seed, name=f"{lab} / {part}"), seed=seed)


def _learner_error(exc: BaseException) -> str:
    """The exception and the line of the learner's code (the last frame outside dsysedu and libraries)."""
    if isinstance(exc, NotImplementedError):
        return "not written yet: replace `raise NotImplementedError()` in your node with your code"
    what = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frames = [fr for fr in traceback.extract_tb(exc.__traceback__)
              if not fr.filename.startswith(_PACKAGE) and "site-packages" not in fr.filename]
    if frames:
        fr = frames[-1]
        return f"your node raised {what} in {fr.name}, line {fr.lineno}: {(fr.line or '').strip()}"
    return f"your node raised {what}"


def _run_part(lab, part, node_cls, seeds):
    for seed in seeds:
        scenario = lab_scenario(node_cls, part.workload, seed, name=f"{lab} / {part.name}")
        try:
            trace = run(scenario, seed=seed)
        except Exception as exc:   # the learner's bug: report it as a failure, do not crash the notebook
            return Failure(part.name, seed, Verdict(False, "runs without error", _learner_error(exc)))
        if trace.truncated:        # a message storm or a timer loop: the run was cut, nothing is judged
            return Failure(part.name, seed, Verdict(
                False, "runs within its bounds", f"the run was cut at {trace.end_time:.2f} s by its bound "
                f"({trace.ended_by}: {scenario.max_events:,} events); does a handler send or set timers "
                f"without end?"), trace)
        verdict = part.check(trace)
        if not verdict.ok:
            return Failure(part.name, seed, verdict, trace)
    return None


def _model_part(part, node_cls):
    try:
        model, prop, options = part.model(node_cls)
        result = model_check(model, prop, **options)
    except AttributeError as exc:   # the property reads fields the lab names (role, current_term...)
        return Failure(part.name, None, Verdict(False, "model-checked", f"the model checker reads your node's "
                                                                        f"fields, and: {exc}")), ""
    except Exception as exc:   # the learner's bug (in a handler, or a state the checker cannot store)
        return Failure(part.name, None, Verdict(False, "model-checked", _learner_error(exc))), ""
    if result.verdict == "violation":
        return Failure(part.name, None, result.to_verdict(), result.to_trace()), f"{result.states:,} states"
    return None, f"{result.states:,} states, {result.verdict}"


def grade_lab(lab: str, node_cls, seed: int | None = None, parts=None, first_seed: int = 0) -> LabReport:
    """Grade ``node_cls`` on every part of ``lab`` (or the parts named in ``parts``).

    Parameters
    ----------
    lab : str
        One of :data:`~.ladder.LABS` (``"echo"``, ``"unique-ids"``, ``"broadcast"``, ``"g-counter"``,
        ``"kafka"``, ``"raft"``).
    node_cls : LabNode subclass
        The learner's server.
    seed : int, optional
        Run each part at this seed only (to replay a failure); by default each part runs its
        seeds ``first_seed .. first_seed + part.seeds - 1`` and stops at the first failing one.
    parts : list of str, optional
        Grade only these parts.
    first_seed : int
        Where each part's seeds start (the hidden tests of a lab notebook grade other seeds than
        the learner tried).

    Raises
    ------
    ValueError
        For an unknown lab or part, or a negative seed.
    TypeError
        If ``node_cls`` is not a Node subclass.
    """
    if lab not in LABS:
        raise ValueError(f"unknown lab {lab!r}; labs are {list(LABS)}")
    if not (isinstance(node_cls, type) and issubclass(node_cls, Node)):
        raise TypeError(f"grade_lab needs your node class itself (a LabNode subclass), got {node_cls!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be None or an int >= 0, got {seed!r}")
    if isinstance(first_seed, bool) or not isinstance(first_seed, int) or first_seed < 0:
        raise ValueError(f"first_seed must be an int >= 0, got {first_seed!r}")
    chosen = LABS[lab].parts
    if parts is not None:
        names = [p.name for p in chosen]
        unknown = [p for p in parts if p not in names]
        if unknown:
            raise ValueError(f"lab {lab!r} has no part(s) {unknown}; its parts are {names}")
        chosen = [p for p in chosen if p.name in parts]
    points, possible, failures, seeds = {}, {}, [], {}
    for part in chosen:
        possible[part.name] = part.points
        if part.model is not None:
            failure, seeds[part.name] = _model_part(part, node_cls)
        else:
            which = [seed] if seed is not None else list(range(first_seed, first_seed + part.seeds))
            failure = _run_part(lab, part, node_cls, which)
            seeds[part.name] = f"seed {seed}" if seed is not None else f"seeds {which[0]}-{which[-1]}"
        points[part.name] = 0 if failure else part.points
        if failure:
            failures.append(failure)
    return LabReport(lab, node_cls.__name__, points, possible, failures, seeds, node_cls)
