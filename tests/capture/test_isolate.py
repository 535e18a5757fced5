"""Parsing in limited helper processes (capture/isolate.py): a page that would stall a
worker (quadratic parsing, memory blow-up) fails as `too_complex`, and the next capture
is served as usual. The helpers are real processes; the pages are generated here and
served by the fixture server."""

from __future__ import annotations

import pytest

from snapshelf.capture.isolate import Budget, Session
from snapshelf.capture.static import Limits, capture_static
from snapshelf.errors import TooComplex, Unsupported
from snapshelf.net import Fetcher
from tests.webserver import Reply

SMALL = Budget(cpu_seconds=1, memory_bytes=128 * 2**20)


# -- run in the helper (module-level, so they travel by reference) ----------------------


def spin(state: dict) -> int:
    n = 0
    while True:
        n += 1


def hog(state: dict) -> int:
    chunks = []
    while True:
        chunks.append(bytearray(16 * 2**20))


def remember(state: dict, value: str) -> str | None:
    before = state.get("value")
    state["value"] = value
    return before


def refuse(state: dict) -> None:
    raise Unsupported("not this one")


def environment(state: dict) -> dict[str, str]:
    import os

    return dict(os.environ)


# -- the helper pool ---------------------------------------------------------------------


def test_a_call_past_its_cpu_limit_fails_and_the_next_session_works():
    with Session(SMALL) as session, pytest.raises(TooComplex, match="CPU"):
        session.call(spin)
    with Session(SMALL) as session:
        assert session.call(remember, "a") is None


def test_a_call_past_its_memory_limit_fails_and_the_next_session_works():
    with Session(SMALL) as session, pytest.raises(TooComplex, match="memory"):
        session.call(hog)
    with Session(SMALL) as session:
        assert session.call(remember, "a") is None


def test_state_lasts_for_one_session_only():
    with Session(SMALL) as session:
        assert session.call(remember, "first") is None
        assert session.call(remember, "second") == "first"
    with Session(SMALL) as session:
        assert session.call(remember, "third") is None


def test_capture_errors_come_back_with_their_code():
    with Session(SMALL) as session, pytest.raises(Unsupported) as caught:
        session.call(refuse)
    assert caught.value.code == "unsupported" and "not this one" in str(caught.value)


def test_a_helper_gets_none_of_the_instances_secrets(monkeypatch):
    monkeypatch.setenv("SNAPSHELF_SECRET_KEY", "not-for-parsers")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:password@db/snapshelf")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-parsers-either")
    fresh = Budget(cpu_seconds=1, memory_bytes=129 * 2**20)  # a new helper, started now
    with Session(fresh) as session:
        seen = session.call(environment)
    assert not {"SNAPSHELF_SECRET_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} & set(seen)
    assert "not-for-parsers" not in repr(seen)


# -- pathological pages --------------------------------------------------------------------


def attributes_page(count: int = 100_000) -> bytes:
    """One <div> with `count` attributes: quadratic in the parser's attribute handling."""
    attrs = " ".join(f'a{i}="x"' for i in range(count))
    return f"<!doctype html><title>Attributes</title><div {attrs}>text</div>".encode()


def links_page(count: int = 150_000) -> bytes:
    """Megabytes of <a> elements (~5 MB): memory and time grow with every element."""
    links = "".join(f'<a href="/l{i}">link number {i}</a>\n' for i in range(count))
    return f"<!doctype html><title>Links</title><body>{links}</body>".encode()


ORDINARY = (
    "<!doctype html><title>Ordinary</title><link rel=stylesheet href=/s.css>"
    "<article><h1>Ordinary</h1><p>" + "An ordinary article with words. " * 60 + "</p></article>"
)


def serve(server) -> None:
    html = {"Content-Type": "text/html"}
    server.route("/attributes", lambda req: Reply(200, html, attributes_page()))
    server.route("/links", lambda req: Reply(200, html, links_page()))
    server.route("/ordinary", lambda req: Reply.html(ORDINARY))
    css = b"body { color: #333 }"
    server.route("/s.css", lambda req: Reply(200, {"Content-Type": "text/css"}, css))


@pytest.mark.parametrize("path", ["/attributes", "/links"])
def test_pathological_pages_fail_as_too_complex_and_the_next_capture_works(
    fixture_server, test_guard, path
):
    serve(fixture_server)
    limits = Limits(parse_cpu_seconds=2, parse_memory_bytes=256 * 2**20)
    with Fetcher(test_guard) as fetcher:
        with pytest.raises(TooComplex) as caught:
            capture_static(fixture_server.url(path), fetcher, limits)
        assert caught.value.code == "too_complex"
        result = capture_static(fixture_server.url("/ordinary"), fetcher, limits)
    assert result.document.extracted.title == "Ordinary"
    assert "An ordinary article" in result.document.extracted.text
    assert [r.url for r in result.resources] == [fixture_server.url("/s.css")]
    assert result.resources[0].original == b"body { color: #333 }"
    assert result.replay_html and "An ordinary article" in result.replay_html
