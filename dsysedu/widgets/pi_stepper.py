"""Step a π-calculus term by hand: one button per redex, the learner picks which one happens.

:class:`RedexPicker` shows the current term, one button for each communication that can
happen next (with the branches of a choice it would drop), Undo and Reset, and the steps
taken so far. The logic is :class:`dsysedu.formal.pi.Walk`; this module only draws it.

CSS classes, for browser tests: ``dsysedu-pi-redex`` on every redex button,
``dsysedu-pi-term``, ``dsysedu-pi-undo``, ``dsysedu-pi-reset``, ``dsysedu-pi-history``.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.formal.pi import Walk, show

__all__ = ["RedexPicker"]


class RedexPicker:
    """Buttons over a :class:`~dsysedu.formal.pi.Walk`.

    Parameters
    ----------
    term : π-calculus term or its text

    Examples
    --------
    >>> from dsysedu.formal.pi import CHOICE
    >>> picker = RedexPicker(CHOICE)
    >>> [b.description for b in picker.buttons]
    ["1. yes<a> meets yes(v) on 'yes' (drops no(v).retry<v>.0)", "2. no<b> meets no(v) on 'no' (drops yes(v).decided<v>.0)"]
    >>> picker.pick(1); show(picker.walk.current)
    'retry<b>.0 | yes<a>.0'
    """

    def __init__(self, term):
        self.walk = self.first = Walk(term)
        self.buttons: list = []
        self.choices = W.VBox(layout=W.Layout(align_items="flex-start"))
        self.term = W.HTML()
        self.term.add_class("dsysedu-pi-term")
        self.undo_button = W.Button(description="undo", icon="undo", layout=W.Layout(width="90px"))
        self.undo_button.add_class("dsysedu-pi-undo")
        self.undo_button.on_click(lambda _b: self.undo())
        self.reset_button = W.Button(description="reset", icon="refresh", layout=W.Layout(width="90px"))
        self.reset_button.add_class("dsysedu-pi-reset")
        self.reset_button.on_click(lambda _b: self.reset())
        self.log = W.HTML()
        self.log.add_class("dsysedu-pi-history")
        self.widget = W.VBox([self.term, W.HTML("<b>pick the next communication</b>"), self.choices,
                              W.HBox([self.undo_button, self.reset_button]), W.HTML("<b>steps taken</b>"), self.log])
        self._refresh()

    def pick(self, k: int) -> None:
        """Make the ``k``-th redex on offer happen (0-based; the buttons are numbered from 1)."""
        self.walk = self.walk.take(k)
        self._refresh()

    def undo(self) -> None:
        self.walk = self.walk.undo()
        self._refresh()

    def reset(self) -> None:
        self.walk = self.first
        self._refresh()

    def _refresh(self) -> None:
        w = self.walk
        self.term.value = (f"<b>term</b> (after {len(w.steps)} step{'s' if len(w.steps) != 1 else ''}): "
                           f"<code>{html.escape(show(w.current))}</code>")
        self.buttons = []
        for k, s in enumerate(w.options):
            drops = f" (drops {', '.join(s.dropped)})" if s.dropped else ""
            b = W.Button(description=f"{k + 1}. {s.label}{drops}", tooltip=str(s),
                         layout=W.Layout(width="auto", min_width="320px"))
            b.add_class("dsysedu-pi-redex")
            b.on_click(lambda _b, k=k: self.pick(k))
            self.buttons.append(b)
        self.choices.children = self.buttons or [W.HTML("<i>no redex: nothing can communicate any more</i>")]
        self.undo_button.disabled = not w.steps
        self.log.value = "<br>".join(f"{i}. <code>{html.escape(s.label)}</code> {html.escape(s.substitution)}"
                                     + (f" (drops <code>{html.escape(', '.join(s.dropped))}</code>)" if s.dropped
                                        else "")
                                     + f" → <code>{html.escape(show(s.after))}</code>"
                                     for i, s in enumerate(w.steps, 1)) or "<i>none yet</i>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
