"""Chapter 3.3 exercises: the two rules of two-phase commit.

- ``ch33-decide``: the coordinator's rule, from the votes received so far, the number of
  participants and whether the vote timeout has passed: ``"commit"``, ``"abort"`` or ``"wait"``;
- ``ch33-participant``: what a participant that hears nothing may do, by its phase: abort on its
  own (it promised nothing), ask the coordinator and keep its locks (it voted yes: blocking), or
  nothing (it knows the outcome).

References
----------
J. Gray, "Notes on data base operating systems", LNCS 60, 1978.
"""
from __future__ import annotations

from .core import Exercise, register

__all__ = []


def _decide_cases():
    return [
        ("3 participants, three yes votes", ([True, True, True], 3, False)),
        ("3 participants, two yes votes so far, no timeout yet", ([True, True], 3, False)),
        ("3 participants, two yes votes and the vote timeout has passed", ([True, True], 3, True)),
        ("3 participants, one no vote arrived first", ([False], 3, False)),
        ("3 participants, yes, no, yes", ([True, False, True], 3, False)),
        ("5 participants, three yes votes: a majority is not all", ([True, True, True], 5, False)),
        ("1 participant, its yes vote", ([True], 1, False)),
        ("no vote yet, no timeout", ([], 2, False)),
        ("no vote at all before the timeout", ([], 2, True)),
        ("every vote yes, arriving just as the timeout fires: the votes are all there", ([True, True], 2, True)),
    ]


register(Exercise(
    id="ch33-decide",
    title="The coordinator's rule: commit, abort or wait?",
    cases=_decide_cases,
    hint="any no -> 'abort'; a yes from every participant -> 'commit'; otherwise 'abort' once the "
         "timeout has passed, else 'wait'.",
))


def _silence_cases():
    return [
        ("'working': it has done its part but not voted yet", ("working",)),
        ("'prepared': it voted yes and holds its locks", ("prepared",)),
        ("'committed': it has the outcome", ("committed",)),
        ("'aborted': it has the outcome", ("aborted",)),
    ]


register(Exercise(
    id="ch33-participant",
    title="A participant hears nothing: abort, ask, or nothing?",
    cases=_silence_cases,
    hint="before its yes vote a participant may still abort on its own; after it, only the coordinator "
         "decides, so it keeps its locks and asks; once it knows the outcome there is nothing to do.",
))
