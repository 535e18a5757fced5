"""Chromium behind the egress proxy: a page that tries every way to reach a forbidden
address (img, fetch, iframe, WebSocket, redirect, a name resolving to it) reaches
nothing, while its allowed resources still load."""

from __future__ import annotations

from snapshelf.net import Guard, StaticResolver, parse_allow_list
from snapshelf.net.proxy import EgressProxy
from tests.e2e.conftest import BROWSER_ARGS, CHROMIUM
from tests.paths import CORPORA
from tests.webserver import TEST_ALLOW, Reply, offline_resolver

PNG = next((CORPORA / "mdn-learning-area-pages").rglob("*.png")).read_bytes()


def hostile_page(canary: str, evil: str) -> str:
    return f"""<!doctype html><title>tries everything</title>
<img src="/ok.png" id="ok">
<img src="{canary}/img">
<img src="{evil}/by-name">
<img src="/redirect">
<iframe src="{canary}/frame"></iframe>
<script>
fetch("{canary}/fetch").catch(() => {{}});
try {{ new WebSocket("{canary.replace("http", "ws")}/ws"); }} catch (e) {{}}
navigator.sendBeacon("{canary}/beacon", "x");
</script>"""


def test_browser_reaches_only_what_the_guard_allows(browser, fixture_server, canary_server):
    canary = f"http://127.0.0.2:{canary_server.port}"
    evil = f"http://evil.test:{canary_server.port}"
    fixture_server.route("/page", lambda req: Reply.html(hostile_page(canary, evil)))
    fixture_server.route("/ok.png", lambda req: Reply(200, {"Content-Type": "image/png"}, PNG))
    fixture_server.route("/redirect", lambda req: Reply.redirect(canary + "/redirected"))
    guard = Guard(
        allow=parse_allow_list(TEST_ALLOW),
        resolver=StaticResolver.from_env(
            "site.test=127.0.0.1,evil.test=127.0.0.2", fallback=offline_resolver
        ),
    )
    # a second Chromium from the session's Playwright (one sync Playwright per process)
    with EgressProxy(guard) as proxy:
        proxied = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[*BROWSER_ARGS, f"--proxy-server={proxy.url}", "--proxy-bypass-list=<-loopback>"],
        )
        try:
            page = proxied.new_page()
            page.goto(fixture_server.url("/page"), wait_until="load")
            page.wait_for_timeout(1500)  # let fetch, the socket and the beacon try
            assert page.evaluate("document.getElementById('ok').naturalWidth") > 0
        finally:
            proxied.close()
    assert "/ok.png" in fixture_server.paths() and "/redirect" in fixture_server.paths()
    assert canary_server.requests == []
    refused = " ".join(r.target for r in proxy.refusals)
    for attempt in ("/img", "/by-name", "/frame", "/fetch", "/beacon", "/redirected"):
        assert attempt in refused, (attempt, refused)
    # the WebSocket asked for a CONNECT tunnel to the canary's address, and was refused
    assert f"127.0.0.2:{canary_server.port}" in [r.target for r in proxy.refusals]
