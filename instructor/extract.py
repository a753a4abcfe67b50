"""Move an exercise module's reference solutions out of the installed package.

An exercise module in the course's pattern (``dsysedu/exercises/chN.py``) defines functions named
``*_reference`` and registers ``Exercise(id=..., reference=some_reference, ...)``. :func:`extract`
rewrites it in place, mechanically:

- every ``*_reference`` function moves to ``instructor/references/chN.py``, with the module's
  private helpers (functions, classes, constants) that only the references use; helpers that the
  checker needs too stay and are imported from the package; the imports the moved code needs
  follow it (relative imports made absolute);
- the ``reference=`` keyword leaves each ``Exercise(...)`` call, and the moved names leave
  ``__all__``; imports nothing uses any more are dropped;
- the instructor module ends with ``REFERENCES = {exercise id: reference function}``;
- ``from dsysedu.exercises.chN import ...`` lines in ``tests/`` that name a moved function are split,
  the moved names imported from ``instructor.references.chN``.

Run it through ``python -m instructor extract chN`` (which then freezes the answers).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ["extract", "ExtractResult"]

REPO = Path(__file__).resolve().parents[1]


class ExtractResult:
    """What :func:`extract` did: the moved names, the exercise ids with a reference, the files written."""

    def __init__(self, module, moved, references, written):
        self.module, self.moved, self.references, self.written = module, moved, references, written

    def __repr__(self):
        return (f"{self.module}: moved {', '.join(self.moved)}; references of "
                f"{', '.join(self.references)}; wrote {', '.join(str(p) for p in self.written)}")


def _loads(node) -> set[str]:
    """Every name that ``node`` reads (a function body, a decorator, a default value...)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _defined(node) -> list[str]:
    """The module-level names a statement binds (def, class, assignment)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _span(node, lines) -> tuple[int, int]:
    """0-based [start, end) line span of a statement with its decorators and the comment lines just above."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while start > 0 and lines[start - 1].lstrip().startswith("#") and not lines[start - 1].startswith("# ---"):
        start -= 1
    return start, node.end_lineno


def _import_text(node, names, package) -> str:
    """An import statement for the aliases of ``node`` that bind ``names``, relative imports made absolute."""
    aliases = [a for a in node.names if (a.asname or a.name).split(".")[0] in names]
    if isinstance(node, ast.Import):
        return "import " + ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in aliases)
    module = node.module or ""
    if node.level:
        base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
        module = ".".join(base + ([module] if module else []))
    return f"from {module} import " + ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in aliases)


