"""Simplicity (简洁性): two designs of one job, measured by their code and by their state space.

The job is atomic commit. Two-phase commit (:mod:`dsysedu.protocols.transactions.twopc`) and
three-phase commit (:mod:`dsysedu.protocols.transactions.threepc`) both keep every participant's
outcome the same; three-phase commit adds a pre-commit round and a backup's termination rule so
that the participants can finish when the coordinator crashes. :func:`simplicity_table` counts
what that costs (lines of code, message types, reachable states of the same two-participant
model) and checks what it buys (every participant decides after one crash).

:func:`code_lines` counts the lines a reader has to read: lines holding code, without blank
lines, comments and docstrings.
"""
from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize

import pandas as pd

from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions import threepc, twopc

__all__ = ["code_lines", "DESIGNS", "simplicity_table"]


def _docstring_lines(tree) -> set:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(*objects) -> int:
    """Lines of code of classes or functions: no blank lines, comments or docstrings.

    Examples
    --------
    >>> code_lines(code_lines) > 5
    True
    """
    if not objects:
        raise ValueError("code_lines needs at least one class or function")
    total = 0
    for obj in objects:
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            raise TypeError(f"code_lines counts classes and functions, got {obj!r}")
        source = textwrap.dedent(inspect.getsource(obj))
        skip = _docstring_lines(ast.parse(source))
        lines = set()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
                continue
            lines.update(r for r in range(tok.start[0], tok.end[0] + 1) if r not in skip)
        total += len(lines)
    return total


#: name -> (node classes, message classes, model(participants, **budget), atomicity, "every participant decides")
DESIGNS = {
    "two-phase commit": ((twopc.Coordinator, twopc.Participant), (twopc.Prepare, twopc.Vote, twopc.Decision),
                         lambda n, **b: twopc.twopc_model(n, symmetric=False, **b), twopc.atomicity,
                         twopc.all_decided),
    "three-phase commit": ((threepc.ThreePCCoordinator, threepc.ThreePCParticipant),
                           (threepc.CanCommit, threepc.Vote3, threepc.PreCommit, threepc.Ack, threepc.DoCommit,
                            threepc.Abort3, threepc.StateReq, threepc.StateRep),
                           lambda n, **b: threepc.threepc_model(n, **b), threepc.three_atomicity,
                           threepc.three_decides),
}


def simplicity_table(participants: int = 2) -> pd.DataFrame:
    """One row per design of :data:`DESIGNS`.

    Columns: ``lines`` (of the node classes), ``message_types``, ``states`` (reachable, no faults,
    ``participants`` participants, no symmetry reduction), ``atomic`` (model-checked),
    ``states_one_crash`` and ``decides_after_crash`` (every participant decides when one node may
    crash; three-phase commit claims it only for the coordinator).
    """
    rows = []
    for name, (nodes, messages, model, atomic, decides) in DESIGNS.items():
        plain = check(model(participants), atomic, symmetry=False)
        crash = check(model(participants, crashes=1), decides, symmetry=False)
        rows.append({"design": name, "lines": code_lines(*nodes), "message_types": len(messages),
                     "states": plain.states, "atomic": plain.ok, "states_one_crash": crash.states,
                     "decides_after_crash": crash.ok})
    return pd.DataFrame(rows).set_index("design")
