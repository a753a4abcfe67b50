"""A static web site of the course: every chapter executed and exported to HTML, the map in front.

``bash scripts/site.sh`` calls :func:`build_site` (``python -m dsysedu.site``). Each written
chapter of :data:`dsysedu.course.CHAPTERS` is executed with nbconvert's
``ExecutePreprocessor`` (its seeds are fixed in the notebook, so the pages are the same run to
run) and exported with the HTML exporter: figures and offline animations are embedded in the
page. Notebooks a chapter links to (its exercises, a dashboard) become pages too, exported
without running them: they are for doing, in Jupyter. Links between notebooks
(``02_1_system_model.ipynb``) are rewritten to the pages (``02_1_system_model.html``), each page
gets a bar with the map, the previous and the next chapter, and the front page ``index.html``
is the course's mind map (:func:`dsysedu.viz.mindmap.mind_map_html`): every leaf links the page and
section that teach it, planned ones are grey.

:func:`broken_links` checks a built site: every relative ``href``/``src`` of every page must name
a file of the site, and a ``#fragment`` an ``id`` on that page.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["build_site", "broken_links", "page_name"]

_NB_LINK = re.compile(r'(href|src)="([^"#?:]+\.ipynb)(#[^"]*)?"')
_NB_ANCHOR = re.compile(r'<a\s[^>]*href="([^"#?:]+\.ipynb)(?:#[^"]*)?"[^>]*>(.*?)</a>', re.S)
_EXTERNAL = ("http", "https", "mailto", "data", "javascript", "ftp")


def page_name(notebook: str) -> str:
    """The page a notebook becomes: ``exercises/x.ipynb`` -> ``exercises/x.html``."""
    if not notebook.endswith(".ipynb"):
        raise ValueError(f"page_name: {notebook!r} is not a .ipynb path")
    return notebook[:-len(".ipynb")] + ".html"


@contextmanager
def _inline_figures():
    """Let the kernels draw inline: the tests' ``MPLBACKEND=Agg`` would leave pages without figures."""
    saved = os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved


def _linked_notebooks(nb, base: str) -> list[str]:
    """Relative ``.ipynb`` links in a notebook's markdown, as paths under ``notebooks/``."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)\s#]+\.ipynb)", cell.source):
                if not urlsplit(target).scheme:
                    out.append(os.path.normpath(os.path.join(os.path.dirname(base), target)))
    return out


def _static_outputs(nb) -> None:
    """A page has no kernel: an output that offers HTML beside a live widget shows the HTML."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data and "application/vnd.jupyter.widget-view+json" in data:
                del data["application/vnd.jupyter.widget-view+json"]


def _bar(page: str, prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    up = "../" * page.count("/")
    parts = [f'<a href="{up}index.html">Course map</a>']
    if prev:
        parts.append(f'<a href="{up}{prev[0]}">&larr; {html.escape(prev[1])}</a>')
    if nxt:
        parts.append(f'<a href="{up}{nxt[0]}">{html.escape(nxt[1])} &rarr;</a>')
    return ('<nav class="dsysedu-bar" style="padding:8px 16px;border-bottom:1px solid;font-family:sans-serif">'
            + " &middot; ".join(parts) + "</nav>")


def _export(src: Path, page: str, execute: bool, timeout: int, bar: str, notebooks: Path, built: set[str]) -> str:
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.read(src, as_version=4)
    if execute:
        with _inline_figures():
            ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
                nb, {"metadata": {"path": str(src.parent)}})
        _static_outputs(nb)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources={"metadata": {"name": src.stem}})
    here = os.path.dirname(page)

    def unlink(m: re.Match) -> str:
        # a notebook that exists but is not part of this build (--only): keep the words, drop the link
        target = os.path.normpath(os.path.join(here, m.group(1)))
        if target not in built and (notebooks / target).exists():
            return f'<span title="not in this build of the site">{m.group(2)}</span>'
        return m.group(0)

    def relink(m: re.Match) -> str:
        target = os.path.normpath(os.path.join(here, m.group(2)))
        if target in built:
            return f'{m.group(1)}="{page_name(m.group(2))}{m.group(3) or ""}"'
        return m.group(0)   # a notebook that does not exist: left for broken_links to report
    body = _NB_LINK.sub(relink, _NB_ANCHOR.sub(unlink, body))
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, body, count=1)


def _front_page(out: Path, chapters, pages: dict[str, str], extras: list[str], notebooks: Path) -> None:
    from dsysedu.mind_map import mind_map
    from dsysedu.viz.mindmap import mind_map_html

    built = {**pages, **{e: page_name(e) for e in extras}}

    def link(href: str) -> str | None:
        notebook, sep, fragment = href.partition("#")
        return built[notebook] + sep + fragment if notebook in built else None

    start = next((ch for ch in chapters if ch.notebook in pages and ch.section == "0"), None)
    intro = (f'<p>New here? Begin with <a href="{pages[start.notebook]}">{html.escape(start.title)}</a>.</p>'
             if start else "")
    rows = []
    if extras:
        rows.append("<h2>Exercises and dashboards the chapters link to</h2><ul>")
        rows += [f'<li><a href="{page_name(e)}">{html.escape(e)}</a></li>' for e in extras]
        rows.append("</ul><p>These pages show the notebooks unrun: open them in Jupyter "
                    "(<code>bash scripts/course.sh</code>) to do the exercises and play with the dashboards.</p>")
    (out / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>dsysedu: the course</title></head>"
        "<body style='font-family:sans-serif;max-width:1100px;margin:auto;padding:0 16px'>"
        "<h1>dsysedu: distributed systems, run and seen</h1>"
        "<p>The course follows the source's mind map (its section 11): every branch and leaf below opens the "
        "lesson that teaches it; grey ones are planned. Every chapter was executed when this site was built, "
        "with the seeds the notebooks fix.</p>" + intro
        + mind_map_html(mind_map(notebooks), link) + "\n".join(rows) + "</body></html>", encoding="utf-8")


