"""Theorem proving in its oldest form: a proof is a list of formulas, each an axiom or the result
of an inference rule applied to earlier lines, and checking it is mechanical.

The system is Hilbert-style propositional logic (Łukasiewicz's axioms, as in Mendelson [1]_):
three axiom schemas, in which ``φ``, ``ψ`` and ``χ`` stand for any formulas, and one rule::

    A1   φ → (ψ → φ)
    A2   (φ → (ψ → χ)) → ((φ → ψ) → (φ → χ))
    A3   (¬ψ → ¬φ) → (φ → ψ)
    MP   from φ and φ → ψ, infer ψ            (modus ponens)

:func:`check_proof` checks every line: an instance of a schema (the schema's letters bound
consistently), a hypothesis the caller allows, or modus ponens on two *earlier* lines. It
does not search for proofs: finding them is the human's job, which is why interactive provers
(Coq/Rocq, Isabelle/HOL, TLAPS for TLA+) have people write the steps (as tactics) and a small
trusted kernel check each one, exactly as here. An SMT solver such as z3 works the other way:
it decides a formula automatically and gives no steps to read.

Formulas are written as text: atoms (``A``, ``leader_a``), ``~`` (not), ``->`` (implies,
right-associative: ``A -> B -> C`` is ``A -> (B -> C)``) and brackets.

References
----------
.. [1] E. Mendelson, *Introduction to Mathematical Logic*, 6th ed., CRC Press, 2015 (§1.4).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from dsysedu.check import Verdict

__all__ = ["parse_formula", "show_formula", "AXIOMS", "check_proof", "IDENTITY_PROOF"]

_TOKEN = re.compile(r"\s*(->|~|\(|\)|[A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class _Not:
    body: object


@dataclass(frozen=True)
class _Imp:
    left: object
    right: object


def parse_formula(text: str):
    """A formula from text (atoms are str, ``~`` and ``->`` build nested values).

    Examples
    --------
    >>> show_formula(parse_formula("A -> B -> A"))
    'A → (B → A)'
    >>> parse_formula("A -> ")
    Traceback (most recent call last):
    ...
    ValueError: formula 'A -> ': expected an atom, '~' or '(' at position 5
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is written as text, got {text!r}")
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"formula {text!r}: unexpected {text[pos:].strip()[:1]!r} at position {pos}; "
                             "use atoms, '~', '->' and brackets")
        tokens.append((m.group(1), m.start(1)))
        pos = m.end()
    tokens.append(("", len(text)))
    i = 0

    def imp():
        nonlocal i
        left = unary()
        if tokens[i][0] == "->":
            i += 1
            return _Imp(left, imp())
        return left

    def unary():
        nonlocal i
        tok, at = tokens[i]
        if tok == "~":
            i += 1
            return _Not(unary())
        if tok == "(":
            i += 1
            inner = imp()
            if tokens[i][0] != ")":
                raise ValueError(f"formula {text!r}: expected ')' at position {tokens[i][1]}")
            i += 1
            return inner
        if tok and tok not in ("->", ")"):
            i += 1
            return tok
        raise ValueError(f"formula {text!r}: expected an atom, '~' or '(' at position {at}")

    f = imp()
    if tokens[i][0]:
        raise ValueError(f"formula {text!r}: unexpected {tokens[i][0]!r} at position {tokens[i][1]}")
    return f


def show_formula(f) -> str:
    """The formula in logic notation (``→``, ``¬``), with the brackets it needs."""
    if isinstance(f, str):
        return f
    if isinstance(f, _Not):
        return "¬" + _wrap(f.body)
    right = show_formula(f.right)
    return f"{_wrap(f.left)} → {'(' + right + ')' if isinstance(f.right, _Imp) else right}"


def _wrap(f) -> str:
    return f"({show_formula(f)})" if isinstance(f, _Imp) else show_formula(f)


AXIOMS = {"A1": parse_formula("p -> q -> p"),
          "A2": parse_formula("(p -> q -> r) -> (p -> q) -> p -> r"),
          "A3": parse_formula("(~q -> ~p) -> p -> q")}
