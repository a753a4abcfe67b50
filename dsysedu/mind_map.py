"""The source's mind map (its section 11) as the course's map: every branch and leaf, linked to a lesson.

The map itself is data, ``data/mind_map.json`` (described in ``data/README.md``): a tree whose nodes
carry the source's words (``zh``), ours (``en``), the notebook that teaches them and the headings to
look for in it. :func:`resolve` turns that tree into :class:`MapNode` values against the notebooks
that exist *now*, so a chapter being written shows as planned until its notebook appears, and links
as soon as it does:

- a node whose notebook does not exist is ``"planned"`` (no link);
- a node whose heading is found links to ``notebook#anchor`` (``"section"``);
- a node that names a notebook of its own and no heading links to the whole notebook (``"chapter"``);
- a node whose notebook exists but whose heading is not found (or that names none) links where its
  parent links (``"parent"``: the lesson exists, this part of it is not a section of its own).

A heading is looked for among the headings under the parent's heading (the whole notebook for a
chapter). A section number (``"2.1.3"``) matches a heading that starts with it (not ``2.1.30``);
any other text matches a heading that contains it.

Anchors are the ids JupyterLab and nbconvert give headings: the heading's text with spaces as
``-`` (nbconvert percent-encodes the rest, as :func:`heading_anchor` does; browsers accept both).

Examples
--------
>>> heading_anchor("2.1.3 · CAP (CAP 定理)")
'2.1.3-%C2%B7-CAP-(CAP-%E5%AE%9A%E7%90%86)'
>>> heading_anchor("1.4 A timeout cannot tell *slow* from *lost*")
'1.4-A-timeout-cannot-tell-slow-from-lost'
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

__all__ = ["MapNode", "Heading", "mind_map_path", "load_mind_map", "resolve", "mind_map", "heading_anchor",
           "heading_text", "notebook_headings", "leaves", "STATUSES"]

#: what a node of the resolved map can be
STATUSES = ("section", "chapter", "parent", "planned", "branch")

_SECTION = re.compile(r"\d+(\.\d+)*[a-z]?")
_KEYS = {"section", "zh", "en", "note_zh", "note_en", "notebook", "find", "also", "children", "about"}


@dataclass(frozen=True)
class Heading:
    """A markdown heading of a notebook: its level (1 for ``#``), plain text and anchor."""
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class MapNode:
    """A node of the resolved mind map.

    Attributes
    ----------
    section : str
        The source's section number ("" for a leaf inside a section).
    zh, en : str
        The source's words and ours.
    note_zh, note_en : str
        The parenthesis the source adds ("" if none).
    notebook : str or None
        The notebook that teaches it (path under ``notebooks/``), None for a branch that only groups.
    href : str or None
        ``notebook`` or ``notebook#anchor``; None when planned or a branch that only groups.
    status : str
        One of :data:`STATUSES`.
    heading : str
        The heading it links to ("" when it links to a whole notebook).
    also : tuple of (path, exists)
        Dashboards, exercises or appendices to offer beside it.
    children : tuple of MapNode
    """
    section: str
    zh: str
    en: str
    note_zh: str = ""
    note_en: str = ""
    notebook: str | None = None
    href: str | None = None
    status: str = "branch"
    heading: str = ""
    also: tuple = ()
    children: tuple = ()

    @property
    def label(self) -> str:
        """``section en (zh)``, as the map shows it."""
        num = f"{self.section} " if self.section else ""
        return f"{num}{self.en}" + ("" if self.zh == self.en else f" ({self.zh})")

    def walk(self):
        """This node and every node under it, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()


def mind_map_path() -> Path:
    """``data/mind_map.json`` of this checkout."""
    return Path(__file__).resolve().parent.parent / "data" / "mind_map.json"


def load_mind_map(path=None) -> dict:
    """The map as stored (a dict tree), checked: known keys, zh and en on every node, lists where lists go.

    Raises
    ------
    ValueError
        Naming the node and what is wrong with it.
    """
    data = json.loads(Path(path or mind_map_path()).read_text(encoding="utf-8"))

    def check(node, where):
        if not isinstance(node, dict):
            raise ValueError(f"mind map: {where} must be an object, got {node!r}")
        unknown = set(node) - _KEYS
        if unknown:
            raise ValueError(f"mind map: {where} has unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
        for key in ("zh", "en"):
            if not isinstance(node.get(key), str) or not node[key].strip():
                raise ValueError(f"mind map: {where} needs a non-empty {key!r}")
        for key in ("find", "also", "children"):
            if key in node and not isinstance(node[key], list):
                raise ValueError(f"mind map: {where}.{key} must be a list, got {node[key]!r}")
        if "section" in node and not _SECTION.fullmatch(str(node["section"])):
            raise ValueError(f"mind map: {where} has section {node['section']!r}; expected a number like 2.1.3")
        if "notebook" in node and not str(node["notebook"]).endswith(".ipynb"):
            raise ValueError(f"mind map: {where}.notebook must be a .ipynb path, got {node['notebook']!r}")
        for i, child in enumerate(node.get("children", [])):
            check(child, f"{where} > {child.get('section') or child.get('zh') or i}" if isinstance(child, dict)
                  else f"{where} > {i}")

    check(data, "the root")
    return data


# -- headings and anchors ------------------------------------------------------------------------

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"`+([^`]*)`+")
_EMPH = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")


def heading_text(markdown: str) -> str:
    """The text a markdown heading shows: emphasis, code marks, links and tags removed."""
    text = _CODE.sub(lambda m: m.group(1), markdown.strip().lstrip("#").strip())
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text)
    prev = None
    while prev != text:
        prev, text = text, _EMPH.sub(lambda m: m.group(2), text)
    return html.unescape(re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", text)).strip()


def heading_anchor(text: str) -> str:
    """The id JupyterLab and nbconvert give a heading of this text (markdown is stripped first)."""
    return quote(heading_text(text).replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def notebook_headings(path) -> list[Heading]:
    """Every markdown heading of a notebook, in order (fenced code blocks skipped)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        fenced = False
        for line in source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            m = re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", line)
            if m and not fenced:
                out.append(Heading(len(m.group(1)), heading_text(m.group(2)), heading_anchor(m.group(2))))
    return out


def _matches(candidate: str, text: str) -> bool:
    if _SECTION.fullmatch(candidate):
        return text.startswith(candidate) and not re.match(r"[\d]|\.\d", text[len(candidate):])
    return candidate in text


def _find(headings, lo, hi, candidates):
    """Index of the first heading in ``headings[lo:hi]`` matching a candidate (tried in order), or None."""
    for cand in candidates:
        for i in range(lo, hi):
            if _matches(cand, headings[i].text):
                return i
    return None


def _extent(headings, i) -> int:
    """One past the last heading under heading ``i``."""
    j = i + 1
    while j < len(headings) and headings[j].level > headings[i].level:
        j += 1
    return j


# -- resolving --------------------------------------------------------------------------------------

def resolve(tree: dict | None = None, notebooks=None) -> MapNode:
    """The map with every node's link decided from the notebooks present.

    Parameters
    ----------
    tree : dict, optional
        As :func:`load_mind_map` returns it (default: the course's map).
    notebooks : path-like, optional
        The ``notebooks/`` folder (default: this checkout's).

    Returns
    -------
    MapNode
        The root; its children are the source's chapters 1 to 10.
    """
    from dsysedu.course import notebooks_dir

    tree = load_mind_map() if tree is None else tree
    root = Path(notebooks) if notebooks is not None else notebooks_dir()
    cache: dict = {}

    def headings(nb):
        if nb not in cache:
            cache[nb] = notebook_headings(root / nb)
        return cache[nb]

    def build(node, inherited, parent_href, scope):
        """``scope``: (notebook, lo, hi) of the parent's headings, or None."""
        own = node.get("notebook")
        notebook = own or inherited
        section = str(node.get("section", ""))
        href, status, heading, my_scope = None, "branch", "", None
        if notebook is not None:
            if not (root / notebook).exists():
                status = "planned"
            elif own is not None and own != inherited and not node.get("find"):   # a lesson of its own
                href, status = notebook, "chapter"
                my_scope = (notebook, 0, len(headings(notebook)))
            else:
                hs = headings(notebook)
                lo, hi = (scope[1], scope[2]) if scope and scope[0] == notebook else (0, len(hs))
                candidates = [str(c) for c in node.get("find", [])] or ([section] if section else [])
                if own is not None and own != inherited:   # another chapter's section: search all of it
                    lo, hi = 0, len(hs)
                i = _find(hs, lo, hi, candidates)
                if i is not None:
                    href, status, heading = f"{notebook}#{hs[i].anchor}", "section", hs[i].text
                    my_scope = (notebook, i + 1, _extent(hs, i))
                else:
                    href, status = parent_href or notebook, "parent"
                    my_scope = scope if scope and scope[0] == notebook else (notebook, 0, len(hs))
        also = tuple((p, (root / p).exists()) for p in node.get("also", []))
        children = tuple(build(c, notebook, href, my_scope) for c in node.get("children", []))
        return MapNode(section, node["zh"], node["en"], node.get("note_zh", ""), node.get("note_en", ""),
                       notebook, href, status, heading, also, children)

    return build(tree, None, None, None)


def mind_map(notebooks=None) -> MapNode:
    """The course's mind map, resolved against ``notebooks`` (default: this checkout's)."""
    return resolve(load_mind_map(), notebooks)


def leaves(node: MapNode) -> list[MapNode]:
    """The nodes without children, in the map's order."""
    return [n for n in node.walk() if not n.children]
