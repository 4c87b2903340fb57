"""The package's layers: no import cycle, the event log below the services, no routes in a service.

The graph is read from the source with `ast`, so nothing is imported. It holds what runs
when a module is imported: its top-level imports (imports inside functions and under
`if TYPE_CHECKING:` run later or never), and the packages each imported module sits in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "storytime"
# What the event log and notifier may never reach: they sit below every one of these.
ABOVE_EVENTS = ("share", "storytimes", "live", "review", "api")


def module_files() -> dict[str, Path]:
    """Return every importable module of the package by dotted name."""
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        folder = path.parent
        # Only folders that are packages all the way up (migrations/ is Alembic's, not ours).
        if any(
            not (parent / "__init__.py").exists()
            for parent in [folder, *folder.parents]
            if parent.is_relative_to(PACKAGE_DIR)
        ):
            continue
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = module_files()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(body: list[ast.stmt], *, module_level: bool):
    """Yield the import statements in `body`; at module level, skip function bodies."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not module_level:
                yield from _import_nodes(node.body, module_level=False)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_nodes(node.orelse, module_level=module_level)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _import_nodes(
                    [n for n in getattr(node, field, []) if isinstance(n, ast.AST)],
                    module_level=module_level,
                )


def _with_packages(name: str, importer: str) -> set[str]:
    """Return `name` and the packages it sits in that are not already the importer's."""
    found = {name}
    parts = name.split(".")
    for end in range(1, len(parts)):
        package = ".".join(parts[:end])
        if not (importer == package or importer.startswith(package + ".")):
            found.add(package)
    return found


def imports_of(module: str, *, module_level: bool = True) -> set[str]:
    """Return the package's modules that importing `module` imports directly."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _import_nodes(tree.body, module_level=module_level):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            names_only = len(submodules) < len(node.names)
            targets = submodules + ([base] if names_only else [])
        for target in targets:
            while target and target not in MODULES:  # `import storytime.x.y` names a module
                target = target.rpartition(".")[0]
            if target:
                found |= _with_packages(target, module)
    found.discard(module)
    return found


def graph(*, module_level: bool = True) -> dict[str, set[str]]:
    """Return each module's direct imports within the package."""
    return {module: imports_of(module, module_level=module_level) for module in MODULES}


def reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    """Return every module importing `start` imports, directly or not."""
    seen, todo = set(), [start]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a list of modules, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(edges):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_graph_sees_the_package():
    edges = graph()
    assert {
        "storytime",
        "storytime.events",
        "storytime.events.log",
        "storytime.share.service",
    } <= set(edges)
    assert "storytime.events.log" in edges["storytime.share.service"]
    assert not any(name.startswith("storytime.migrations") for name in edges)


def test_a_cycle_is_found():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_package_modules():
    assert find_cycle(graph()) is None


@pytest.mark.parametrize(
    "module", sorted(name for name in MODULES if name.split(".")[:2] == ["storytime", "events"])
)
def test_the_event_log_imports_nothing_from_above_it(module):
    # Imports inside functions count too: services write to the log, never the reverse.
    reached = reachable(module, graph(module_level=False))
    above = {
        name for name in reached if name.split(".")[1:2] and name.split(".")[1] in ABOVE_EVENTS
    }
    assert not above


def _is_routes(module: str) -> bool:
    """Return whether a module defines a blueprint or adds routes to one."""
    source = MODULES[module].read_text(encoding="utf-8")
    return "Blueprint(" in source or ".route(" in source


@pytest.mark.parametrize(
    "module",
    sorted(
        name
        for name in MODULES
        if name.rpartition(".")[2] in ("service", "queries", "log", "notifier")
        or name.startswith("storytime.models")
    ),
)
def test_importing_a_service_loads_no_routes(module):
    assert not {name for name in reachable(module, graph()) if _is_routes(name)}


def test_only_the_api_builds_on_the_live_views():
    # share and storytimes once imported live/ for the event log while live/ imported them.
    importers = {
        module
        for module, targets in graph().items()
        if any(target.startswith("storytime.live") for target in targets)
    }
    # screens/ renders a storytime's display for a TV's permanent link.
    assert {name.split(".")[1] for name in importers} <= {"live", "api", "screens"}
