"""A reduction the learner steers: at every step, all the redexes on offer, and the one chosen.

:func:`~dsysedu.formal.pi.reduction.reduce` always takes the first redex (or a seeded random
one). A term with several redexes has several futures, and with a choice (``P + Q``) a step
also decides which branch lives. A :class:`Walk` is an immutable record of the choices made so
far; ``take(k)`` makes the ``k``-th redex happen, ``undo()`` goes back one step. The widget
:class:`dsysedu.widgets.pi_stepper.RedexPicker` puts buttons on it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .reduction import Reduction, Step, normal_form, redexes
from .syntax import show

__all__ = ["Walk"]


@dataclass(frozen=True)
class Walk:
    """A start term and the steps chosen from it.

    Parameters
    ----------
    start : term or str
        Brought to its standard form (:func:`~dsysedu.formal.pi.reduction.normal_form`).
    steps : tuple of Step
        Usually left empty: grow it with :meth:`take`.

    Examples
    --------
    >>> w = Walk("a<b>.0 + a<c>.0 | a(x).x<d>.0 | b(y).0 | c(z).0")
    >>> [s.label for s in w.options]
    ["a<b> meets a(x) on 'a'", "a<c> meets a(x) on 'a'"]
    >>> w = w.take(1)
    >>> show(w.current), w.options[0].channel
    ('c<d>.0 | b(y).0 | c(z).0', 'c')
    >>> show(w.undo().current) == show(w.start)
    True
    """
    start: object
    steps: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "start", normal_form(self.start))
        if not isinstance(self.steps, tuple) or not all(isinstance(s, Step) for s in self.steps):
            raise TypeError("Walk.steps must be a tuple of Step values (grow a walk with take())")

    @property
    def current(self):
        """The term reached after the steps taken."""
        return self.steps[-1].after if self.steps else self.start

    @property
    def options(self) -> list:
        """The redexes of :attr:`current`, in the fixed order of :func:`redexes` (empty: the run is over)."""
        return redexes(self.current)

    def take(self, k: int = 0) -> "Walk":
        """The walk one step longer, through the ``k``-th redex on offer.

        Raises
        ------
        ValueError
            When ``k`` is not the index of a redex (the message says how many there are).
        """
        options = self.options
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(options):
            raise ValueError(f"choose a redex by its index 0..{len(options) - 1}, got {k!r}" if options
                             else f"no redex left in {show(self.current)}: nothing can communicate")
        return Walk(self.start, self.steps + (options[k],))

    def undo(self) -> "Walk":
        """The walk one step shorter (the same walk if no step was taken)."""
        return Walk(self.start, self.steps[:-1]) if self.steps else self

    @property
    def stuck(self) -> bool:
        """True when nothing can communicate any more."""
        return not self.options

    def as_reduction(self) -> Reduction:
        """The steps taken, as a :class:`~dsysedu.formal.pi.reduction.Reduction` (printable)."""
        return Reduction(self.start, self.steps, "no redex" if self.stuck else "chosen so far")

    def __str__(self):
        return str(self.as_reduction())