"""The three axiom schemas; their atoms ``p``, ``q``, ``r`` are the schema letters φ, ψ, χ."""


def _match(schema, f, binding: dict) -> bool:
    """Is ``f`` the schema with its letters replaced consistently (``binding`` grows)?"""
    if isinstance(schema, str):
        if schema in binding:
            return binding[schema] == f
        binding[schema] = f
        return True
    if isinstance(schema, _Not):
        return isinstance(f, _Not) and _match(schema.body, f.body, binding)
    return isinstance(f, _Imp) and _match(schema.left, f.left, binding) and _match(schema.right, f.right, binding)


def check_proof(lines, hypotheses=(), goal: str | None = None) -> Verdict:
    """Check a derivation line by line.

    Parameters
    ----------
    lines : sequence of (formula text, justification)
        A justification is ``"A1"``, ``"A2"``, ``"A3"``, ``"hyp"`` (one of ``hypotheses``) or
        ``("MP", i, j)``: line ``i`` is φ and line ``j`` is φ → (this line), both earlier
        (lines are numbered from 1).
    hypotheses : sequence of formula text
        What may be assumed (premises of the argument).
    goal : formula text, optional
        The last line must be this formula.

    Returns
    -------
    Verdict
        ``ok`` when every line is justified (and the goal reached); otherwise the message names
        the first bad line and why, and ``events`` holds its number.

    Examples
    --------
    >>> check_proof(IDENTITY_PROOF, goal="A -> A").ok
    True
    >>> check_proof([("B", ("MP", 1, 2))])
    <Verdict derivation: VIOLATED: line 1: MP needs two earlier lines, got 1 and 2, events [1]>
    """
    hyps = {parse_formula(h) for h in hypotheses}
    done: list = []
    for k, line in enumerate(lines, 1):
        if not (isinstance(line, (tuple, list)) and len(line) == 2):
            raise TypeError(f"line {k}: expected (formula text, justification), got {line!r}")
        text, why = line
        f = parse_formula(text)
        bad = None
        if why in AXIOMS:
            if not _match(AXIOMS[why], f, {}):
                bad = f"{show_formula(f)} is not an instance of {why}: {show_formula(AXIOMS[why])}"
        elif why == "hyp":
            if f not in hyps:
                bad = f"{show_formula(f)} is not one of the hypotheses"
        elif isinstance(why, (tuple, list)) and len(why) == 3 and why[0] == "MP":
            i, j = why[1], why[2]
            if not (isinstance(i, int) and isinstance(j, int) and 1 <= i < k and 1 <= j < k):
                bad = f"MP needs two earlier lines, got {i} and {j}"
            elif done[j - 1] != _Imp(done[i - 1], f):
                bad = (f"MP on lines {i} and {j} gives nothing here: line {j} is not "
                       f"'{show_formula(_Imp(done[i - 1], f))}'")
        else:
            raise ValueError(f"line {k}: justification {why!r}; use 'A1', 'A2', 'A3', 'hyp' or ('MP', i, j)")
        if bad:
            return Verdict(False, "derivation", f"line {k}: {bad}", (k,))
        done.append(f)
    if goal is not None and (not done or done[-1] != parse_formula(goal)):
        return Verdict(False, "derivation", f"the last line is not the goal {show_formula(parse_formula(goal))}",
                       (len(done),) if done else ())
    return Verdict(True, "derivation", f"{len(done)} lines, each an axiom, a hypothesis or modus ponens")


IDENTITY_PROOF = (
    ("(A -> (A -> A) -> A) -> (A -> A -> A) -> A -> A", "A2"),
    ("A -> (A -> A) -> A", "A1"),
    ("(A -> A -> A) -> A -> A", ("MP", 2, 1)),
    ("A -> A -> A", "A1"),
    ("A -> A", ("MP", 4, 3)),
)
"""The textbook proof of A → A from A1, A2 and modus ponens (Mendelson, Lemma 1.8)."""
