"""The package's layers, read from the source with ``ast``: imports only go down, no cycles.

Layers, bottom to top: ``abi`` <- ``sim`` and ``races`` (peers that never import each
other) <- ``studies`` <- ``views`` <- ``cli`` and the package's own ``__init__``/``__main__``.
Every import counts, including the ones inside functions (a lazy import is still a
dependency). The checker itself is tested on made-up packages, so it can be seen to fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import evtlib

ROOT = Path(evtlib.__file__).parent
#: Rank of each layer; a module may import its own rank (within its layer) or lower.
RANKS = {"abi": 0, "sim": 1, "races": 1, "studies": 2, "views": 3, "": 4}
LIMITS = {"module lines": 520, "function lines": 62}


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [root.name, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, name: str, is_package: bool) -> set[str]:
    """Absolute names of the modules ``source`` imports (relative imports resolved).

    ``from .x import y`` counts as importing ``x`` and also ``x.y`` (y may be a module).
    """
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return out


def graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """``{module: set of package modules it imports}`` for ``{module: (source, is_package)}``."""
    known = set(sources)
    return {name: {m for m in imports_of(src, name, pkg) if m in known and m != name}
            for name, (src, pkg) in sources.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else ""


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer, or across between the peers sim and races."""
    bad = []
    for src, targets in sorted(edges.items()):
        for dst in sorted(targets):
            a, b = layer(src), layer(dst)
            if a == b:
                continue
            # the root package's own __init__ may re-export from any layer
            if RANKS[b] > RANKS[a] or RANKS[b] == RANKS[a]:
                bad.append(f"{src} ({a or 'top'}) imports {dst} ({b or 'top'})")
    return bad


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by a depth-first search (each reported once)."""
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    return found


def package_sources(root: Path = ROOT) -> dict[str, tuple[str, bool]]:
    return {module_name(p, root): (p.read_text(), p.name == "__init__.py")
            for p in sorted(root.rglob("*.py"))}


# ------------------------------------------------------------------ the package
def test_the_layers_are_the_top_level_folders():
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"abi", "sim", "races", "studies", "views"}
    for name in folders:
        doc = ast.get_docstring(ast.parse((ROOT / name / "__init__.py").read_text()))
        assert doc and "May import" in doc, f"evtlib/{name}/__init__.py must say what it may import"


def test_imports_only_go_down():
    assert upward(graph(package_sources())) == []


def test_no_import_cycles():
    assert cycles(graph(package_sources())) == []


def test_the_root_package_imports_no_views():
    """``import evtlib`` stays light: the models, the simulator and the capacity study."""
    edges = graph(package_sources())["evtlib"]
    assert not [m for m in edges if layer(m) == "views"]


def test_modules_and_functions_stay_small():
    long_modules, long_functions = [], []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > LIMITS["module lines"]:
            long_modules.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > LIMITS["function lines"]:
                    long_functions.append(f"{path.relative_to(ROOT)}:{node.name}: {n}")
    assert long_modules == [] and long_functions == []


# ------------------------------------------------------------ the checker itself
def fake(**modules: str) -> dict[str, tuple[str, bool]]:
    """Made-up package ``evtlib``: keyword ``abi__core`` is module ``evtlib.abi.core``."""
    return {"evtlib." + k.replace("__", "."): (src, False) for k, src in modules.items()}


def test_checker_sees_an_upward_import():
    edges = graph(fake(abi__core="x = 1\n",
                       views__charts="from ..abi.core import x\n",
                       abi__fifo="from ..views.charts import plot\n"))
    assert edges["evtlib.abi.fifo"] == {"evtlib.views.charts"}
    assert upward(edges) == ["evtlib.abi.fifo (abi) imports evtlib.views.charts (views)"]


def test_checker_sees_a_lazy_upward_import_and_peers():
    edges = graph(fake(sim__engine="def f():\n    from evtlib.studies import review\n",
                       studies__review="", races__x="from ..sim.engine import f\n"))
    assert upward(edges) == [
        "evtlib.races.x (races) imports evtlib.sim.engine (sim)",
        "evtlib.sim.engine (sim) imports evtlib.studies.review (studies)"]


def test_checker_sees_a_cycle():
    edges = graph(fake(abi__fifo="from .dumps import dump\n",
                       abi__dumps="def dump():\n    from .fifo import L\n"))
    assert cycles(edges) == [["evtlib.abi.dumps", "evtlib.abi.fifo", "evtlib.abi.dumps"]]


@pytest.mark.parametrize("level,module,expect", [
    (1, "core", "evtlib.abi.core"), (2, "sim.trace", "evtlib.sim.trace"), (1, None, "evtlib.abi")])
def test_relative_imports_resolve(level, module, expect):
    src = f"from {'.' * level}{module or ''} import name\n"
    assert expect in imports_of(src, "evtlib.abi.fifo", False)
