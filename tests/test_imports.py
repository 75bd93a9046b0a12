"""The app's modules import each other in one direction only: no cycle, even through an import made inside a
function or for type checking alone (a reader, and a change, should find one module's dependencies below it)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "visualizer")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The app's modules that this file imports, anywhere in it."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from . import theme" imports a module; "from .x import y" imports x (and y, if y is a module)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    modules = {module_name(path) for path in paths}
    graph = {module_name(path): imports_of(path, modules) for path in paths}
    # A package's __init__ is imported with each of its modules; a module importing its own package is not a cycle.
    return {name: {target for target in targets if not name.startswith(target + ".")} for name, targets in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_no_module_of_the_app_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "visualizer.main_window" in graph and "visualizer.classroom" in graph
    assert cycles(graph) == []


def test_the_check_finds_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_core_never_imports_the_window():
    graph = import_graph()
    assert all(not target.startswith("visualizer") for name, targets in graph.items() if name.startswith("core")
               for target in targets)


def test_every_package_of_the_app_is_in_the_wheel():
    """pyproject.toml lists the packages by name: a new folder of modules must be listed, or an installed app
    misses it."""
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11+ reads TOML (the oldest Python, 3.10, does not)")
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    folders = {module_name(path) for package in PACKAGES for path in (ROOT / package).rglob("__init__.py")}
    assert folders <= listed
