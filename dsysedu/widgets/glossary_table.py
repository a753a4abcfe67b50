"""The glossary as a searchable table: a text box that filters the rows as you type.

:class:`GlossaryTable` shows ``data/glossary.csv`` (:mod:`dsysedu.glossary`): English, 中文, the
section where the term first appears and a one-line definition. Typing in the box keeps the rows
whose any column contains the text (English or Chinese, a section number, a word of a definition).
The filtering is :func:`dsysedu.glossary.search`, tested without a browser. Where no widget can
run (a notebook exported to a static page), the output falls back to the whole table as HTML.
"""
from __future__ import annotations

import html

import ipywidgets as W

from dsysedu.glossary import COLUMNS, load_glossary, search

__all__ = ["GlossaryTable"]

_HEAD = {"english": "English", "chinese": "中文", "section": "§", "definition": "Definition"}


class GlossaryTable:
    """A filter box above the glossary's rows.

    Parameters
    ----------
    rows : list of dict, optional
        Rows with :data:`dsysedu.glossary.COLUMNS` (default: the course's glossary).
    query : str
        The filter to start with.
    height : str
        CSS height of the scrolling table.

    Examples
    --------
    >>> table = GlossaryTable(query="一致性")
    >>> 0 < table.shown < len(table.rows)
    True
    """

    def __init__(self, rows=None, query: str = "", height: str = "360px"):
        self.rows = load_glossary() if rows is None else list(rows)
        if not isinstance(query, str):
            raise TypeError(f"GlossaryTable: query must be a str, got {query!r}")
        self.filter = W.Text(value=query, placeholder="filter: an English or Chinese word, a section like 3.2",
                             description="Search", continuous_update=True, layout=W.Layout(width="480px"))
        self.count = W.HTML()
        self.table = W.HTML(layout=W.Layout(max_height=height, overflow="auto"))
        self.table.add_class("dsysedu-glossary")
        self.widget = W.VBox([W.HBox([self.filter, self.count]), self.table])
        self.shown = 0
        self.filter.observe(lambda change: self.refresh(), names="value")
        self.refresh()

    def refresh(self) -> None:
        """Show the rows the filter keeps."""
        kept = search(self.rows, self.filter.value)
        self.shown = len(kept)
        self.count.value = f"<span style='margin-left:8px'>{len(kept)} of {len(self.rows)} terms</span>"
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{_HEAD[c]}</th>" for c in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td style='padding:2px 8px;vertical-align:top'>{html.escape(r[c])}</td>"
                                        for c in COLUMNS) + "</tr>" for r in kept)
        self.table.value = f"<table style='font-size:13px;border-collapse:collapse'><tr>{head}</tr>{body}</table>"

    def _repr_mimebundle_(self, **kwargs):
        """The widget for Jupyter; every row as HTML for a page without a kernel (a static export)."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs))
        bundle["text/html"] = (f"<div class='dsysedu-glossary-static' style='max-height:420px;overflow:auto'>"
                               f"{self.count.value}{self.table.value}</div>")
        return bundle
