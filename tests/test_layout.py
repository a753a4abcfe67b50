"""The package's shape: no import cycle between its layers, and the engine layers draw nothing.

Every module's imports are read with :mod:`ast`, including the lazy ones inside functions, so a
cycle cannot hide behind a function-level import. Layers are the top-level packages of
``dsysedu``; the top-level modules (``cli``, ``course``, ``demos``...) count as their own nodes.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dsysedu"
LAYERS = ("sim", "protocols", "systems", "ops", "check", "formal", "viz", "widgets", "exercises")
NO_DRAWING = ("sim", "protocols", "systems", "ops", "check", "formal")
DRAWING_LIBS = ("matplotlib", "ipywidgets")
#: the other top-level packages' modules: protocol and engine packages are libraries, not courses
TOPIC_PACKAGES = {"protocols": ("basics", "consensus", "replication", "membership", "transactions", "coordination"),
                  "systems": ("resilience", "patterns", "messaging", "storage", "discovery", "principles")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, me: str | None = None) -> list[tuple[str, int]]:
    """Every module ``path`` imports, anywhere in the file, as ``(absolute name, line)``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    me = me or module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.append((mod, node.lineno))
            # ``from pkg import submodule`` imports the submodule too
            out += [(f"{mod}.{a.name}", node.lineno) for a in node.names
                    if (PACKAGE.parent / (mod + "." + a.name).replace(".", "/")).with_suffix(".py").exists()
                    or (PACKAGE.parent / (mod + "." + a.name).replace(".", "/") / "__init__.py").exists()]
    return out


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "dsysedu" or len(parts) < 2:
        return None
    return parts[1]


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def layer_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in modules():
        src = layer_of(module_name(path))
        if src is None:
            continue
        g.add_node(src)
        for mod, line in imports_of(path):
            dst = layer_of(mod)
            if dst is not None and dst != src:
                g.add_edge(src, dst)
                g.edges[src, dst].setdefault("where", []).append(f"{path.relative_to(PACKAGE.parent)}:{line} -> {mod}")
    return g


def test_every_layer_exists_and_says_what_it_holds():
    for layer in LAYERS:
        init = PACKAGE / layer / "__init__.py"
        assert init.exists(), f"dsysedu/{layer}/ is missing"
        assert ast.get_docstring(ast.parse(init.read_text())), f"dsysedu/{layer}/__init__.py has no docstring"


def test_no_import_cycle_between_layers():
    g = layer_graph()
    cycles = list(nx.simple_cycles(g))
    if cycles:
        cycle = min(cycles, key=len)
        edges = list(zip(cycle, cycle[1:] + cycle[:1]))
        detail = "\n".join(f"  {a} -> {b}: " + "; ".join(g.edges[a, b]["where"][:3]) for a, b in edges)
        pytest.fail(f"import cycle between layers {' -> '.join(cycle + cycle[:1])}:\n{detail}")


def test_no_import_cycle_between_topic_packages():
    g = nx.DiGraph()
    for path in modules():
        parts = module_name(path).split(".")
        if len(parts) < 3 or parts[1] not in TOPIC_PACKAGES:
            continue
        src = ".".join(parts[:3])
        for mod, _ in imports_of(path):
            p = mod.split(".")
            if len(p) >= 3 and p[0] == "dsysedu" and p[1] in TOPIC_PACKAGES and ".".join(p[:3]) != src:
                g.add_edge(src, ".".join(p[:3]))
    assert not list(nx.simple_cycles(g)), f"cycle between topic packages: {list(nx.simple_cycles(g))}"


@pytest.mark.parametrize("layer", NO_DRAWING)
def test_engine_layers_import_no_drawing_library(layer):
    bad = [f"{path.relative_to(PACKAGE.parent)}:{line} imports {mod}"
           for path in sorted((PACKAGE / layer).rglob("*.py"))
           for mod, line in imports_of(path)
           if mod.split(".")[0] in DRAWING_LIBS or layer_of(mod) in ("viz", "widgets")]
    assert not bad, "\n".join(bad)


def test_topic_packages_export_their_public_names():
    import importlib
    for top, topics in TOPIC_PACKAGES.items():
        for topic in topics:
            pkg = importlib.import_module(f"dsysedu.{top}.{topic}")
            assert pkg.__doc__, pkg.__name__
            for path in sorted((PACKAGE / top / topic).glob("*.py")):
                if path.name == "__init__.py":
                    continue
                mod = importlib.import_module(module_name(path))
                missing = [n for n in getattr(mod, "__all__", ()) if getattr(pkg, n, None) is not getattr(mod, n)]
                assert not missing, f"{pkg.__name__} does not export {missing} of {mod.__name__}"


def test_the_reader_sees_lazy_and_relative_imports(tmp_path):
    # the reader must see an import inside a function body, or the cycle test could pass vacuously
    f = tmp_path / "m.py"
    f.write_text("def g():\n    from matplotlib import pyplot\n    from ...viz import style\n")
    names = [m for m, _ in imports_of(f, me="dsysedu.protocols.basics.m")]
    assert "matplotlib" in names and "dsysedu.viz" in names and "dsysedu.viz.style" in names
