"""The architecture of docs/architecture.md, checked against the code's imports.

The layer contract itself is in pyproject.toml ([tool.importlinter]); these tests run
it, make sure it is not vacuous, and check what a layer contract cannot say: no cycles
between packages at all, and one door for every change to a user's links.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "snapshelf"

#: The ways in: they change links only through snapshelf.services.
DOORS = ("web", "cli", "api", "io")
#: What writes links and snapshots or queues captures below the service door.
BEHIND_THE_DOOR = {
    "snapshelf.library.records": {
        "add_link",
        "add_uploaded",
        "new_snapshot",
        "get_or_create_link",
        "get_or_create_tags",
    },
    "snapshelf.jobs.tasks": {"enqueue_capture", "capture_snapshot"},
    "snapshelf.jobs.capture": {"run_capture", "commit_result"},
    "snapshelf.library.watch": {"set_watch", "clear_changed", "queue_due"},
    "snapshelf.library.removal": {"delete_snapshot"},
    "snapshelf.library.imports": {"merge_links"},
}
#: Modules a way in must not import whole (`from snapshelf.jobs import capture`).
WHOLE_MODULES_BEHIND_THE_DOOR = {
    "snapshelf.jobs.capture",
    "snapshelf.library.records",
    "snapshelf.library.imports",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("snapshelf")


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_the_layer_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(linter), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout and "KEPT" in run.stdout


def test_the_graph_sees_imports_inside_functions(graph):
    """Otherwise a cycle could hide in a function body and the contracts would pass."""
    assert graph.direct_import_exists(
        importer="snapshelf.jobs.apps", imported="snapshelf.jobs.signals"
    )
    # and the layers are really used downward
    for importer, imported in [
        ("snapshelf.web", "snapshelf.services"),
        ("snapshelf.services", "snapshelf.jobs"),
        ("snapshelf.jobs", "snapshelf.search"),
        ("snapshelf.search", "snapshelf.library"),
        ("snapshelf.library", "snapshelf.capture"),
        ("snapshelf.capture", "snapshelf.net"),
    ]:
        assert graph.chain_exists(importer=importer, imported=imported, as_packages=True)


def test_no_import_cycles_between_packages(graph):
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _package(module), _package(imported)
            if a != b:
                edges.setdefault(a, set()).add(b)
    cycles = [
        (a, b)
        for a, targets in edges.items()
        for b in targets
        if a in _reachable(edges, b)  # b leads back to a
    ]
    assert cycles == []


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in edges.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _imported_names(path: Path) -> set[tuple[str, str]]:
    """(module, name) for every `from module import name` in the file, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update((node.module, alias.name) for alias in node.names)
    return found


def _door_files() -> list[Path]:
    files = []
    for door in DOORS:
        base = SRC / door
        files += sorted(base.rglob("*.py")) if base.is_dir() else []
        single = SRC / f"{door}.py"
        files += [single] if single.exists() else []
    return files


def test_the_ways_in_change_links_only_through_the_service_door():
    files = _door_files()
    assert any(f.parts[-2] == "views" for f in files)  # the web views are looked at
    offending = sorted(
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in files
        for module, name in _imported_names(path)
        if name in BEHIND_THE_DOOR.get(module, ())
        or f"{module}.{name}" in WHOLE_MODULES_BEHIND_THE_DOOR
    )
    assert offending == []


def test_one_place_queues_a_users_capture():
    """Only the service door (and the jobs' own re-deliveries) call enqueue_capture."""
    callers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "enqueue_capture(" in path.read_text() and "def enqueue_capture" not in path.read_text()
    )
    assert callers == ["services/links.py"]
