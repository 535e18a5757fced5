"""Hostile pages: nothing they contain may run on replay or on the application's origin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.library.models import Snapshot
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

HOSTILE = """<!doctype html><html><head>
<title>&lt;script&gt;alert(1)&lt;/script&gt; Evil title</title>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<meta http-equiv="Content-Security-Policy" content="default-src *">
<base href="https://evil.example/">
<script>document.cookie</script>
<script src="/tracker.js" integrity="sha384-abc"></script>
<link rel="stylesheet" href="/s.css" integrity="sha384-def">
<link rel="preload" href="/big.js" as="script">
</head><body onload="steal()">
<article><h1 onclick="x()">Evil article</h1>
<p>Some genuine text that a reader would like to keep for later reading. {}</p>
<a href="javascript:alert(2)">click</a> <a href="vbscript:msgbox(1)">vb</a>
<img src="/p.png" onerror="alert(3)">
<iframe src="https://evil.example/frame"></iframe>
<svg><script>alert(4)</script><a xlink:href="javascript:alert(5)"><text>svg</text></a></svg>
<form action="javascript:alert(6)"><button formaction="javascript:alert(7)">go</button></form>
</article></body></html>""".format("Words to make it an article. " * 30)


def test_hostile_page_is_defused(fixture_server, client, user):
    fixture_server.route("/evil", lambda req: Reply.html(HOSTILE))
    fixture_server.route(
        "/s.css", lambda req: Reply(200, {"Content-Type": "text/css"}, b"p{color:red}")
    )
    snap = capture(user, fixture_server.url("/evil"))
    assert snap.status == Snapshot.Status.DONE, snap.error
    replay = get_blob_store().get(snap.root_blob_id).decode("utf-8").lower()
    for needle in (
        "<script",
        "onload=",
        "onclick=",
        "onerror=",
        "javascript:",
        "vbscript:",
        'http-equiv="refresh"',
        "content-security-policy",
        "<base",
        "integrity=",
        "evil.example/frame",
    ):
        assert needle not in replay, needle
    assert "/tracker.js" not in replay and "big.js" not in replay
    assert "evil article" in replay

    for needle in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<form"):
        assert needle not in snap.readable_html.lower(), needle
    assert "genuine text" in snap.text

    # captured metadata is data, never markup, in our pages
    client.force_login(user)
    page = client.get(reverse("snapshot", args=[snap.pk]), follow=True).content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page