def build_site(out, notebooks=None, *, only=None, execute=True, timeout=600, log=print) -> list[str]:
    """Build the site into ``out``; returns the pages written (paths relative to ``out``).

    Parameters
    ----------
    out : path-like
        Output folder (created; existing pages are overwritten).
    notebooks : path-like, optional
        The ``notebooks/`` folder; default :func:`dsysedu.course.notebooks_dir`.
    only : iterable of str, optional
        Chapter notebooks to build (file names as in ``CHAPTERS``); default every written one.
        The front page still lists every chapter, linking the built ones.
    execute : bool
        Run the chapters before exporting (False: export as stored, for a quick check).
    timeout : int
        Seconds a cell may run.
    log : callable
        Gets one line per page.
    """
    from dsysedu.course import CHAPTERS, notebooks_dir

    if not isinstance(execute, bool):
        raise TypeError(f"build_site: execute must be True or False, got {execute!r}")
    if not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"build_site: timeout must be a positive number of seconds, got {timeout!r}")
    root = Path(notebooks) if notebooks is not None else notebooks_dir()
    written = [ch for ch in CHAPTERS if (root / ch.notebook).exists()]
    if only is not None:
        only = set(only)
        unknown = only - {ch.notebook for ch in written}
        if unknown:
            raise ValueError(f"build_site: {sorted(unknown)} are not written chapters; allowed: "
                             f"{[ch.notebook for ch in written]}")
        written = [ch for ch in written if ch.notebook in only]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    import nbformat

    pages = {ch.notebook: page_name(ch.notebook) for ch in written}
    extras: list[str] = []
    for ch in written:
        for target in _linked_notebooks(nbformat.read(root / ch.notebook, as_version=4), ch.notebook):
            if target not in pages and target not in extras and (root / target).exists() \
                    and target not in {c.notebook for c in CHAPTERS}:
                extras.append(target)
    built = set(pages) | set(extras)
    for i, ch in enumerate(written):
        prev = (pages[written[i - 1].notebook], f"{written[i - 1].section} {written[i - 1].title}") if i else None
        nxt = ((pages[written[i + 1].notebook], f"{written[i + 1].section} {written[i + 1].title}")
               if i + 1 < len(written) else None)
        start = time.perf_counter()
        text = _export(root / ch.notebook, pages[ch.notebook], execute, timeout, _bar(pages[ch.notebook], prev, nxt),
                       root, built)
        (out / pages[ch.notebook]).parent.mkdir(parents=True, exist_ok=True)   # labs/ and the like
        (out / pages[ch.notebook]).write_text(text, encoding="utf-8")
        log(f"[site] {pages[ch.notebook]:40s} {time.perf_counter() - start:6.1f} s")
    for extra in extras:
        page = page_name(extra)
        (out / page).parent.mkdir(parents=True, exist_ok=True)
        (out / page).write_text(_export(root / extra, page, False, timeout, _bar(page, None, None), root, built),
                                encoding="utf-8")
        log(f"[site] {page:40s} (not run)")
    _front_page(out, CHAPTERS, pages, extras, root)
    return ["index.html"] + list(pages.values()) + [page_name(e) for e in extras]


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)
            elif key in ("href", "src") and value:
                self.refs.append(value)


def _parse(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(site) -> list[tuple[str, str]]:
    """Every internal link of every page of ``site`` that does not resolve, as ``(page, link)``.

    External links (``http:``, ``https:``, ``mailto:``, ``data:``...) are not followed. A link
    resolves when its file exists inside ``site`` and its ``#fragment``, if any, is an ``id`` of
    the page it names, as written or percent-decoded (browsers try both; nbconvert writes the
    heading ids of non-ASCII titles percent-encoded).
    """
    site = Path(site).resolve()
    if not site.is_dir():
        raise ValueError(f"broken_links: {site} is not a folder (build the site first: bash scripts/site.sh)")
    parsed: dict[Path, _Refs] = {}
    bad = []
    for page in sorted(site.rglob("*.html")):
        refs = parsed.setdefault(page, _parse(page))
        for ref in refs.refs:
            parts = urlsplit(ref)
            if parts.scheme in _EXTERNAL or parts.netloc:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if site not in target.parents and target != site or not target.is_file():
                bad.append((str(page.relative_to(site)), ref))
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed.setdefault(target, _parse(target)).ids
                # as browsers do (HTML, "find a potential indicated element"): the fragment as written, then decoded
                if parts.fragment not in ids and unquote(parts.fragment) not in ids:
                    bad.append((str(page.relative_to(site)), ref))
    return bad


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dsysedu.site", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="site", help="output folder (default: site)")
    parser.add_argument("--no-execute", action="store_true", help="export the notebooks as stored, without running")
    parser.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="build only these chapters")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default 600)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = build_site(args.out, only=args.only, execute=not args.no_execute, timeout=args.timeout)
    bad = broken_links(args.out)
    for page, ref in bad:
        print(f"[site] BROKEN LINK in {page}: {ref}")
    print(f"[site] {len(pages)} files in {args.out}/ in {time.perf_counter() - start:.0f} s; "
          f"{len(bad)} broken links; open {args.out}/index.html")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
