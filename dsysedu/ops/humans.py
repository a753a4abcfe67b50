"""Human in the loop (人在回路): a human task node with a timeout and an escalation path.

Some actions an automated system should not take alone: a risky deploy, a data deletion, the
response to an anomaly that no runbook knows. Such an action becomes a :class:`HumanTask` in
an :class:`ApprovalQueue`. Its life:

1. submitted: it waits for the *primary* human (the on-call engineer);
2. approved or rejected by whoever answers first;
3. no answer within ``timeout`` seconds: *escalated* to the second human (the team lead), who
   gets another ``timeout``;
4. still no answer: the queue applies the *safe default* (``reject``: the risky thing does not
   happen, the work waits for the next day), and says so.

The queue is a plain state machine driven by times, so the same class serves the ipywidgets
console (:class:`dsysedu.widgets.approval.ApprovalConsole`, where a person or a simulated one
presses Approve and Reject) and :func:`run_workflow`, which replays a day of tasks with
:class:`SimulatedHuman` answering: a log-normal response time, an error rate, a chance of not
answering at all, and one task at a time (so tasks queue behind each other).
:func:`route` sends known anomalies to their automated runbook and unknown ones to the queue.

What is measured (:func:`workflow_summary`): decision latency, risky actions stopped (and safe
ones wrongly stopped), escalations and defaults, and the hours of work that waited. Workflow
engines a practitioner would use for the same shape: Temporal or AWS Step Functions (a human
task as a signal or a task token with a timeout), Camunda's user tasks with escalation timers,
PagerDuty's escalation policies for the paging part.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.streams import normalize_seed, numpy_stream
from dsysedu.sim.validate import number, probability

__all__ = ["HumanTask", "SimulatedHuman", "ApprovalQueue", "Outcome", "task_stream", "route", "run_workflow",
           "workflow_summary", "outcomes_frame", "compare_workflows", "workflow_latencies",
           "APPROVE", "REJECT", "RUNBOOKS"]

APPROVE, REJECT = "approve", "reject"
#: anomaly kinds with an automated runbook; any other kind goes to a human
RUNBOOKS = {"disk full": "rotate logs", "pod crashloop": "restart pod", "cert expiring": "renew certificate"}


@dataclass(frozen=True)
class HumanTask:
    """An action waiting for a human: ``risky`` is the truth the human should find (reject it)."""
    id: int
    kind: str
    summary: str
    risky: bool
    submitted: float


@dataclass(frozen=True)
class SimulatedHuman:
    """A person at the console: answers after a log-normal time, wrong with ``error_rate``.

    Parameters
    ----------
    name : str
    median : float
        Median seconds to read a task and decide (> 0).
    sigma : float
        Log-normal shape (the spread of response times).
    error_rate : float
        Probability of the wrong verdict (approving a risky action or rejecting a safe one).
    absent : float
        Probability that a task is never answered (away, asleep, paged elsewhere).
    """
    name: str = "on-call"
    median: float = 120.0
    sigma: float = 0.8
    error_rate: float = 0.05
    absent: float = 0.1

    def __post_init__(self):
        number("median", self.median, low=0.0, low_open=True)
        number("sigma", self.sigma, low=0.0)
        probability("error_rate", self.error_rate)
        probability("absent", self.absent)

    def respond(self, rng: np.random.Generator, task: HumanTask) -> tuple[float | None, str]:
        """``(seconds to answer or None for never, verdict)``; ``rng`` needs ``random()`` and ``standard_normal()``."""
        never = rng.random() < self.absent
        delay = float(self.median * math.exp(self.sigma * rng.standard_normal()))
        right = REJECT if task.risky else APPROVE
        wrong = APPROVE if task.risky else REJECT
        verdict = wrong if rng.random() < self.error_rate else right
        return (None if never else delay), verdict


@dataclass(frozen=True)
class Outcome:
    """How a task ended: ``verdict``, who decided (a name or ``"timeout"``), when, escalated or not."""
    task: HumanTask
    verdict: str
    by: str
    decided: float
    escalated: bool

    @property
    def latency(self) -> float:
        return self.decided - self.task.submitted


class ApprovalQueue:
    """Pending human tasks, their timeouts and the escalation path.

    Parameters
    ----------
    timeout : float
        Seconds a task waits at each level before it moves on (> 0).
    levels : tuple of str
        Who is asked, in order (default the on-call, then the lead).
    default : str
        The verdict applied when every level timed out (``reject``: the safe default).
    """

    def __init__(self, timeout: float = 600.0, levels=("on-call", "lead"), default: str = REJECT):
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        if not levels:
            raise ValueError("levels must name at least one human")
        if default not in (APPROVE, REJECT):
            raise ValueError(f"default must be {APPROVE!r} or {REJECT!r}, got {default!r}")
        self.levels, self.default = tuple(levels), default
        self.pending: dict[int, dict] = {}     # task id -> {"task", "level", "due"}
        self.outcomes: list[Outcome] = []

    def submit(self, task: HumanTask, now: float) -> None:
        if task.id in self.pending or any(o.task.id == task.id for o in self.outcomes):
            raise ValueError(f"task {task.id} was submitted already")
        self.pending[task.id] = {"task": task, "level": 0, "due": now + self.timeout}

    def waiting(self) -> list[HumanTask]:
        """Pending tasks, oldest first."""
        return [p["task"] for p in sorted(self.pending.values(), key=lambda p: (p["task"].submitted, p["task"].id))]

    def asked(self, task_id: int) -> str:
        """Who the task is waiting for now."""
        return self.levels[self.pending[task_id]["level"]]

    def answer(self, task_id: int, verdict: str, now: float, by: str) -> bool:
        """Record a human's verdict; False if the task was decided already (a late answer is ignored)."""
        if verdict not in (APPROVE, REJECT):
            raise ValueError(f"verdict must be {APPROVE!r} or {REJECT!r}, got {verdict!r}")
        p = self.pending.pop(task_id, None)
        if p is None:
            return False
        self.outcomes.append(Outcome(p["task"], verdict, by, now, p["level"] > 0))
        return True

    def expire(self, now: float) -> list[tuple[int, str]]:
        """Move every overdue task on: escalate it, or apply the default. Returns ``(task id, what)``."""
        moved = []
        for tid in sorted(self.pending, key=lambda i: (self.pending[i]["due"], i)):
            p = self.pending[tid]
            if p["due"] > now:
                continue
            if p["level"] + 1 < len(self.levels):
                p["level"] += 1
                p["due"] += self.timeout
                moved.append((tid, f"escalated to {self.levels[p['level']]}"))
            else:
                del self.pending[tid]
                self.outcomes.append(Outcome(p["task"], self.default, "timeout", p["due"], len(self.levels) > 1))
                moved.append((tid, f"timed out: {self.default}"))
        return moved

    def next_due(self) -> float:
        return min((p["due"] for p in self.pending.values()), default=math.inf)


