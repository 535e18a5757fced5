"""Shared pytest fixtures: the fixture web server, the canary and the test guard.

The servers start once per test session; the function-scoped fixtures hand out
the same servers freshly reset (no routes, mounts or log left by earlier tests).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import playwright_shared
from tests.webserver import FixtureServer, make_test_guard, start_canary, start_fixture_server


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    """Rate-limit counters live in Django's cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _forget_topic_model() -> None:
    """No test sees the related-articles topic model another test's database held."""
    from snapshelf.related import topic_store

    topic_store.forget()


@pytest.fixture(scope="session")
def fixture_server_session() -> Iterator[FixtureServer]:
    """The fixture server for session/module-scoped fixtures (not reset between tests)."""
    server = start_fixture_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def canary_server_session() -> Iterator[FixtureServer]:
    server = start_canary()
    yield server
    server.stop()


@pytest.fixture
def fixture_server(fixture_server_session: FixtureServer) -> FixtureServer:
    """The fixture web server on 127.0.0.1, reset for this test."""
    fixture_server_session.reset()
    return fixture_server_session


@pytest.fixture
def canary_server(canary_server_session: FixtureServer) -> FixtureServer:
    """The canary on 127.0.0.2 (forbidden in tests), reset for this test."""
    canary_server_session.reset()
    return canary_server_session


@pytest.fixture
def test_guard():  # -> snapshelf.net.Guard
    """Guard allowing only the fixture server; site/cdn/other.test -> 127.0.0.1, no DNS."""
    return make_test_guard()


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001
    playwright_shared.stop()
