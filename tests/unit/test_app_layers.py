"""The apps are layered: no two import each other, however indirectly, and ``core`` imports nothing
of Django or of the apps. Read from the source with ``ast``, every import counted (also those inside
functions), so a cycle cannot hide behind a late import."""

from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "registry"


def packages() -> set[str]:
    return {p.name for p in SOURCE.iterdir() if (p / "__init__.py").exists()}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def import_graph() -> dict[str, dict[str, set[str]]]:
    """package -> package it imports -> the files that do."""
    names = packages()
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in SOURCE.rglob("*.py"):
        owner = path.relative_to(SOURCE).parts[0]
        if owner not in names:
            continue
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "registry" and len(parts) > 1 and parts[1] in names and parts[1] != owner:
                graph[owner][parts[1]].add(str(path.relative_to(SOURCE)))
    return graph


def find_cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, {})):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_two_apps_import_each_other_however_indirectly():
    graph = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        where = [f"{a} -> {b} in {sorted(graph[a][b])}" for a, b in pairwise(cycle)]
        raise AssertionError("the apps import each other in a circle:\n" + "\n".join(where))


def test_the_core_imports_neither_django_nor_any_app():
    for path in (SOURCE / "core").rglob("*.py"):
        for module in imported_modules(path):
            assert not module.startswith("django"), f"{path.name} imports {module}"
            assert not module.startswith("registry.") or module.startswith("registry.core"), f"{path.name} imports {module}"


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b": {"x"}}, "b": {"c": {"y"}}, "c": {"a": {"z"}}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": {"x"}}, "b": {"c": {"y"}}}) is None


def test_the_movement_engine_imports_no_disclosure_and_no_article6_module_directly():
    engine = imported_modules(SOURCE / "transactions" / "engine.py")
    assert not any(m.startswith("registry.disclosure") for m in engine)
    assert not any(m.startswith("registry.article6") for m in engine)