def task_stream(hours: float = 24.0, per_hour: float = 3.0, risky_share: float = 0.2, seed=None) -> list[HumanTask]:
    """A seeded day of tasks: deploys, data deletions and unknown anomalies (Poisson arrivals)."""
    hours, per_hour = number("hours", hours, low=0.0, low_open=True), number("per_hour", per_hour, low=0.0)
    probability("risky_share", risky_share)
    rng = numpy_stream(normalize_seed(seed), "human tasks")
    kinds = (("deploy", "deploy build {} to production"), ("delete data", "drop table of tenant {}"),
             ("anomaly", "unknown anomaly {}: latency and errors up in orders"))
    tasks, t = [], 0.0
    while True:
        t += rng.exponential(3600.0 / per_hour) if per_hour > 0 else math.inf
        if t >= hours * 3600.0:
            return tasks
        k = int(rng.integers(len(kinds)))
        tasks.append(HumanTask(len(tasks), kinds[k][0], kinds[k][1].format(len(tasks)),
                               bool(rng.random() < risky_share), float(t)))


def route(kind: str) -> str:
    """``"runbook: <action>"`` for a known anomaly kind, ``"human queue"`` for any other."""
    return f"runbook: {RUNBOOKS[kind]}" if kind in RUNBOOKS else "human queue"


