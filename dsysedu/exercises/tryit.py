"""A friendly word instead of a traceback when a "try it" cell calls a function not written yet.

In a student's copy every exercise function starts as ``raise NotImplementedError()``. The check cell
already says "not written yet" kindly; a cell that merely *tries* the function (``majority(5)``) would
stop "Run All" with a traceback. Importing :mod:`dsysedu.exercises` in IPython or Jupyter installs
:class:`NotWrittenYet`, an AST transformer (IPython's ``ast_transformers``) that wraps each later cell so
that a ``NotImplementedError`` raised *by a function defined in the notebook* shows the checker's
message, and the cell ends normally; a later cell that reads a variable the interrupted cell was to
assign is told why it has no value (instead of a ``NameError``). Any other error, and a
``NotImplementedError`` raised inside a library, is left alone. The cell's last expression is still
displayed as usual.

Examples
--------
>>> import ast
>>> tree = NotWrittenYet().visit(ast.parse("x = 1\\nx + 1"))
>>> isinstance(tree.body[0], ast.Try)
True
"""
from __future__ import annotations

import ast
import html
import sys

__all__ = ["NotWrittenYet", "NotWritten", "NotComputed", "install"]

_HERE = "dsysedu.exercises.tryit"


class NotWritten:
    """What a try-it cell shows for a function that still raises ``NotImplementedError``."""

    def __init__(self, name: str):
        self.name = name

    def text(self) -> str:
        return (f"{self.name} is not written yet: replace `raise NotImplementedError()` in {self.name} with your "
                f"code, run its cell, then this one again. (Its check cell says the same, with a hint.)")

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        from dsysedu.viz import style

        return (f'<div style="border-left:4px solid {style.NOT_YET};padding:4px 10px">'
                f'<b style="color:{style.NOT_YET}">Not yet</b><br>{html.escape(self.text())}</div>')


def _from_the_notebook(filename: str) -> bool:
    """Whether code at ``filename`` was typed in a cell (IPython names cells' code like this)."""
    return filename.startswith("<ipython-input") or "ipykernel_" in filename or filename.startswith("<cell")


#: names a cell would have assigned had an unwritten function not stopped it -> that function's name
_NOT_COMPUTED: dict[str, str] = {}


class NotComputed(NotWritten):
    """What a later cell shows when it reads a name that an interrupted cell never assigned."""

    def __init__(self, variable: str, name: str):
        super().__init__(name)
        self.variable = variable

    def text(self) -> str:
        return (f"{self.variable} has no value yet: the cell that computes it stopped because {self.name} is not "
                f"written yet. Write {self.name}, then run the cells again from there.")


def _missing(exc: NameError) -> bool:
    """Show :class:`NotComputed` if ``exc`` names a variable that an interrupted cell was to assign."""
    name = getattr(exc, "name", None)
    if name not in _NOT_COMPUTED:
        return False
    from IPython.display import display
    display(NotComputed(name, _NOT_COMPUTED[name]))
    return True


def _report(exc: BaseException, assigns=()) -> bool:
    """Show :class:`NotWritten` for ``exc`` if a notebook function raised it (True); else False.

    ``assigns`` are the names the interrupted cell assigns at its top level: a later cell that reads
    one of them is told why it has no value (:func:`_missing`)."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    code = last.tb_frame.f_code if last is not None else None
    if code is None or code.co_name == "<module>" or not _from_the_notebook(code.co_filename):
        return False
    from IPython.display import display
    display(NotWritten(code.co_name))
    for variable in assigns:
        _NOT_COMPUTED[variable] = code.co_name
    return True


def _show(value):
    """Display the cell's last value as IPython would (``Out[n]``, ``_``), through the display hook."""
    sys.displayhook(value)


def _helper(name: str) -> ast.expr:
    """``__import__("dsysedu.exercises.tryit", fromlist=["_"]).<name>``: no name enters the notebook."""
    module = ast.Call(ast.Name("__import__", ast.Load()),
                      [ast.Constant(_HERE)], [ast.keyword("fromlist", ast.List([ast.Constant("_")], ast.Load()))])
    return ast.Attribute(module, name, ast.Load())


class NotWrittenYet(ast.NodeTransformer):
    """Wrap a cell in ``try: ... except NotImplementedError as e: <report e>`` (see the module docstring)."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        body = node.body
        if not body or all(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                          ast.ImportFrom)) for s in body):
            return node
        if any(isinstance(s, ast.ImportFrom) and s.module == "__future__" for s in body):
            return node
        if isinstance(body[-1], ast.Expr):
            body = body[:-1] + [ast.Expr(ast.Call(_helper("_show"), [body[-1].value], []))]
        assigns = sorted({t.id for s in node.body for t in ast.walk(s) if isinstance(s, (ast.Assign, ast.AnnAssign,
                                                                                          ast.AugAssign, ast.For))
                          and isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)})
        caught = ast.Name("_dsysedu_not_written", ast.Load())
        report = ast.Call(_helper("_report"), [caught, ast.Tuple([ast.Constant(a) for a in assigns], ast.Load())], [])
        missing = ast.Call(_helper("_missing"), [caught], [])
        handlers = [ast.ExceptHandler(ast.Name(kind, ast.Load()), "_dsysedu_not_written",
                                      [ast.If(ast.UnaryOp(ast.Not(), call), [ast.Raise()], [])])
                    for kind, call in (("NotImplementedError", report), ("NameError", missing))]
        node.body = [ast.Try(body, handlers, [], [])]
        return ast.fix_missing_locations(node)


def install(shell=None) -> bool:
    """Install :class:`NotWrittenYet` in the running IPython shell (once); False outside IPython."""
    if shell is None:
        if "IPython" not in sys.modules:
            return False
        shell = sys.modules["IPython"].get_ipython()
    if shell is None:
        return False
    if not any(isinstance(t, NotWrittenYet) for t in shell.ast_transformers):
        shell.ast_transformers.append(NotWrittenYet())
    return True