def extract(module: str, repo: Path = REPO) -> ExtractResult:
    """Move the reference solutions of ``dsysedu/exercises/<module>.py`` to ``instructor/references/<module>.py``.

    Raises
    ------
    ValueError
        If the module does not exist, has no ``*_reference`` function, or already has an instructor
        module (nothing is written then).
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", module):
        raise ValueError(f"give a module name such as ch6 (a file dsysedu/exercises/ch6.py), not {module!r}")
    path = repo / "dsysedu" / "exercises" / f"{module}.py"
    target = repo / "instructor" / "references" / f"{module}.py"
    if not path.is_file():
        raise ValueError(f"no exercise module {path}")
    if target.exists():
        raise ValueError(f"{target} exists already: {module}'s references were moved before")
    src = path.read_text(encoding="utf-8")
    lines = src.splitlines(keepends=True)
    tree = ast.parse(src)
    body = tree.body
    package = f"dsysedu.exercises.{module}"

    defs = {name: node for node in body for name in _defined(node)}
    imports = {(a.asname or a.name).split(".")[0]: node for node in body
               if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    moved = {n for n, node in defs.items() if n.endswith("_reference") and isinstance(node, ast.FunctionDef)}
    if not moved:
        raise ValueError(f"{path} has no *_reference function to move")

    public = set()
    for node in body:
        if "__all__" in _defined(node) and isinstance(node.value, (ast.List, ast.Tuple)):
            public = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}

    # the registrations: exercise id -> reference name, and the keyword nodes to cut
    references, cuts = {}, []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Exercise":
            kw = {k.arg: k for k in call.keywords}
            if "reference" in kw and isinstance(kw["reference"].value, ast.Name):
                if "id" not in kw or not isinstance(kw["id"].value, ast.Constant):
                    raise ValueError(f"{path}:{call.lineno}: Exercise(...) needs id='...' as a plain string")
                references[kw["id"].value.value] = kw["reference"].value.id
                cuts.append(kw["reference"])

    # helpers used only by moved code move too (to a fixed point)
    def users(name, among):
        return [node for node in among if name in _loads(node)]
    while True:
        staying = [node for node in body if not (set(_defined(node)) & moved)]
        wanted = set().union(*(_loads(defs[n]) for n in moved)) & set(defs)
        more = {n for n in wanted - moved
                if n not in public and n != "__all__" and not users(n, staying)
                and isinstance(defs[n], (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign))}
        if not more:
            break
        moved |= more
    moved_nodes = [node for node in body if set(_defined(node)) & moved]
    staying = [node for node in body if node not in moved_nodes]
    needed = set().union(*(_loads(node) for node in moved_nodes))
    from_package = sorted((needed & set(defs)) - moved)
    needed_imports = needed & set(imports)

    # ---------------------------------------------------------------- the instructor module
    doc = ast.get_docstring(tree) or ""
    first = doc.splitlines()[0] if doc else f"the exercises of {package}"
    out = [f'"""Reference solutions: {first[0].lower() + first[1:]}\n\n'
           f"Instructor only: this folder is not in the wheel nor in the student release. The checker\n"
           f"({package}) compares with answers frozen from these functions by ``python -m instructor freeze``.\n"
           f'"""\n']
    if any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in body):
        out.append("from __future__ import annotations\n")
    out.append("\n")
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", None) != "__future__":
            names = {(a.asname or a.name).split(".")[0] for a in node.names} & needed_imports
            if names:
                out.append(_import_text(node, names, package) + "\n")
    if from_package:
        out.append(f"from {package} import {', '.join(from_package)}\n")
    ref_names = [n for n in (_defined(node)[0] for node in moved_nodes) if n.endswith("_reference")]
    out.append(f"\n__all__ = {ref_names!r}\n".replace("'", '"'))
    for node in moved_nodes:
        a, b = _span(node, lines)
        out.append("\n\n" + "".join(lines[a:b]).rstrip("\n") + "\n")
    out.append("\n\n#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)\n")
    out.append("REFERENCES = {" + ", ".join(f'"{i}": {n}' for i, n in references.items()) + "}\n")

    # ---------------------------------------------------------------- the package module, rewritten
    edits = []  # (start line, start col, end line, end col, replacement), 1-based lines
    for kw in cuts:
        edits.append((kw.lineno, kw.col_offset, kw.end_lineno, kw.end_col_offset, None))
    for node in moved_nodes:
        a, b = _span(node, lines)
        edits.append((a + 1, 0, b + 1, 0, ""))
    remaining = set().union(*(_loads(node) for node in staying if not isinstance(node, (ast.Import, ast.ImportFrom))))
    for node in body:
        if "__all__" in _defined(node):
            keep = [n for n in public if n not in moved]
            keep = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and e.value in keep]
            edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset,
                          f"__all__ = {keep!r}".replace("'", '"')))
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", None) != "__future__":
            bound = {(a.asname or a.name).split(".")[0] for a in node.names}
            used = {n for n in bound if n in remaining or n in public}
            if used != bound:
                text = _import_text(node, used, package) if used else None
                if text and node.level:  # keep relative imports relative
                    text = ast.unparse(ast.ImportFrom(node.module, [a for a in node.names if (a.asname or a.name) in used],
                                                      node.level))
                edits.append((node.lineno, 0, node.end_lineno + 1, 0, (text + "\n") if text else ""))
    new = _apply(lines, edits)
    new = re.sub(r"\n{4,}", "\n\n\n", new)

    target.parent.mkdir(parents=True, exist_ok=True)
    init = target.parent / "__init__.py"
    written = [path, target]
    compile(new, str(path), "exec")
    compile("".join(out), str(target), "exec")
    path.write_text(new, encoding="utf-8")
    target.write_text("".join(out), encoding="utf-8")
    written += _rewrite_test_imports(repo, module, moved)
    if not init.exists():
        raise ValueError(f"{init} is missing: the instructor package is incomplete")
    return ExtractResult(module, sorted(moved), sorted(references), written)


def _apply(lines, edits) -> str:
    """Apply (line, col, end line, end col, replacement) edits, the last first; ``None`` cuts a keyword
    argument together with the comma and newline that follow it."""
    text = "".join(lines)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def pos(line, col):  # ast columns count UTF-8 bytes
        if line > len(lines):
            return len(text)
        return starts[line - 1] + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8"))
    for a, ca, b, cb, repl in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        i, j = pos(a, ca), pos(b, cb)
        if repl is None:
            after = re.match(r"[ \t]*,[ \t]*(\n[ \t]*)?", text[j:])
            before = re.search(r",\s*$", text[:i])
            if after:
                j += len(after.group(0))
            elif before:
                i = before.start()
            repl = ""
        text = text[:i] + repl + text[j:]
    return text


def _rewrite_test_imports(repo: Path, module: str, moved: set) -> list:
    """Split ``from dsysedu.exercises.<module> import ...`` in tests/ so moved names come from instructor."""
    pattern = re.compile(rf"^from dsysedu\.exercises\.{module} import (\((?:[^)]*)\)|[^\n]*)$", re.MULTILINE)
    written = []
    for test in sorted((repo / "tests").rglob("*.py")):
        text = test.read_text(encoding="utf-8")

        def split(m):
            names = [n.strip() for n in m.group(1).strip("()").replace("\n", " ").split(",") if n.strip()]
            names = [n.split("#")[0].strip() for n in names]
            go = [n for n in names if n.split(" as ")[0] in moved]
            stay = [n for n in names if n not in go]
            lines = []
            if stay:
                lines.append(f"from dsysedu.exercises.{module} import {', '.join(stay)}")
            if go:
                lines.append(f"from instructor.references.{module} import {', '.join(go)}")
            return "\n".join(lines)
        new = pattern.sub(split, text)
        if new != text:
            test.write_text(new, encoding="utf-8")
            written.append(test)
    return written
