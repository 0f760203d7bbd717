"""The layering of graphmem, read from its source: `effects` stands alone, and no graphmem
modules import each other in a circle.

Imports are read with `ast`, not by importing, so the test runs without the store and sees
every module. What counts as an import of a module:

* every `import` / `from ... import` statement except those inside a function body (a lazy
  import in a function is the accepted way to break a circle, or to load a heavy dependency
  only when it is used), including those under `if TYPE_CHECKING:`: a circle of type names is
  a circle of the architecture even when Python never runs it;
* `from pkg import name` imports the module `pkg.name` when that is a module, else the package
  `pkg` itself (its `__init__`);
* importing `a.b.c` also runs the packages `a.b` (and `a`) first, except the packages the
  importing module is itself inside, which are already being imported when it runs (so a
  package's `__init__` importing its own submodules is no circle, unless one imports the
  package back by name).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "graphmem"


@dataclass(frozen=True)
class Edge:
    """`source` imports `target`, at `line` of `source`'s file."""

    source: str
    target: str
    line: int


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package, by dotted name (packages by their own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_package(name: str, files: dict[str, Path]) -> bool:
    return files[name].name == "__init__.py"


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of a module outside function bodies (class bodies, `if`,
    `try` and `if TYPE_CHECKING:` blocks included)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            else:
                todo.append(child)


def _absolute(node: ast.ImportFrom, module: str, files: dict[str, Path]) -> str:
    """The absolute name of a `from` import's module (resolving `.` and `..`)."""
    if not node.level:
        return node.module or ""
    base = module if _is_package(module, files) else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def _with_parents(target: str, source: str, files: dict[str, Path]) -> Iterator[str]:
    """`target` and the packages that importing it runs first (not `source`'s own)."""
    parts = target.split(".")
    for i in range(1, len(parts)):
        parent = ".".join(parts[:i])
        if parent in files and not (source == parent or source.startswith(parent + ".")):
            yield parent
    if target in files:
        yield target


def import_edges(files: dict[str, Path] | None = None) -> list[Edge]:
    """Every import of one graphmem module by another (see the module docstring)."""
    files = files or module_files()
    top = next(iter(sorted(files, key=len)))
    edges: list[Edge] = []
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _statements(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _absolute(node, module, files)
                targets = []
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    # a submodule, else a name defined by the package (or module) `base`
                    targets.append(sub if sub in files else base)
            for target in targets:
                if target != top and not target.startswith(top + "."):
                    continue  # not graphmem
                for name in _with_parents(target, module, files):
                    if name != module:
                        edges.append(Edge(module, name, node.lineno))
    return edges


def cycles(edges: list[Edge]) -> list[list[Edge]]:
    """One circle of imports per strongly connected group of modules (Tarjan), each as the
    edges that close it, shortest first."""
    graph: dict[str, list[Edge]] = {}
    for e in edges:
        graph.setdefault(e.source, []).append(e)
        graph.setdefault(e.target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for e in graph[v]:
            if e.target not in index:
                visit(e.target)
                low[v] = min(low[v], low[e.target])
            elif e.target in on_stack:
                low[v] = min(low[v], index[e.target])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return sorted((_circle(graph, g) for g in groups), key=len)


def _circle(graph: dict[str, list[Edge]], group: set[str]) -> list[Edge]:
    """The shortest circle through the group's first module (breadth-first, inside it)."""
    start = min(group)
    paths: dict[str, list[Edge]] = {start: []}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for e in sorted(graph[v], key=lambda e: e.target):
                if e.target == start:
                    return [*paths[v], e]
                if e.target in group and e.target not in paths:
                    paths[e.target] = [*paths[v], e]
                    nxt.append(e.target)
        frontier = nxt
    raise AssertionError(f"no circle through {start}")  # a strongly connected group has one


def describe(circle: list[Edge], files: dict[str, Path]) -> str:
    """The circle on one line, then each import with its file and line."""
    root = min(files.values(), key=lambda p: len(p.parts)).parent.parent
    steps = [
        f"  {e.source} -> {e.target}  ({files[e.source].relative_to(root)}:{e.line})"
        for e in circle
    ]
    return "\n".join([" -> ".join([circle[0].source, *(e.target for e in circle)]), *steps])


# -- the tests --------------------------------------------------------------------------------


def test_effects_imports_nothing_of_graphmem() -> None:
    """`graphmem/effects.py` names no other graphmem module, and loading it by itself adds no
    graphmem module to a fresh interpreter."""
    files = module_files()
    own = [e for e in import_edges(files) if e.source == "graphmem.effects"]
    assert own == [], f"graphmem.effects imports {[(e.target, e.line) for e in own]}"
    tree = ast.parse((PACKAGE / "effects.py").read_text(encoding="utf-8"))
    relative = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert relative == [], f"relative imports in graphmem/effects.py at lines {relative}"
    probe = (
        "import importlib.util, json, sys\n"
        "spec = importlib.util.spec_from_file_location(\n"
        f"    'effects_alone', {str(PACKAGE / 'effects.py')!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['effects_alone'] = module\n"
        "spec.loader.exec_module(module)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'graphmem')))\n"
    )  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


def test_importing_graphmem_effects_loads_no_other_graphmem_module() -> None:
    """`python -c "import graphmem.effects"` as a user runs it: the package's public names are
    loaded on first use, so only `graphmem` itself and `graphmem.effects` are imported."""
    probe = (
        "import json, sys\n"
        "import graphmem.effects\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'graphmem')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == ["graphmem", "graphmem.effects"]


def test_no_import_circle_among_graphmem_modules() -> None:
    files = module_files()
    found = cycles(import_edges(files))
    assert not found, "import circles among graphmem modules:\n" + "\n\n".join(
        describe(c, files) for c in found
    )


# -- the walker itself, on a made-up package ---------------------------------------------------


def _package(tmp_path: Path, modules: dict[str, str]) -> dict[str, Path]:
    for name, text in modules.items():
        path = tmp_path / (name.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return module_files(tmp_path / "pkg")


def test_the_walker_finds_circles_and_only_circles(tmp_path: Path) -> None:
    files = _package(
        tmp_path,
        {
            "pkg.__init__": "from .a import A\n",
            "pkg.a": "from .b import B\nimport os\nA = 1\n",
            "pkg.b": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from .c import C\n"
                "def lazy():\n    from . import a\n"  # inside a function: not counted
                "B = 2\n"
            ),
            "pkg.c": "from pkg.b import B\nC = 3\n",
            "pkg.sub.__init__": "from . import x\n",  # a package importing its submodule
            "pkg.sub.x": "from ..a import A\n",
            "pkg.sub.y": "from . import X\n",  # a name of the package: its __init__
        },
    )
    edges = {(e.source, e.target) for e in import_edges(files)}
    assert ("pkg.b", "pkg.a") not in edges  # the lazy import
    assert ("pkg.sub.x", "pkg.sub") not in edges  # its own package, already running
    assert ("pkg.sub.y", "pkg.sub") in edges
    assert ("pkg", "pkg.a") in edges and ("pkg.sub.x", "pkg.a") in edges
    [circle] = cycles(import_edges(files))
    assert [e.source for e in circle] == ["pkg.b", "pkg.c"]  # b -> c (TYPE_CHECKING) -> b
    assert describe(circle, files).startswith(
        "pkg.b -> pkg.c -> pkg.b\n  pkg.b -> pkg.c  (pkg/b.py:3)"
    )


def test_a_package_imported_back_by_its_submodule_is_a_circle(tmp_path: Path) -> None:
    files = _package(
        tmp_path,
        {
            "pkg.__init__": "",
            "pkg.search.__init__": "from .bar import run\n",
            "pkg.search.bar": "from pkg.search import helper\ndef run(): ...\n",
            "pkg.search.helper": "",
        },
    )
    assert cycles(import_edges(files)) == []  # `helper` is a submodule: no __init__ involved
    (tmp_path / "pkg/search/bar.py").write_text(
        "from . import helper\nfrom pkg.search import NAME\n"
    )
    [circle] = cycles(import_edges(files))
    assert {e.source for e in circle} == {"pkg.search", "pkg.search.bar"}
