"""Subresource fetching during a static capture (capture.static.make_resource_fetcher)."""

from __future__ import annotations

from snapshelf.capture.static import Limits, capture_static
from snapshelf.net import Fetcher, Guard
from tests.webserver import Reply, make_test_guard


def test_a_host_that_does_not_resolve_is_looked_up_about_once(fixture_server):
    images = "".join(f'<img src="http://gone.invalid/{i}.png">' for i in range(30))
    fixture_server.route(
        "/page", lambda req: Reply.html(f"<title>Dead CDN</title><p>words</p>{images}")
    )
    base = make_test_guard()
    asked: list[str] = []

    def counting(host: str) -> list[str]:
        asked.append(host)
        return base.resolver(host)

    limits = Limits()
    with Fetcher(Guard(allow=base.allow, resolver=counting)) as fetcher:
        result = capture_static(fixture_server.url("/page"), fetcher, limits)
    failed = [r for r in result.resources if r.url.startswith("http://gone.invalid/")]
    assert len(failed) == 30
    assert {r.error_code for r in failed} == {"connection"}
    assert all("gone.invalid" in (r.error or "") for r in failed)
    # lookups already running when the first one fails still finish; no new one starts
    assert 1 <= asked.count("gone.invalid") <= limits.per_host
