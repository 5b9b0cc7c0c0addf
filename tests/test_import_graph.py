"""No import cycle among the project's modules (portal, actions, channels, helpdesk), and each of them imports
on its own, whatever was imported before.

1. The graph of module-level imports (read with `ast` from the files; imports inside functions and under
   `if TYPE_CHECKING:` do not run at import and are left out) has no cycle.
2. Each module is imported first thing in a fresh process: a fresh interpreter (a subprocess) imports the
   third-party modules the project imports once, then forks one child per project module, with no project
   module loaded yet, which imports that module alone (a fork per module instead of an interpreter per module:
   the same check in seconds instead of minutes).
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "actions", "channels", "helpdesk")
SKIPPED_DIRS = {"migrations"}  # Alembic scripts: run by Alembic, never imported as modules


def project_modules() -> dict[str, Path]:
    """{"portal.models": Path(...), "portal": Path(.../__init__.py), ...}"""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            relative = path.relative_to(PROJECT)
            if SKIPPED_DIRS & set(relative.parts):
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _module_level_statements(body: list[ast.stmt]):
    """Statements that run when the module is imported (class bodies do; function bodies and
    `if TYPE_CHECKING:` blocks do not)."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _module_level_statements(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                statements = [c for c in children if isinstance(c, ast.stmt)]
                handlers = [h for c in children if isinstance(c, ast.ExceptHandler) for h in c.body]
                yield from _module_level_statements(statements + handlers)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports at module level."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _module_level_statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # "portal.models.Base" -> "portal.models"
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_reader_sees_a_cycle_and_module_level_only(tmp_path):
    """The checker itself: a cycle is found, and imports inside functions do not count."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nimport portal.db\nfrom portal import models, sms as s\n"
                      "if TYPE_CHECKING:\n    from portal import outbox\n"
                      "try:\n    import portal.tickets\nexcept ImportError:\n    import portal.handoff\n"
                      "def later():\n    from portal import privacy\n")
    modules = {m: Path() for m in ("portal", "portal.db", "portal.models", "portal.sms", "portal.outbox",
                                   "portal.tickets", "portal.handoff", "portal.privacy", "portal.m")}
    assert imports_of("portal.m", source, modules) == {"portal.db", "portal.models", "portal.sms", "portal.tickets",
                                                       "portal.handoff"}


def test_no_import_cycle_among_the_projects_modules():
    graph = import_graph()
    assert {"portal.models", "portal.sms", "portal.outbox", "helpdesk.delivery", "channels.sms_delivery"} <= set(graph)
    assert "portal.models" in graph["portal.verification_limits"]
    assert cycles(graph) == []


def test_the_schema_module_imports_no_project_module():
    assert import_graph()["portal.models"] == set()


_CHILD = r"""
import importlib, json, os, sys
project = json.loads(sys.argv[1])
names = json.loads(sys.argv[2])
for library in json.loads(sys.argv[3]):
    try:
        importlib.import_module(library)
    except ImportError:
        pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in project)
assert not loaded, loaded
failures = {}
for name in names:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            message = ""
        except BaseException as error:
            message = f"{type(error).__name__}: {error}"
        os.write(write, message.encode()[:4000])
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    if message:
        failures[name] = message
print(json.dumps(failures))
"""


def third_party_imports() -> set[str]:
    """The modules outside the project and the standard library that the project imports at module level."""
    found: set[str] = set()
    for path in project_modules().values():
        for node in _module_level_statements(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module)
    return {m for m in found if m.split(".")[0] not in (*PACKAGES, "__future__", *sys.stdlib_module_names)}


def test_every_module_imports_first_in_a_fresh_process(tmp_path):
    names = sorted(project_modules())
    libraries = sorted(third_party_imports())
    assert "sqlalchemy.orm" in libraries and not [m for m in libraries if m.startswith(PACKAGES)]
    result = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(PACKAGES), json.dumps(names),
                             json.dumps(libraries)], cwd=PROJECT,
                            capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}
