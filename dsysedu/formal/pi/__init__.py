"""A small π-calculus (π演算): parse a process term and watch it reduce, one communication at a time.

Syntax (monadic, synchronous, with guarded choice)::

    P ::= 0                 the process that does nothing
        | a<b>.P            send the name b on channel a, then behave as P   (".P" may be left out)
        | a(x).P            receive a name on channel a, call it x in P     (binds x)
        | P + Q             choice: one branch runs, the other is dropped   (branches: prefixes, 0, sums)
        | P | Q             P and Q in parallel
        | (new a) P         a fresh private channel a in P (also: new a. P)  (binds a)
        | !P                as many copies of P as needed
        | (P)

Prefixes, ``!`` and ``new`` bind tighter than ``+``, and ``+`` tighter than ``|``:
``(new a) P | Q`` is ``((new a) P) | Q`` and ``P + Q | R`` is ``(P + Q) | R``.
Names are identifiers (letters, digits, ``_``, ``'``); ``new`` is a keyword.

The one reduction rule is communication (Milner, Parrow and Walker [1]_), here with the
choices that offer the two prefixes::

    (a<b>.P + M) | (a(x).Q + N)  -->  P | Q{b/x}

(``M`` and ``N`` are the other branches, possibly none: they are thrown away.)

applied up to structural congruence. :func:`normal_form` implements these congruence
rules, enough to bring any two partners side by side:

- ``P | 0 == P``, ``|`` is commutative and associative (a term is a list of components);
- scope extrusion ``(new a) P | Q == (new a)(P | Q)`` when ``a`` is not free in ``Q``:
  every restriction is pulled to the top, renamed first (alpha-conversion) to a name used
  nowhere else, so the side condition always holds and a private name is never confused
  with a free name of the same spelling;
- ``(new a) P == P`` when ``a`` is not free in ``P`` (unused restrictions are dropped);
- replication ``!P == P | !P``, unfolded on demand: a communication may use a guard of a
  fresh copy of a replicated component (one copy per side).

The package has three modules: :mod:`.syntax` (terms, their text form, the parser),
:mod:`.reduction` (free names, substitution, the standard form, reduction) and :mod:`.walk`
(a reduction whose every redex is chosen by hand).

Substitution ``Q{b/x}`` renames a binder of ``Q`` that would capture ``b``. Every run is
bounded by ``max_steps``; replication can reduce for ever.

References
----------
.. [1] R. Milner, J. Parrow and D. Walker, "A calculus of mobile processes, I and II",
   Information and Computation 100(1), 1992.
.. [2] D. Sangiorgi and D. Walker, *The π-calculus: a theory of mobile processes*, CUP 2001.
"""
from .reduction import (free_names, substitute, normal_form, Step, Reduction, redexes, step, reduce, MOBILITY,
                        EXTRUSION, SERVER, CHOICE)
from .syntax import (Nil, Out, In, Sum, Par, New, Rep, show, parse, summands)
from .walk import Walk

__all__ = ["Nil", "Out", "In", "Sum", "Par", "New", "Rep", "show", "parse", "summands", "free_names", "substitute",
           "normal_form", "Step", "Reduction", "redexes", "step", "reduce", "MOBILITY", "EXTRUSION", "SERVER",
           "CHOICE", "Walk"]
