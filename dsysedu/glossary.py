"""The course's bilingual glossary: every term the notebooks give in brackets, in English and Chinese.

The notebooks name a term in English and give the source's Chinese word in brackets at first use:
``**eventual consistency** (最终一致性)``, ``(high availability, 高可用性)``. :func:`bracketed_terms`
finds those Chinese terms in a notebook's prose; ``data/glossary.csv`` (columns ``english``,
``chinese``, ``section``, ``definition``: one line each) holds them all, and
:func:`missing_terms` lists the ones a notebook uses that the glossary lacks, with where they are,
so whoever writes a chapter can fill them in.

Examples
--------
>>> bracketed_terms("a **cut** (割) is *consistent* (一致割, Chandy and Lamport 1985) when ...")
['割', '一致割']
>>> bracketed_terms("(high availability, 高可用性) and (Prepare, 投票阶段)")
['高可用性', '投票阶段']
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COLUMNS", "Use", "glossary_path", "load_glossary", "bracketed_terms", "term_uses", "missing_terms",
           "search", "notebook_order"]

#: the columns of ``data/glossary.csv``, in order
COLUMNS = ("english", "chinese", "section", "definition")

_CJK = re.compile(r"[\u3400-\u9fff]")
_BRACKET = re.compile(r"[(（]([^()（）]*)[)）]")
_PIECES = re.compile(r"[,，、:：;；]")
_SECTION_HEADING = re.compile(r"^#{1,6}\s*(?:Exercise\s+)?(\d+(?:\.\d+)*[a-z]?(?:\.\d+)*)")
_FILE_SECTION = re.compile(r"^(\d+)(?:_(\d+[a-z]?))?_")
_LAB = re.compile(r"^lab(\d+)_")


@dataclass(frozen=True)
class Use:
    """Where a bracketed term appears: the notebook (path under ``notebooks/``) and its section."""
    term: str
    notebook: str
    section: str


def glossary_path() -> Path:
    """``data/glossary.csv`` of this checkout."""
    return Path(__file__).resolve().parent.parent / "data" / "glossary.csv"


def load_glossary(path=None) -> list[dict]:
    """The glossary's rows (dicts with :data:`COLUMNS`), checked.

    Raises
    ------
    ValueError
        For other columns, an empty field, a field over one line, a Chinese term twice or a
        ``chinese`` field without Chinese in it, naming the row.
    """
    path = Path(path or glossary_path())
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path.name}: the columns must be {list(COLUMNS)}, got {reader.fieldnames}")
        rows = list(reader)
    seen: dict = {}
    for i, row in enumerate(rows, start=2):
        for key in COLUMNS:
            value = row.get(key)
            if value is None or not value.strip():
                raise ValueError(f"{path.name} line {i}: {key} is empty ({row})")
            if "\n" in value or "\r" in value:
                raise ValueError(f"{path.name} line {i}: {key} spans more than one line")
        if not _CJK.search(row["chinese"]):
            raise ValueError(f"{path.name} line {i}: chinese {row['chinese']!r} holds no Chinese characters")
        if row["chinese"] in seen:
            raise ValueError(f"{path.name} line {i}: {row['chinese']!r} is already on line {seen[row['chinese']]}")
        seen[row["chinese"]] = i
    return rows


def _clean(piece: str) -> str:
    """A bracket's piece as a term: markdown marks, quotes and spaces around it removed."""
    return re.sub(r"[*_`]", "", piece).strip().strip("\"'“”‘’「」『』").strip()


def bracketed_terms(text: str) -> list[str]:
    """The Chinese terms given in brackets in ``text``, in order (each once).

    A bracket counts when it holds Chinese; it may also hold the English term, a year or a section,
    separated by commas or colons, and only its pieces with Chinese in them are terms.
    """
    out: list[str] = []
    for m in _BRACKET.finditer(text):
        for piece in _PIECES.split(m.group(1)):
            term = _clean(piece)
            if _CJK.search(term) and term not in out:
                out.append(term)
    return out


def notebook_order(notebooks) -> list[str]:
    """Every notebook under ``notebooks`` (paths relative to it): the chapters in course order, then the
    others (dashboards, exercises, labs) sorted."""
    from dsysedu.course import CHAPTERS

    root = Path(notebooks)
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
    chapters = [ch.notebook for ch in CHAPTERS if ch.notebook in found]
    return chapters + [nb for nb in found if nb not in chapters]


def _file_section(notebook: str) -> str:
    lab = _LAB.match(Path(notebook).name)
    if lab:
        return f"lab {int(lab.group(1))}"
    m = _FILE_SECTION.match(Path(notebook).name)
    if not m:
        return ""
    major = str(int(m.group(1)))
    return f"{major}.{m.group(2)}" if m.group(2) else major


def term_uses(notebooks=None) -> list[Use]:
    """Every bracketed Chinese term of every notebook's markdown, with the section it sits in, in
    course order (a term once per notebook)."""
    from dsysedu.course import notebooks_dir

    root = Path(notebooks) if notebooks is not None else notebooks_dir()
    out: list[Use] = []
    for nb in notebook_order(root):
        cells = json.loads((root / nb).read_text(encoding="utf-8")).get("cells", [])
        section, seen = _file_section(nb), set()
        for cell in cells:
            if cell.get("cell_type") != "markdown":
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for block in re.split(r"(?m)^(?=#)", source):
                m = None if nb.startswith("labs/") else _SECTION_HEADING.match(block)
                if m:
                    section = m.group(1)
                for term in bracketed_terms(block):
                    if term not in seen:
                        seen.add(term)
                        out.append(Use(term, nb, section))
    return out


def missing_terms(rows=None, notebooks=None) -> list[Use]:
    """The bracketed terms of the notebooks that the glossary does not hold (first use of each)."""
    rows = load_glossary() if rows is None else rows
    have = {r["chinese"] for r in rows}
    out, seen = [], set()
    for use in term_uses(notebooks):
        if use.term not in have and use.term not in seen:
            seen.add(use.term)
            out.append(use)
    return out


def search(rows, text: str) -> list[dict]:
    """The rows where any column contains ``text`` (case-insensitive); every row for an empty text."""
    if not isinstance(text, str):
        raise TypeError(f"search: text must be a str, got {text!r}")
    needle = text.strip().casefold()
    return [r for r in rows if not needle or any(needle in str(r[c]).casefold() for c in COLUMNS)]