def run_workflow(tasks, humans=(SimulatedHuman("on-call"), SimulatedHuman("lead", median=300.0)),
                 timeout: float = 600.0, seed=None) -> ApprovalQueue:
    """Replay ``tasks`` through an :class:`ApprovalQueue` whose levels are ``humans``.

    Each human works one task at a time, in the order they were asked: a task asked while the
    human is busy waits (that wait is part of its latency). A human asked about a task decides
    after their response time, unless someone else decided first. Returns the queue, with
    every task's :class:`Outcome`.
    """
    if not humans or not all(isinstance(h, SimulatedHuman) for h in humans):
        raise TypeError(f"humans must be a non-empty tuple of SimulatedHuman, got {humans!r}")
    queue = ApprovalQueue(timeout, tuple(h.name for h in humans))
    rng = numpy_stream(normalize_seed(seed), "humans")
    free = {h.name: 0.0 for h in humans}
    by_name = {h.name: h for h in humans}
    events: list = []          # (time, order, kind, payload)
    order = 0

    def push(t, kind, payload):
        nonlocal order
        heapq.heappush(events, (t, order, kind, payload))
        order += 1

    def ask(task, name, now):
        delay, verdict = by_name[name].respond(rng, task)
        if delay is not None:
            start = max(now, free[name])
            free[name] = start + delay
            push(start + delay, "answer", (task.id, verdict, name))

    for task in sorted(tasks, key=lambda x: (x.submitted, x.id)):
        push(task.submitted, "submit", task)
    while events or queue.pending:
        t_next = events[0][0] if events else math.inf
        if queue.next_due() <= t_next:
            now = queue.next_due()
            for tid, what in queue.expire(now):
                if what.startswith("escalated"):
                    ask(queue.pending[tid]["task"], queue.asked(tid), now)
            continue
        now, _, kind, payload = heapq.heappop(events)
        if kind == "submit":
            queue.submit(payload, now)
            ask(payload, queue.levels[0], now)
        else:
            tid, verdict, name = payload
            queue.answer(tid, verdict, now, name)
    return queue


def workflow_summary(queue: ApprovalQueue) -> dict:
    """Decision latency (median, p90, max, s), risky actions stopped, safe ones stopped, escalations,
    defaults, and the hours of work that waited for a decision."""
    out = queue.outcomes
    if not out:
        raise ValueError("the queue has no decided task")
    lat = np.array([o.latency for o in out])
    risky = [o for o in out if o.task.risky]
    safe = [o for o in out if not o.task.risky]
    return {"tasks": len(out), "median_latency_s": float(np.median(lat)), "p90_latency_s": float(np.quantile(lat, 0.9)),
            "max_latency_s": float(lat.max()),
            "risky": len(risky), "risky_stopped": sum(o.verdict == REJECT for o in risky),
            "safe": len(safe), "safe_stopped": sum(o.verdict == REJECT for o in safe),
            "escalated": sum(o.escalated for o in out), "defaulted": sum(o.by == "timeout" for o in out),
            "waited_hours": float(lat.sum() / 3600.0)}


def outcomes_frame(queue: ApprovalQueue) -> pd.DataFrame:
    """One row per decided task: id, kind, risky, submitted, decided, latency, verdict, by, escalated."""
    return pd.DataFrame([(o.task.id, o.task.kind, o.task.risky, o.task.submitted, o.decided, o.latency, o.verdict,
                          o.by, o.escalated) for o in queue.outcomes],
                        columns=["id", "kind", "risky", "submitted", "decided", "latency", "verdict", "by",
                                 "escalated"])



def _setups(timeout):
    on_call, lead = SimulatedHuman("on-call"), SimulatedHuman("lead", median=300.0)
    return (("on-call, default after timeout", (on_call,), timeout), ("on-call, then lead", (on_call, lead), timeout),
            ("on-call, no timeout (replay ends after a week)", (on_call,), 7 * 86_400.0))


def compare_workflows(tasks, timeout: float = 600.0, seed=None) -> pd.DataFrame:
    """The same tasks under four set-ups: no human (every action approved at once), the on-call alone with
    the safe default after ``timeout``, the on-call then the lead, and the on-call with no timeout at all.
    One row each (:func:`workflow_summary`'s measures)."""
    tasks = list(tasks)
    rows = [{"setup": "no human", "tasks": len(tasks), "median_latency_s": 0.0, "p90_latency_s": 0.0,
             "max_latency_s": 0.0, "risky": sum(t.risky for t in tasks), "risky_stopped": 0,
             "safe": sum(not t.risky for t in tasks), "safe_stopped": 0, "escalated": 0, "defaulted": 0,
             "waited_hours": 0.0}]
    for name, humans, limit in _setups(timeout):
        rows.append({"setup": name, **workflow_summary(run_workflow(tasks, humans, limit, seed=seed))})
    return pd.DataFrame(rows)


def workflow_latencies(tasks, timeout: float = 600.0, seed=None) -> pd.DataFrame:
    """Every task's decision latency in minutes under the set-ups with a timeout: ``setup, minutes, by``."""
    frames = []
    for name, humans, limit in _setups(timeout)[:2]:
        f = outcomes_frame(run_workflow(list(tasks), humans, limit, seed=seed))
        frames.append(pd.DataFrame({"setup": name, "minutes": f["latency"] / 60.0, "by": f["by"]}))
    return pd.concat(frames, ignore_index=True)
