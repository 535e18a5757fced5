"""Reader view and archived replay: owner-only access and the sandbox headers."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse

from snapshelf.library.models import Snapshot
from snapshelf.web.archive import make_token
from tests.library.helpers import capture
from tests.paths import CORPORA
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

MDN = CORPORA / "mdn-learning-area-pages"
ARTICLE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"


@pytest.fixture
def snap(fixture_server, user):
    fixture_server.mount("/mdn/", MDN)
    s = capture(user, fixture_server.url(ARTICLE), tags=["fonts"])
    assert s.status == Snapshot.Status.DONE, s.error
    return s


def assert_sandboxed(response):
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox;") or csp == "sandbox"
    assert "allow-scripts" not in csp and "allow-same-origin" not in csp
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # falls back to default-src 'none'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"


def test_reader_view_is_owner_only(client, snap, user, other_user):
    url = reverse("snapshot", args=[snap.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("snapshot", args=[999999])).status_code == 404
    client.force_login(user)
    page = client.get(url, follow=True)  # the old address opens the link page on this version
    assert page.status_code == 200
    body = page.content.decode()
    assert snap.title in body
    assert "<script" not in page.content.decode().split('<main id="main">')[1]


def test_archive_tab_embeds_a_sandboxed_frame(client, snap, user):
    client.force_login(user)
    body = client.get(reverse("link", args=[snap.link_id]) + "?tab=archive").content.decode()
    frame = re.search(r"<iframe[^>]*>", body).group(0)
    assert re.search(r"\ssandbox[\s>]", frame)
    assert "allow-scripts" not in frame and "allow-same-origin" not in frame


def test_archived_page_and_resources_carry_sandbox_headers(client, snap):
    token = make_token(snap.pk)
    root = client.get(reverse("archive-root", args=[token]))
    assert root.status_code == 200
    assert root["Content-Type"] == "text/html; charset=utf-8"
    assert_sandboxed(root)
    html = root.content.decode()
    keys = set(re.findall(r"r/([0-9a-f]{64})", html))
    assert keys
    for key in keys:
        res = client.get(reverse("archive-resource", args=[token, key]))
        assert res.status_code == 200
        assert_sandboxed(res)
    # fonts referenced from the stylesheet are served with CORS for the opaque-origin frame
    font = snap.resources.filter(kind="font", error_code="").first()
    assert font is not None
    res = client.get(reverse("archive-resource", args=[token, font.key]))
    assert res["Access-Control-Allow-Origin"] == "*"
    css = snap.resources.filter(kind="stylesheet", error_code="").first()
    res = client.get(reverse("archive-resource", args=[token, css.key]))
    assert res["Content-Type"].startswith("text/css")


def test_archive_capability_cannot_be_forged_or_reused_for_another_snapshot(
    client, snap, user, fixture_server
):
    assert client.get(reverse("archive-root", args=["1:abc:def"])).status_code == 404
    token = make_token(snap.pk)
    forged = token.replace(f"{snap.pk}:", f"{snap.pk + 1}:", 1)
    assert client.get(reverse("archive-root", args=[forged])).status_code == 404
    # a resource key of another snapshot is not served under this capability
    fixture_server.route(
        "/other",
        lambda req: Reply.html(
            "<html><head><style>body{background:url(/lonely.png)}</style></head><body>x</body></html>"
        ),
    )
    fixture_server.route(
        "/lonely.png",
        lambda req: Reply(200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\nlonely"),
    )
    other = capture(user, fixture_server.url("/other"))
    key = other.resources.get().key
    assert client.get(reverse("archive-resource", args=[token, key])).status_code == 404
    assert (
        client.get(reverse("archive-resource", args=[make_token(other.pk), key])).status_code == 200
    )


def test_single_file_download_is_an_attachment(client, snap, user, other_user):
    url = reverse("download-singlefile", args=[snap.pk])
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    client.force_login(user)
    res = client.get(url)
    assert res.status_code == 200
    assert res["Content-Disposition"].startswith("attachment;")
    assert_sandboxed(res)
    assert not re.search(rb"r/[0-9a-f]{64}", res.content)
    # the stylesheet is inlined, and the fonts inside it too
    css_b64 = re.search(rb"data:text/css;[^,]*base64,([A-Za-z0-9+/=]+)", res.content).group(1)
    css = base64.b64decode(css_b64)
    assert re.search(rb"data:font/woff2?;base64,", css)


def test_healthz(client):
    res = client.get("/healthz")
    assert res.status_code == 200 and res.content == b"ok"
