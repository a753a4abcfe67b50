"""The approval console: a human task node's Approve and Reject buttons (chapter 6.2).

:class:`ApprovalConsole` shows the oldest pending task of an
:class:`~dsysedu.ops.humans.ApprovalQueue` (what, who it waits for, how long it has waited),
an **Approve** and a **Reject** button, a clock, and the decisions so far. A click records the
verdict at the console's clock; :meth:`ApprovalConsole.advance` (or the **Wait 5 min** button)
moves the clock, so the queue's timeouts escalate or default the tasks nobody answered.

In tests and in nbval nobody is at the keyboard: :meth:`ApprovalConsole.play` lets a
:class:`~dsysedu.ops.humans.SimulatedHuman` press the buttons (it draws a response time and
a verdict for the task on screen, advances the clock by that time, then clicks), so the
buttons' own handlers are what runs.

CSS classes, for browser tests: ``dsysedu-approve``, ``dsysedu-reject``, ``dsysedu-wait``,
``dsysedu-task``, ``dsysedu-decisions``.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.ops.humans import APPROVE, REJECT, ApprovalQueue, HumanTask, SimulatedHuman
from dsysedu.sim.streams import normalize_seed, numpy_stream

__all__ = ["ApprovalConsole"]

_PAST = {APPROVE: "approved", REJECT: "rejected"}


class ApprovalConsole:
    """Approve / reject buttons over an :class:`ApprovalQueue`, with a simulated clock.

    Parameters
    ----------
    queue : ApprovalQueue
    tasks : list of HumanTask, optional
        Submitted as the clock reaches their ``submitted`` time.
    who : str
        The name recorded for clicks; ``"asked"`` (the default) records whoever the task waits for.

    Examples
    --------
    >>> from dsysedu.ops.humans import ApprovalQueue, HumanTask
    >>> console = ApprovalConsole(ApprovalQueue(timeout=600), [HumanTask(0, "deploy", "deploy v2", False, 0.0)])
    >>> console.advance(30.0); console.approve.click()
    >>> [(o.verdict, o.decided) for o in console.queue.outcomes]
    [('approve', 30.0)]
    """

    def __init__(self, queue: ApprovalQueue, tasks=(), who: str = "asked"):
        if not isinstance(queue, ApprovalQueue):
            raise TypeError(f"queue must be an ApprovalQueue, got {queue!r}")
        self.queue, self.now = queue, 0.0
        self.who = who
        self.upcoming = sorted(tasks, key=lambda t: (t.submitted, t.id))
        if not all(isinstance(t, HumanTask) for t in self.upcoming):
            raise TypeError("tasks must be HumanTask objects")
        self.events: list[str] = []
        self.task = W.HTML()
        self.task.add_class("dsysedu-task")
        self.approve = W.Button(description="Approve", button_style="success", icon="check")
        self.reject = W.Button(description="Reject", button_style="danger", icon="times")
        self.approve.add_class("dsysedu-approve")
        self.reject.add_class("dsysedu-reject")
        self.approve.on_click(lambda _b: self._click(APPROVE))
        self.reject.on_click(lambda _b: self._click(REJECT))
        self.wait = W.Button(description="Wait 5 min", icon="clock-o", tooltip="move the simulated clock on by 300 s")
        self.wait.add_class("dsysedu-wait")
        self.wait.on_click(lambda _b: self.advance(300.0))
        self.decisions = W.HTML()
        self.decisions.add_class("dsysedu-decisions")
        self.widget = W.VBox([self.task, W.HBox([self.approve, self.reject, self.wait]), self.decisions])
        self.advance(0.0)

    # -- the clock --------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the clock on: submit tasks that arrived, escalate or default the overdue ones."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds}")
        end = self.now + seconds
        while True:
            arrive = self.upcoming[0].submitted if self.upcoming else float("inf")
            due = self.queue.next_due()
            t = min(arrive, due)
            if t > end:
                break
            self.now = max(self.now, t)
            if arrive <= due:
                self.queue.submit(self.upcoming.pop(0), t)
            else:
                self.events += [f"t={t:,.0f} s: task {tid} {what}" for tid, what in self.queue.expire(t)]
        self.now = end
        self._show()

    def current(self) -> HumanTask | None:
        """The task on screen: the oldest pending one."""
        waiting = self.queue.waiting()
        return waiting[0] if waiting else None

    def _click(self, verdict: str) -> None:
        task = self.current()
        if task is None:
            return
        by = self.queue.asked(task.id) if self.who == "asked" else self.who
        self.queue.answer(task.id, verdict, self.now, by)
        self.events.append(f"t={self.now:,.0f} s: task {task.id} {_PAST[verdict]} by {by}")
        self._show()

    def play(self, human: SimulatedHuman, seed=None, until: float | None = None) -> None:
        """A simulated human answers every task on screen (or never, when ``absent``) until none is left."""
        rng = numpy_stream(normalize_seed(seed), "console human")
        end = until if until is not None else float("inf")
        while self.now < end and (self.current() is not None or self.upcoming):
            task = self.current()
            if task is None:
                self.advance(self.upcoming[0].submitted - self.now)
                continue
            delay, verdict = human.respond(rng, task)
            if delay is None or self.now + delay >= self.queue.pending[task.id]["due"]:
                self.advance(self.queue.pending[task.id]["due"] - self.now)     # nobody clicked in time
                continue
            self.advance(delay)
            if self.current() is task:
                (self.approve if verdict == APPROVE else self.reject).click()

    # -- drawing ----------------------------------------------------------------
    def _show(self) -> None:
        task = self.current()
        if task is None:
            self.task.value = f"<b>t = {self.now:,.0f} s</b>: nothing waits for a human."
        else:
            self.task.value = (f"<b>t = {self.now:,.0f} s</b>: task {task.id} ({html.escape(task.kind)}): "
                               f"{html.escape(task.summary)}<br>waiting for <b>{self.queue.asked(task.id)}</b>; "
                               f"submitted {self.now - task.submitted:,.0f} s ago; "
                               f"{len(self.queue.pending)} task(s) pending")
        self.approve.disabled = self.reject.disabled = task is None
        lines = self.events[-8:]
        self.decisions.value = "<br>".join(html.escape(x) for x in lines) or "<i>no decision yet</i>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
