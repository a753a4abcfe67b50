"""The checker's property kinds written in temporal logic (时态逻辑): LTL and CTL.

Model checkers take their specifications in a temporal logic [1]_. *LTL* (linear temporal
logic) speaks of every run, one path at a time: ``□ P`` (always P), ``◇ P`` (eventually P).
*CTL* (computation tree logic) quantifies over the branching future: ``A`` (on all paths),
``E`` (on some path), combined with ``G`` (globally), ``F`` (finally) and ``X`` (next): ``AG P``,
``EF P``. Spin checks LTL; TLC (the TLA+ model checker) checks TLA's temporal formulas, which
are LTL-like (``[]P``, ``<>P``, ``~>``); NuSMV checks both.

This checker does not parse formulas: each property kind *is* one formula shape, with the
predicate for P. :data:`TEMPORAL` gives the shapes; :func:`formulas` fills one in.

References
----------
.. [1] E. M. Clarke, O. Grumberg and D. Peled, *Model Checking*, MIT Press, 1999 (chapter 3).
"""
from __future__ import annotations

from .search import PROPERTY_KINDS, Property

__all__ = ["TEMPORAL", "formulas"]

TEMPORAL = {
    "invariant": {"LTL": "□ P", "CTL": "AG P",
                  "reads": "always P: in every reachable state (safety)"},
    "reachable": {"LTL": "none (¬□¬P is false)", "CTL": "EF P",
                  "reads": "P can happen: some path reaches it. LTL speaks of all runs, so a tool checks □¬P "
                           "and reads its counterexample as the witness"},
    "within": {"LTL": "◇≤k P", "CTL": "AF≤k P",
               "reads": "on every path, P within k actions (bounded liveness)"},
    "eventually": {"LTL": "◇ P under fairness", "CTL": "AG EF P",
                   "reads": "from every reachable state P can still be reached; on a finite graph this is ◇ P on "
                            "every strongly fair run (liveness, 活性)"},
    "deadlock_free": {"LTL": "□ (enabled ∨ final)", "CTL": "AG (EX true ∨ final)",
                      "reads": "never stuck: some action enabled, unless the protocol is done"},
}
"""Property kind -> its LTL and CTL shape (P is the predicate) and how it reads."""


def formulas(prop: Property, p: str | None = None) -> dict:
    """The LTL and CTL formula of ``prop``, with ``p`` (default: the property's name in brackets) for P.

    Examples
    --------
    >>> from dsysedu.check.model_checker import eventually, invariant
    >>> formulas(invariant("mutual exclusion", lambda s: True), "¬(cs₁ ∧ cs₂)")
    {'LTL': '□ ¬(cs₁ ∧ cs₂)', 'CTL': 'AG ¬(cs₁ ∧ cs₂)'}
    >>> formulas(eventually("someone enters", lambda s: True), "cs₁ ∨ cs₂")["CTL"]
    'AG EF (cs₁ ∨ cs₂)'
    """
    if not isinstance(prop, Property):
        raise TypeError(f"formulas() takes a Property (invariant(), eventually(), ...), got {prop!r}")
    if prop.kind not in PROPERTY_KINDS:   # pragma: no cover - Property refuses unknown kinds
        raise ValueError(f"unknown property kind {prop.kind!r}")
    if p is not None and not isinstance(p, str):
        raise TypeError(f"p must be the text to put in for P, or None; got {p!r}")
    if p is None:
        text = f"({prop.name})"
    else:   # a compound P gets brackets, so that "◇ cs₁ ∨ cs₂" cannot be misread
        text = p if " " not in p or p.startswith(("(", "¬(")) and p.endswith(")") else f"({p})"
    shape = TEMPORAL[prop.kind]
    out = {}
    for logic in ("LTL", "CTL"):
        f = shape[logic]
        if prop.kind == "within":
            f = f.replace("k", str(prop.steps))
        out[logic] = f.replace("P", text) if "P" in f and not f.startswith("none") else f
    return out
