"""Chaos Toolkit experiments against the simulation: load and check them, run them, read their journal.

:func:`load_experiment` reads an experiment in Chaos Toolkit's JSON format and checks it twice:
with our own rules (below), then with ``chaoslib``'s own validator. :func:`run_experiment` runs it
with the real ``chaostoolkit-lib`` (``chaoslib.experiment.run_experiment``) against a
:class:`~dsysedu.ops.chaos.ChaosLab`, whose activities are the python-provider functions of
:mod:`dsysedu.ops.chaos`. :func:`read_journal` reads back the journal Chaos Toolkit wrote (the
dict it returns, or the ``journal.json`` file that ``chaos run`` writes): status, start, end,
duration, the steady state before and after, the method's run and the rollbacks, and a verdict
that names the probe that left its tolerance.

Our rules, on top of Chaos Toolkit's schema:

* ``title``, ``description``, ``steady-state-hypothesis`` (with probes), ``method`` and
  ``rollbacks`` are all present; every hypothesis probe has a ``tolerance``;
* every activity is a ``python`` provider of ``dsysedu.ops.chaos`` naming one of its probes
  (:data:`~dsysedu.ops.chaos.PROBES`) or actions (:data:`~dsysedu.ops.chaos.ACTIONS`);
* the blast radius is declared: an extension ``{"name": "blast-radius", "services": [...]}``
  names the services the method may touch, and every ``inject_fault`` targets one of them;
* a fault injected without a ``duration`` has a rollback that ends it (``end_faults``);
* ``configuration.lab`` describes the lab (its ``seed``, ``rate``, ``warmup``...), so the file
  says by itself which system and which seed it ran against.
"""
from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from dsysedu.check import Verdict

from .chaos import ACTIONS, MACHINES, PROBES, TARGETS, ChaosLab

__all__ = ["load_experiment", "check_experiment", "run_experiment", "read_journal", "Journal", "ProbeReading",
           "ActivityRun", "BLAST_RADIUS", "EXPERIMENTS_DIR", "experiment_path"]

BLAST_RADIUS = "blast-radius"
MODULE = "dsysedu.ops.chaos"
EXPERIMENTS_DIR = Path(__file__).resolve().parents[2] / "data" / "chaos"
_LAB_KEYS = ("seed", "rate", "warmup", "horizon", "timeout", "retries", "system", "loop")


def experiment_path(name: str) -> Path:
    """The path of one of the course's experiments in ``data/chaos/`` (``name`` without ``.json``)."""
    path = EXPERIMENTS_DIR / f"{name}.json"
    if not path.exists():
        known = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.json"))
        raise ValueError(f"no experiment {name!r} in {EXPERIMENTS_DIR}; there are {known}")
    return path


def load_experiment(source, targets=None) -> dict:
    """An experiment from a JSON file (path), a JSON string or a dict, checked (:func:`check_experiment`).

    Raises
    ------
    ValueError
        For text that is not JSON, or an experiment that breaks a rule; the message says which.
    """
    if isinstance(source, dict):
        experiment = copy.deepcopy(source)
    else:
        text = Path(source).read_text() if isinstance(source, Path) or not str(source).lstrip().startswith("{") \
            else str(source)
        try:
            experiment = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the experiment is not valid JSON: {exc}") from None
    check_experiment(experiment, targets)
    return experiment


def _python_activity(where: str, activity, allowed: tuple) -> dict:
    if not isinstance(activity, dict):
        raise ValueError(f"{where} must be an object (an activity), got {activity!r}")
    provider = activity.get("provider")
    if not isinstance(provider, dict) or provider.get("type") != "python":
        raise ValueError(f"{where} ({activity.get('name', '?')!r}) needs a provider of type 'python', "
                         f"got {provider!r}")
    if provider.get("module") != MODULE or provider.get("func") not in allowed:
        raise ValueError(f"{where} ({activity.get('name', '?')!r}) must call {MODULE} with func one of {allowed}, "
                         f"got {provider.get('module')!r}.{provider.get('func')!r}")
    arguments = provider.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ValueError(f"{where} ({activity.get('name', '?')!r}): arguments must be an object, got {arguments!r}")
    return arguments


