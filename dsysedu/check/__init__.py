"""Checkers: properties as code. Each takes a Trace and returns a :class:`Verdict`.

A verdict says whether the property held and, when it did not, which trace events
(by their ``seq``, the row number in ``trace.rows``) are the evidence, so that a view
can draw them on the space-time diagram.

Examples
--------
>>> from dsysedu.check import Verdict
>>> v = Verdict(False, "election safety", "two leaders in term 3", (12, 40))
>>> bool(v), v.events
(False, (12, 40))
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Verdict", "all_hold"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one property on one trace.

    Attributes
    ----------
    ok : bool
        True if the property held. ``bool(verdict)`` is ``ok``.
    property : str
        The property's name (``"election safety"``, ``"agreement"``...).
    message : str
        What was found, in words: the first violation, or what was checked.
    events : tuple of int
        The ``seq`` numbers of the offending trace events (empty when ``ok``).
    """
    ok: bool
    property: str
    message: str
    events: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "events", tuple(int(e) for e in self.events))

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        mark = "holds" if self.ok else "VIOLATED"
        ev = f", events {list(self.events)}" if self.events else ""
        return f"<Verdict {self.property}: {mark}: {self.message}{ev}>"

    __str__ = __repr__


def all_hold(verdicts) -> Verdict:
    """Combine verdicts: the first violated one, or one that says all of them hold.

    Examples
    --------
    >>> all_hold([Verdict(True, "a", "fine"), Verdict(True, "b", "fine")]).ok
    True
    """
    verdicts = list(verdicts)
    for v in verdicts:
        if not v.ok:
            return v
    names = ", ".join(v.property for v in verdicts)
    return Verdict(True, "all", f"{len(verdicts)} properties hold ({names})")


from .consistency import ConsistencyVerdict, check_causal, check_sequential, example_histories  # noqa: E402
from .history import History, Operation  # noqa: E402
from .isolation import IsolationVerdict, Transaction, brute_force_serializable, check_isolation  # noqa: E402
from .linearizability import (LinearizabilityVerdict, SearchBudgetExceeded, brute_force_linearizable,  # noqa: E402
                              check_linearizable)
from .sessions import SessionVerdict, check_monotonic_reads, check_read_your_writes, check_sessions  # noqa: E402
from .models import CasRegister, Counter, KeyValue, KeyValueAppend, KeyValueCas, Queue, Register  # noqa: E402

__all__ += ["History", "Operation", "check_linearizable", "LinearizabilityVerdict", "SearchBudgetExceeded",
            "brute_force_linearizable", "check_sequential", "check_causal", "ConsistencyVerdict", "example_histories",
            "Register", "CasRegister", "KeyValue", "KeyValueAppend", "KeyValueCas", "Counter", "Queue", "Transaction",
            "IsolationVerdict", "check_isolation", "brute_force_serializable", "SessionVerdict",
            "check_monotonic_reads", "check_read_your_writes", "check_sessions"]

# Two kinds of model live in check/: the sequential specifications of histories
# (check.models.SequentialModel) and the transition systems of the model checker (check.model_checker.Model).
from .model_checker import (Action, Result, check, deadlock_free, eventually, invariant,  # noqa: E402
                            reachable, replay, replay_in, within)

__all__ += ["check", "Action", "Result", "invariant", "reachable", "within", "eventually",
            "deadlock_free", "replay", "replay_in"]

# Trace validation: one run of an implementation replayed through a model's transition relation.
from .trace_validation import TraceValidation, trace_actions, validate_trace  # noqa: E402

__all__ += ["TraceValidation", "validate_trace", "trace_actions"]
