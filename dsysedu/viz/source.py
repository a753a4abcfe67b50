"""Show the package's own code in a lesson, instead of a copy that drifts.

:func:`show_source` turns a function, method or class into a small highlighted listing, headed
by its full name and the file and line it lives at, so a learner can open the real thing.
"""
from __future__ import annotations

import html
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from dsysedu.viz import style

__all__ = ["show_source", "Source"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Source:
    """A piece of source code with where it comes from; shows as highlighted HTML in Jupyter."""

    name: str   # module.qualname
    path: str   # file, relative to the checkout when it is inside it
    line: int   # first line in that file
    code: str

    def _repr_html_(self) -> str:
        body = highlight(self.code, PythonLexer(), HtmlFormatter(noclasses=True, nowrap=True))
        rule = f"1px solid {style.EMPTY_SLOT}"
        return (f'<div style="border:{rule};border-radius:4px;margin:4px 0">'
                f'<div style="padding:3px 8px;font-size:90%;border-bottom:{rule}">'
                f'<b><code>{html.escape(self.name)}</code></b> &nbsp;·&nbsp; '
                f'<code>{html.escape(self.path)}</code>, line {self.line}</div>'
                f'<pre style="margin:0;padding:6px 8px;line-height:125%;overflow-x:auto">{body}</pre></div>')

    def __repr__(self) -> str:
        return f"# {self.name} ({self.path}, line {self.line})\n{self.code}"


def show_source(obj) -> Source:
    """The source of a function, method or class, to show in a notebook.

    Parameters
    ----------
    obj : function, method, class or property
        Anything :func:`inspect.getsource` reads (a property shows its getter).

    Returns
    -------
    Source
        Shows as syntax-highlighted HTML with its module path in Jupyter, as plain text
        elsewhere.

    Raises
    ------
    TypeError
        For an object without Python source (a number, a built-in).

    Examples
    --------
    >>> from dsysedu.sim.scenario import sort_key
    >>> src = show_source(sort_key)
    >>> src.name, src.path
    ('dsysedu.sim.scenario.sort_key', 'dsysedu/sim/scenario.py')
    >>> src.code.splitlines()[0]
    'def sort_key(n):'
    """
    if isinstance(obj, property):
        obj = obj.fget
    target = inspect.unwrap(obj) if callable(obj) else obj
    try:
        lines, start = inspect.getsourcelines(target)
        filename = inspect.getsourcefile(target)
    except (TypeError, OSError) as error:
        raise TypeError(f"no Python source for {obj!r}: pass a function, method or class ({error})") from None
    module = getattr(target, "__module__", None) or inspect.getmodulename(filename) or "?"
    qualname = getattr(target, "__qualname__", getattr(target, "__name__", "?"))
    path = Path(filename).resolve()
    try:
        shown = path.relative_to(_PACKAGE_ROOT).as_posix()
    except ValueError:
        shown = path.as_posix()
    return Source(f"{module}.{qualname}", shown, start, textwrap.dedent("".join(lines)).rstrip("\n"))