def check_experiment(experiment, targets=None) -> None:
    """Check an experiment against our rules (module docstring) and Chaos Toolkit's validator.

    ``targets``: the services its faults may name (default: the lab's, :data:`~dsysedu.ops.chaos.TARGETS`
    and :data:`~dsysedu.ops.chaos.MACHINES`).

    Raises ValueError saying what is wrong and what is allowed.
    """
    if not isinstance(experiment, dict):
        raise ValueError(f"an experiment is a JSON object, got {type(experiment).__name__}")
    missing = [k for k in ("title", "description", "steady-state-hypothesis", "method", "rollbacks")
               if k not in experiment]
    if missing:
        raise ValueError(f"the experiment lacks {missing}; an experiment has a title, a description, a "
                         f"steady-state-hypothesis, a method and rollbacks")
    hypothesis = experiment["steady-state-hypothesis"]
    if not isinstance(hypothesis, dict) or not hypothesis.get("probes"):
        raise ValueError("steady-state-hypothesis must be an object with a title and a non-empty list of probes")
    for i, probe in enumerate(hypothesis["probes"]):
        _python_activity(f"steady-state-hypothesis.probes[{i}]", probe, PROBES)
        if "tolerance" not in probe:
            raise ValueError(f"steady-state-hypothesis.probes[{i}] ({probe.get('name', '?')!r}) has no tolerance: "
                             f"a hypothesis probe says what it expects, e.g. "
                             f'{{"type": "range", "target": "value", "range": [0, 0.01]}}')
    if not isinstance(experiment["method"], list) or not experiment["method"]:
        raise ValueError("method must be a non-empty list of activities")
    if not isinstance(experiment["rollbacks"], list):
        raise ValueError("rollbacks must be a list of actions (it may be empty when every fault has a duration)")
    radius = [e for e in experiment.get("extensions", []) if isinstance(e, dict) and e.get("name") == BLAST_RADIUS]
    if not radius or not isinstance(radius[0].get("services"), list) or not radius[0]["services"]:
        raise ValueError(f"the experiment must declare its blast radius: an extension "
                         f'{{"name": "{BLAST_RADIUS}", "services": ["inventory"]}} naming the services it may touch')
    allowed = radius[0]["services"]
    known = TARGETS + MACHINES if targets is None else tuple(targets)
    bad = [s for s in allowed if s not in known]
    if bad:
        raise ValueError(f"the blast radius names {bad}; the services faults may target are {known}")
    open_ended = False
    for where, activities, funcs in (("method", experiment["method"], PROBES + ACTIONS),
                                     ("rollbacks", experiment["rollbacks"], ACTIONS)):
        for i, act in enumerate(activities):
            args = _python_activity(f"{where}[{i}]", act, funcs)
            if act["provider"]["func"] == "inject_fault":
                if args.get("service") not in allowed:
                    raise ValueError(f"{where}[{i}] ({act.get('name', '?')!r}) injects a fault on "
                                     f"{args.get('service')!r}, outside the declared blast radius {allowed}")
                open_ended |= args.get("duration") is None
    if open_ended and not any(a["provider"]["func"] == "end_faults" for a in experiment["rollbacks"]):
        raise ValueError("a fault injected without a duration lasts until a rollback ends it: add a rollback "
                         "calling end_faults")
    lab = experiment.get("configuration", {}).get("lab")
    if not isinstance(lab, dict) or set(lab) - set(_LAB_KEYS):
        raise ValueError(f"configuration.lab must describe the lab with keys from {_LAB_KEYS}, got {lab!r}")
    from chaoslib.exceptions import ChaosException
    from chaoslib.experiment import ensure_experiment_is_valid
    try:
        ensure_experiment_is_valid(copy.deepcopy(experiment))
    except ChaosException as exc:
        raise ValueError(f"Chaos Toolkit refuses the experiment: {exc}") from None


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def run_experiment(experiment, lab: ChaosLab | None = None) -> dict:
    """Run ``experiment`` with Chaos Toolkit against ``lab`` and return its journal (a dict).

    ``lab`` defaults to a new :class:`~dsysedu.ops.chaos.ChaosLab` built from the experiment's
    ``configuration.lab``. Chaos Toolkit's log lines go to ``lab.log`` instead of the console.

    Examples
    --------
    >>> journal = run_experiment(load_experiment(experiment_path("inventory_slow_holds")))
    >>> journal["status"], journal["deviated"]
    ('completed', False)
    """
    from chaoslib.experiment import run_experiment as chaoslib_run

    experiment = load_experiment(experiment, None if lab is None else lab.targets)
    if lab is None:
        lab = ChaosLab(**experiment["configuration"]["lab"])
    elif not isinstance(lab, ChaosLab):
        raise TypeError(f"lab must be a ChaosLab, got {lab!r}")
    logger = logging.getLogger("chaostoolkit")
    handler, level, propagate = _Collect(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        journal = chaoslib_run(experiment, settings={}, experiment_vars=({"lab": lab}, {}))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    lab.log = handler.lines
    return journal


@dataclass(frozen=True)
class ProbeReading:
    """One probe of a steady-state hypothesis as the journal holds it."""
    name: str
    service: str
    value: float
    tolerance: tuple
    met: bool
    start: float        # the simulated window the probe looked at
    end: float


@dataclass(frozen=True)
class ActivityRun:
    """One activity of the method or the rollbacks: its name, func, status and output."""
    name: str
    type: str
    func: str
    status: str
    output: object


@dataclass(frozen=True)
class Journal:
    """A Chaos Toolkit journal, read back (see :func:`read_journal`).

    ``start``, ``end`` and ``duration`` are Chaos Toolkit's wall-clock times; the readings'
    ``start``/``end`` are simulated seconds.
    """
    title: str
    status: str
    deviated: bool
    start: str
    end: str
    duration: float
    before: tuple
    after: tuple
    run: tuple
    rollbacks: tuple
    blast_radius: tuple

    @property
    def faults(self) -> list:
        """The faults the method injected and what the rollbacks ended (dicts with simulated times)."""
        out = [dict(r.output) for r in self.run if r.func == "inject_fault" and isinstance(r.output, dict)]
        for r in self.rollbacks:
            if r.func == "end_faults" and isinstance(r.output, dict):
                for ended in r.output.get("ended", []):
                    for f in out:
                        if f["service"] == ended["service"] and f["at"] == ended["at"]:
                            f["until"] = ended["until"]
        return out

    def verdict(self) -> Verdict:
        """Did the hypothesis hold? When refuted, the message names the probe, its value and its tolerance."""
        for when, readings in (("before the method", self.before), ("after the method", self.after)):
            for r in readings:
                if not r.met:
                    low, high = r.tolerance
                    return Verdict(False, "steady state", f"{when}, {r.name} read {r.value:.3g} on "
                                   f"{r.service}, outside [{low:g}, {high:g}] (simulated {r.start:g}-{r.end:g} s)")
        if not self.after:
            return Verdict(False, "steady state", f"the experiment ended '{self.status}' before the hypothesis ran "
                                                  "after the method")
        return Verdict(True, "steady state", f"every probe within its tolerance before and after "
                                             f"the fault ({len(self.after)} probes)")


def _readings(state) -> tuple:
    if not state:
        return ()
    out = []
    for p in state.get("probes", []):
        act = p["activity"]
        tol = act.get("tolerance", {})
        bounds = tuple(tol.get("range", ())) if isinstance(tol, dict) else tuple(tol) if isinstance(tol, list) else ()
        output = p.get("output") if isinstance(p.get("output"), dict) else {}
        out.append(ProbeReading(act.get("name", "?"), output.get("service", "?"), float(output.get("value", "nan")),
                                bounds, bool(p.get("tolerance_met")), float(output.get("from", "nan")),
                                float(output.get("to", "nan"))))
    return tuple(out)


def _runs(items) -> tuple:
    return tuple(ActivityRun(r["activity"].get("name", "?"), r["activity"].get("type", "?"),
                             r["activity"].get("provider", {}).get("func", "?"), r.get("status", "?"),
                             r.get("output")) for r in items or ())


def read_journal(source) -> Journal:
    """Read a Chaos Toolkit journal: the dict :func:`run_experiment` returns, or a ``journal.json`` path.

    Raises
    ------
    ValueError
        When a key of the journal format is missing (``status``, ``start``, ``end``,
        ``duration``, ``steady_states``, ``run``, ``rollbacks``, ``experiment``).
    """
    journal = source if isinstance(source, dict) else json.loads(Path(source).read_text())
    missing = [k for k in ("experiment", "status", "deviated", "start", "end", "duration", "steady_states", "run",
                           "rollbacks") if k not in journal]
    if missing:
        raise ValueError(f"not a finished Chaos Toolkit journal: it lacks {missing}")
    radius = [e for e in journal["experiment"].get("extensions", []) if e.get("name") == BLAST_RADIUS]
    states = journal["steady_states"]
    return Journal(journal["experiment"].get("title", "?"), journal["status"], bool(journal["deviated"]),
                   journal["start"], journal["end"], float(journal["duration"]), _readings(states.get("before")),
                   _readings(states.get("after")), _runs(journal["run"]), _runs(journal["rollbacks"]),
                   tuple(radius[0]["services"]) if radius else ())
