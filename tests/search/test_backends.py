"""The search backends: one interface, chosen by the configured database."""

from __future__ import annotations

import pytest
from django.db import connection

from snapshelf.search.backends import PostgresBackend, SearchBackend, SqliteBackend, get_backend


@pytest.mark.parametrize("cls", [SqliteBackend, PostgresBackend])
def test_each_backend_implements_the_whole_interface(cls):
    backend = cls()  # an abstract method left out would make this raise TypeError
    assert isinstance(backend, SearchBackend)


@pytest.mark.django_db
def test_the_backend_follows_the_configured_database():
    want = {"sqlite": SqliteBackend, "postgresql": PostgresBackend}[connection.vendor]
    assert type(get_backend()) is want
    assert get_backend() is get_backend()  # one per process


def test_search_never_imports_related_articles():
    """Related articles build on the index (hooks registered from their app), never the
    other way round."""
    import ast
    from pathlib import Path

    import snapshelf.search

    root = Path(snapshelf.search.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            assert not any(n.startswith("snapshelf.related") for n in names), path
