"""The reader view reads the snapshot, never the original site (issue 21.1).

A captured article's images are shown from the snapshot's stored copies through the
archive's own addresses; an image the capture did not keep becomes a placeholder; and
application pages carry a Content-Security-Policy that forbids other origins.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from django.urls import reverse

from snapshelf.library.models import Link
from tests.library.helpers import capture
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

ARTICLE = """<!doctype html><html lang="en"><head><title>Growing tomatoes</title></head>
<body><article><h1>Growing tomatoes</h1>
<p>Tomatoes want sun, water in the morning, and a stake to climb along as they grow.
That's what every gardener learns in the first summer with a few plants on the balcony.</p>
<figure><img src="/img/plant.png" alt="A young plant">
<figcaption>A young plant</figcaption></figure>
<p>Later in the season the fruit turns red; pick it when it gives a little under the thumb,
and keep the plants watered evenly so that the skins do not split after a rainy day.</p>
<figure><img src="/img/gone.png" alt="A ripe tomato"><figcaption>A ripe tomato</figcaption></figure>
<p>Save a few seeds from the best fruit for next year, dried on a paper towel in the shade.</p>
</article></body></html>"""


def png() -> bytes:
    """A real 1×1 PNG (so the capture and the browser both take it for an image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    raw = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def serve_article(server) -> str:
    server.route("/article", lambda r: Reply.html(ARTICLE))
    server.route(
        "/img/plant.png", lambda r: Reply(headers={"Content-Type": "image/png"}, body=png())
    )
    server.route("/img/gone.png", lambda r: Reply(status=404, body=b"gone"))
    return server.url("/article")


@pytest.fixture
def captured(user, fixture_server):
    snap = capture(user, serve_article(fixture_server))
    assert snap.status == "done", snap.error
    return snap


def img_sources(html: str) -> list[str]:
    reader = html.split('<article class="reader"', 1)[1].split("</article>", 1)[0]
    return re.findall(r'<img[^>]*\ssrc="([^"]+)"', reader)


def test_reader_images_come_from_the_snapshot(client, user, captured, fixture_server):
    client.force_login(user)
    r = client.get(reverse("link", args=[captured.link_id]))
    html = r.content.decode()
    sources = img_sources(html)
    assert len(sources) == 1, sources
    assert (
        f"127.0.0.1:{fixture_server.port}"
        not in html.split('class="reader"', 1)[1].split("</article>")[0]
    )
    src = sources[0].replace("&amp;", "&")
    assert "/a/" in src and "/r/" in src
    before = len(fixture_server.requests)
    image = client.get(src)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image) == png()
    assert len(fixture_server.requests) == before  # served from storage, not fetched


def test_an_image_not_captured_is_a_placeholder(client, user, captured):
    client.force_login(user)
    html = client.get(reverse("link", args=[captured.link_id])).content.decode()
    assert 'class="img-missing"' in html
    assert "Image not captured: A ripe tomato" in html
    assert "gone.png" not in html.split('class="reader"', 1)[1].split("</article>")[0]


def test_the_placeholder_is_translated(client, user, captured):
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(
        reverse("link", args=[captured.link_id]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "图片未存档" in html


def test_application_pages_forbid_other_origins(client, user, captured):
    client.force_login(user)
    for url in (reverse("link", args=[captured.link_id]), reverse("home"), reverse("jobs")):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "img-src 'self' data:" in policy
        assert "http:" not in policy.replace("data:", "") and "*" not in policy


def test_shared_reader_uses_stored_images_too(client, user, captured):
    link = Link.objects.get(pk=captured.link_id)
    link.visibility = Link.Visibility.PUBLIC
    link.save()
    r = client.get(reverse("public-link", args=[user.profile.nickname, link.pk]))
    assert r.status_code == 200
    assert "default-src 'self'" in r["Content-Security-Policy"]
    sources = img_sources(r.content.decode())
    assert len(sources) == 1 and "/a/" in sources[0]
    assert client.get(sources[0].replace("&amp;", "&")).status_code == 200
