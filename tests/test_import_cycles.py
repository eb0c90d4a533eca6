"""No import cycle among the modules of one app, and no module of app code over 700 lines.

Every import counts, wherever it is: at the top of a module, inside a function, under
``if TYPE_CHECKING``. A function-local import does not dodge a cycle, it hides one.
``from pkg import mod`` is an edge to ``pkg.mod`` when that is a module (to ``pkg`` for any
other name); relative imports are resolved; migrations are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("userpools", "identity", "hostedui", "config")
MAX_LINES = 700


def app_modules(root: Path, app: str) -> dict[str, Path]:
    """Every module of ``app`` (a package directly under ``root``) outside migrations, by dotted name."""
    modules = {}
    for path in sorted((root / app).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` names, or its longest prefix that is one (``pkg.mod.attr``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """For each module, the modules among ``modules`` it imports, with the line of the first such import."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - (node.level - 1)])
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.append(submodule if submodule in modules else source)
            for target in targets:
                known = _known(target, modules)
                if known is not None and known != module:
                    edges.setdefault(known, node.lineno)
        graph[module] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def import_cycles(root: Path, app: str) -> list[str]:
    """Each cycle among ``app``'s modules, described with the imports that close it."""
    modules = app_modules(root, app)
    graph = import_graph(modules)
    found = []
    for component in strongly_connected(graph):
        members = set(component)
        edges = [
            f"    {source} -> {target} ({modules[source].relative_to(root)}:{line})"
            for source in component
            for target, line in sorted(graph[source].items())
            if target in members
        ]
        found.append(f"cycle among {len(component)} modules: {', '.join(component)}\n" + "\n".join(edges))
    return found


def test_no_import_cycle_within_an_app():
    cycles = [cycle for app in APPS for cycle in import_cycles(ROOT, app)]
    assert not cycles, "\n".join(cycles)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_every_kind_of_import(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",  # a module named in a from-import
            "pkg/b.py": "def f():\n    from .c import thing\n",  # function-local and relative
            "pkg/c.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import pkg.a.attr\n",
            "pkg/d.py": "from pkg.a import x\n\n\ndef g():\n    import pkg.migrations.m\n",  # into the cycle, not in it
            "pkg/migrations/__init__.py": "",
            "pkg/migrations/m.py": "from pkg import d\n",  # left out: no cycle with d
            "pkg/sub/__init__.py": "from .e import y\nfrom . import f\n",
            "pkg/sub/e.py": "from pkg.sub import f\nimport os\n",  # sub.f is a module: no edge to the package
            "pkg/sub/f.py": "from ..d import z\nfrom ... import outside\n",
        },
    )
    graph = import_graph(app_modules(tmp_path, "pkg"))
    assert graph["pkg.sub.e"] == {"pkg.sub.f": 1}
    assert graph["pkg.sub.f"] == {"pkg.d": 1}
    assert graph["pkg.d"] == {"pkg.a": 1, "pkg": 5}  # the package a dotted import runs
    assert strongly_connected(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    [cycle] = import_cycles(tmp_path, "pkg")
    assert cycle.splitlines() == [
        "cycle among 3 modules: pkg.a, pkg.b, pkg.c",
        "    pkg.a -> pkg.b (pkg/a.py:1)",
        "    pkg.b -> pkg.c (pkg/b.py:2)",
        "    pkg.c -> pkg.a (pkg/c.py:4)",
    ]


def test_the_checker_finds_two_modules_importing_each_other(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "import pkg.b\n",
            "pkg/b.py": "from pkg.a import name\n",
            "pkg/c.py": "from pkg import a, b\n",
        },
    )
    assert strongly_connected(import_graph(app_modules(tmp_path, "pkg"))) == [["pkg.a", "pkg.b"]]
    _write(tmp_path, {"pkg/b.py": "name = 1\n"})
    assert import_cycles(tmp_path, "pkg") == []


def test_no_module_of_app_code_is_over_700_lines():
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for app in APPS
        for path in app_modules(ROOT, app).values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, "\n".join(long)
