"""The mind map drawn as an interactive tree: HTML with branches that fold, leaves that open lessons.

The tree is the one :func:`dsysedu.mind_map.mind_map` resolves (the source's section 11). Each
branch is a ``<details>`` element (click its name to fold or unfold it); a node with a lesson is a
link to its notebook section, in the colour of a written chapter; a node whose lesson is not
written yet is grey and marked *planned*. The same HTML serves the start notebook (displayed in
Jupyter), ``python -m dsysedu map`` (a page of its own) and the static site's front page (its
links rewritten to the site's pages by ``link``).

Examples
--------
>>> from dsysedu.mind_map import mind_map
>>> html = mind_map_html(mind_map())
>>> "planned" in html and "02_1_system_model.ipynb#2.1.3" in html
True
"""
from __future__ import annotations

import html as _html
from typing import Callable

from dsysedu.viz import style

__all__ = ["mind_map_html", "mind_map_page", "mind_map_counts"]

# !important where JupyterLab's and nbconvert's own rules for lists in outputs (bullets, 2em
# indents) are more specific than a class
_CSS = """
.dsysedu-map {{ font-family: sans-serif; font-size: 14px; line-height: 1.45; color: {ink}; }}
.dsysedu-map ul {{ list-style: none !important; margin: 0 !important; padding-left: 18px !important;
                   border-left: 1px solid {line}; }}
.dsysedu-map > ul {{ border-left: none; padding-left: 0 !important; }}
.dsysedu-map li {{ list-style: none !important; margin: 2px 0 !important; }}
.dsysedu-map li.leaf {{ padding-left: 16px; }}
.dsysedu-map summary {{ cursor: pointer; }}
.dsysedu-map .node {{ display: inline-block; padding: 1px 7px; border-radius: 6px; border: 1px solid {line}; }}
.dsysedu-map .ready {{ background: {ready}; border-color: {ready_edge}; }}
.dsysedu-map .planned {{ background: {planned}; border-color: {planned_edge}; color: {faint}; }}
.dsysedu-map .branch {{ font-weight: bold; border-color: transparent; }}
.dsysedu-map .root {{ font-weight: bold; font-size: 16px; }}
.dsysedu-map .tag {{ font-size: 12px; color: {faint}; font-style: italic; }}
.dsysedu-map .also {{ font-size: 12px; margin-left: 6px; }}
.dsysedu-map a {{ color: inherit; text-decoration: none; }}
.dsysedu-map a:hover {{ text-decoration: underline; }}
"""


def _css() -> str:
    return _CSS.format(ink=style.INK, line=style.CONNECTOR, ready=style.AVAILABLE,
                       ready_edge=style.OKABE_ITO["bluish_green"], planned=style.PLANNED,
                       planned_edge=style.EMPTY_SLOT, faint=style.MUTED)


def _also_name(path: str) -> str:
    """What a link beside a node says: "exercises", "the raft playground dashboard", a notebook's name."""
    folder, _, name = path.rpartition("/")
    words = name.removesuffix(".ipynb").replace("_", " ")
    if folder == "exercises":
        return "exercises"
    if folder == "dashboards":
        return f"dashboard: {words}"
    if folder == "labs":
        return f"lab: {words}"
    return words


def mind_map_counts(node) -> dict:
    """How many leaves of the map have a lesson (``ready``) and how many are ``planned``."""
    from dsysedu.mind_map import leaves
    out = {"leaves": 0, "ready": 0, "planned": 0}
    for leaf in leaves(node):
        out["leaves"] += 1
        out["planned" if leaf.href is None else "ready"] += 1
    return out


def mind_map_html(node, link: Callable[[str], str | None] | None = None, open_depth: int = 2) -> str:
    """The mind map as an HTML fragment (with its own ``<style>``).

    Parameters
    ----------
    node : dsysedu.mind_map.MapNode
        The resolved map (its root), from :func:`dsysedu.mind_map.mind_map`.
    link : callable, optional
        ``href`` (``"03_1_consensus.ipynb#anchor"``) -> the href to write, or None to show the node
        without a link (a page not built). Default: the href as it is (links relative to ``notebooks/``).
    open_depth : int
        Branches shallower than this start unfolded (0: all folded).

    Returns
    -------
    str
    """
    if not isinstance(open_depth, int) or open_depth < 0:
        raise ValueError(f"mind_map_html: open_depth must be an int >= 0, got {open_depth!r}")
    link = link or (lambda href: href)

    def a(href, text):
        target = link(href) if href else None
        return f'<a href="{_html.escape(target)}">{text}</a>' if target else text

    def label(n, depth):
        words = _html.escape(n.label)
        if n.note_en:
            words += f' <span class="tag">· {_html.escape(n.note_en)} ({_html.escape(n.note_zh)})</span>'
        if depth == 0:
            cls = "node root"
        elif n.status == "planned":
            cls = "node planned"
        elif n.href is None:
            cls = "node branch"
        else:
            cls = "node ready"
        text = a(n.href, words)
        title = {"section": f"opens {n.notebook}, section “{n.heading}”", "chapter": f"opens {n.notebook}",
                 "parent": f"opens {n.notebook} where the section above opens", "planned":
                 f"planned: {n.notebook} is not written yet", "branch": "a group of lessons"}[n.status]
        out = f'<span class="{cls}" title="{_html.escape(title, quote=True)}">{text}</span>'
        if n.status == "planned":
            out += ' <span class="tag">planned</span>'
        extras = [a(p, _html.escape(_also_name(p))) for p, exists in n.also if exists]
        if extras:
            out += f'<span class="also">· also: {", ".join(extras)}</span>'
        return out

    def item(n, depth):
        if not n.children:
            return f'<li class="leaf">{label(n, depth)}</li>'
        inner = "".join(item(c, depth + 1) for c in n.children)
        opened = " open" if depth < open_depth else ""
        return f"<li><details{opened}><summary>{label(n, depth)}</summary><ul>{inner}</ul></details></li>"

    counts = mind_map_counts(node)
    legend = (f'<p class="legend"><span class="node ready">green</span>: opens its lesson · '
              f'<span class="node planned">grey</span>: planned · click a branch to fold it · '
              f'{counts["ready"]} of {counts["leaves"]} leaves have a lesson</p>')
    return (f'<div class="dsysedu-map"><style>{_css()}</style>{legend}<ul>{item(node, 0)}</ul></div>')


def mind_map_page(node, link: Callable[[str], str | None] | None = None, title: str = "dsysedu: the mind map",
                  intro: str = "") -> str:
    """A whole HTML page around :func:`mind_map_html` (``intro``: HTML put above the map)."""
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{_html.escape(title)}</title></head>"
            "<body style='font-family:sans-serif;max-width:1100px;margin:auto;padding:0 16px'>"
            f"<h1>{_html.escape(title)}</h1>{intro}{mind_map_html(node, link)}</body></html>")
