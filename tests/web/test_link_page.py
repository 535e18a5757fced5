"""The link page: reading, versions, live status, editing, actions and owner scoping."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from snapshelf.library.models import Blob, Link, Snapshot, Tag
from snapshelf.library.notes import render_note
from snapshelf.library.records import add_link, new_snapshot
from snapshelf.related.links import RelatedLink
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

MDN = CORPORA / "mdn-learning-area-pages"
PAGE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def saved(user):
    link, snap = add_link(user, "https://example.org/article")
    return link, snap


def finish(snap: Snapshot, **fields) -> Snapshot:
    values = {"status": Snapshot.Status.DONE, "title": "Captured title", **fields}
    Snapshot.objects.filter(pk=snap.pk).update(**values)
    snap.refresh_from_db()
    return snap


def store_blob(data: bytes) -> str:
    info = get_blob_store().put(data)
    Blob.objects.get_or_create(
        sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
    )
    return info.sha256


def page(client, link: Link, query: str = "") -> str:
    r = client.get(reverse("link", args=[link.pk]) + query)
    assert r.status_code == 200, r.status_code
    return r.content.decode()


def all_routes(link: Link, snap: Snapshot) -> list[tuple[str, str]]:
    return [
        ("get", reverse("link", args=[link.pk])),
        ("get", reverse("link-status", args=[link.pk])),
        ("post", reverse("link-edit", args=[link.pk])),
        ("post", reverse("link-read", args=[link.pk])),
        ("post", reverse("link-resnapshot", args=[link.pk])),
        ("get", reverse("link-delete", args=[link.pk])),
        ("post", reverse("link-delete", args=[link.pk])),
        ("get", reverse("snapshot-screenshot", args=[link.pk, snap.pk])),
        ("get", reverse("snapshot-pdf", args=[link.pk, snap.pk])),
        ("get", reverse("snapshot", args=[snap.pk])),
    ]


# --- access ---------------------------------------------------------------


def test_every_route_needs_login_and_is_owner_scoped(client, saved, other_user):
    link, snap = saved
    sha = store_blob(b"\x89PNG\r\n\x1a\nshot")
    Snapshot.objects.filter(pk=snap.pk).update(screenshot_blob_id=sha, pdf_blob_id=sha)
    for method, url in all_routes(link, snap):
        r = getattr(client, method)(url, {"title": "hacked", "visibility": "public"})
        assert r.status_code == 302 and r["Location"].startswith(reverse("login")), url
    client.force_login(other_user)
    for method, url in all_routes(link, snap):
        r = getattr(client, method)(url, {"title": "hacked", "visibility": "public"})
        assert r.status_code == 404, url
    link.refresh_from_db()
    assert link.title == "" and link.visibility == "private"
    assert Link.objects.filter(pk=link.pk).exists()
    assert link.snapshots.count() == 1


def test_post_only_routes_refuse_get_and_change_nothing(client_a, saved):
    link, snap = saved
    for name in ("link-edit", "link-read", "link-resnapshot"):
        r = client_a.get(reverse(name, args=[link.pk]), {"title": "x", "unread": "0"})
        assert r.status_code == 405, name
    # GET on delete only asks
    r = client_a.get(reverse("link-delete", args=[link.pk]))
    assert r.status_code == 200
    link.refresh_from_db()
    assert link.title == "" and link.unread is True
    assert link.snapshots.count() == 1


def test_missing_link_is_404(client_a):
    assert client_a.get(reverse("link", args=[999999])).status_code == 404


def test_old_snapshot_address_redirects_to_the_link_page(client_a, saved):
    link, snap = saved
    r = client_a.get(reverse("snapshot", args=[snap.pk]))
    assert r.status_code == 302
    assert r["Location"] == reverse("link", args=[link.pk]) + f"?v={snap.pk}"
    assert client_a.get(reverse("snapshot", args=[999999])).status_code == 404


# --- page by snapshot status ---------------------------------------------


def test_queued_snapshot_polls_status_until_done(client_a, saved):
    link, snap = saved
    html = page(client_a, link)
    status_url = reverse("link-status", args=[link.pk]) + f"?v={snap.pk}"
    assert f'hx-get="{status_url}"' in html
    assert 'hx-trigger="every 1s"' in html and 'hx-swap="outerHTML"' in html
    r = client_a.get(status_url)
    assert r.status_code == 200 and "HX-Refresh" not in r
    assert 'hx-trigger="every 1s"' in r.content.decode()
    Snapshot.objects.filter(pk=snap.pk).update(status=Snapshot.Status.RUNNING)
    assert "HX-Refresh" not in client_a.get(status_url)
    finish(snap)
    r = client_a.get(status_url)
    assert r["HX-Refresh"] == "true"
    assert 'hx-trigger="every 1s"' not in r.content.decode()
    assert 'hx-trigger="every 1s"' not in page(client_a, link)


def test_failed_snapshot_shows_error_and_retry(client_a, saved, django_capture_on_commit_callbacks):
    link, snap = saved
    Snapshot.objects.filter(pk=snap.pk).update(
        status="failed", error_code="dns", error="no such host: example.org"
    )
    html = page(client_a, link)
    assert "dns" in html and "no such host: example.org" in html
    retry = reverse("link-resnapshot", args=[link.pk])
    assert f'action="{retry}"' in html and "Retry" in html
    assert 'hx-trigger="every 1s"' not in html
    r = client_a.get(reverse("link-status", args=[link.pk]))
    assert r["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks() as callbacks:
        client_a.post(retry)
    assert link.snapshots.count() == 2 and len(callbacks) == 1


def test_done_snapshot_shows_metadata_and_reader(client_a, saved):
    link, snap = saved
    finish(
        snap,
        site_name="Example Site",
        author="Ada Lovelace",
        language="en",
        readable_html="<p>First paragraph.</p><script>alert(1)</script><p onclick='x()'>Two</p>",
        finished=snap.created,
    )
    html = page(client_a, link)
    assert "<title>Captured title · Snapshelf</title>" in html
    assert '<a href="https://example.org/article" rel="noopener noreferrer nofollow">' in html
    assert "Example Site" in html and "Ada Lovelace" in html
    assert re.search(r'<article class="reader" lang="en">\s*<p>First paragraph.</p>', html)
    main = html.split('<main id="main">')[1]
    assert "alert(1)" not in main and "onclick" not in main
    assert "<time datetime=" in html  # saved/captured times via reltime
    assert "status-done" in html


# --- real capture ---------------------------------------------------------


def test_real_capture_shows_title_reader_text_and_tabs(client_a, user, fixture_server):
    fixture_server.mount("/mdn/", MDN)
    snap = capture(user, fixture_server.url(PAGE), tags=["fonts"])
    assert snap.status == Snapshot.Status.DONE, snap.error
    link = snap.link
    html = page(client_a, link)
    assert f"<title>{snap.title} · Snapshelf</title>" in html
    assert f"<h1>{snap.title}</h1>" in html
    words = snap.text.split()[:4]
    assert words and " ".join(words) in re.sub(r"<[^>]+>|\s+", " ", html)
    assert "#fonts" in html
    # the archived page: a sandboxed frame without scripts or same-origin
    body = page(client_a, link, "?tab=archive")
    frame = re.search(r"<iframe[^>]*>", body).group(0)
    assert re.search(r"\ssandbox[\s>]", frame)
    assert "allow-scripts" not in frame and "allow-same-origin" not in frame
    assert 'referrerpolicy="no-referrer"' in frame and 'src="/a/' in frame
    # info: resource table and download links
    info = page(client_a, link, "?tab=info")
    resource = snap.resources.first()
    assert resource is not None and resource.url in info
    assert reverse("download-singlefile", args=[snap.pk]) in info
    assert reverse("download-original", args=[snap.pk]) in info
    assert str(snap.http_status) in info
    assert "fetch: " in info and "Browser failed" not in info
    # auto mode's notes have rows of their own, not "ms" after them
    snap.timings = dict(snap.timings, auto_reason="few words", browser_error="it crashed")
    snap.save(update_fields=["timings"])
    info = page(client_a, link, "?tab=info")
    assert "<th>Browser failed</th><td>it crashed</td>" in info
    assert "<th>Auto mode</th><td>few words</td>" in info and "it crashed ms" not in info


def test_cjk_reader_is_marked_with_its_language(client_a, user, fixture_server):
    from tests.webserver import Reply

    article = "<p>" + "这是一篇关于网页存档的中文文章，内容足够长以便提取正文。" * 20 + "</p>"
    fixture_server.route(
        "/zh",
        lambda req: Reply.html(
            f'<html lang="zh-CN"><head><title>中文标题</title></head>'
            f"<body><article><h1>中文标题</h1>{article}{article}</article></body></html>"
        ),
    )
    snap = capture(user, fixture_server.url("/zh"))
    assert snap.status == Snapshot.Status.DONE, snap.error
    html = page(client_a, snap.link)
    assert "<title>中文标题 · Snapshelf</title>" in html
    assert re.search(r'<article class="reader" lang="zh[^"]*">', html)
    assert "网页存档" in html


# --- versions ---------------------------------------------------------------


def test_version_picker_lists_versions_and_selects_older(client_a, saved):
    link, first = saved
    finish(first, readable_html="<p>old words</p>")
    second = finish(new_snapshot(link), readable_html="<p>new words</p>")
    html = page(client_a, link)
    assert f'<option value="{first.pk}">v1' in html
    assert f'<option value="{second.pk}" selected>v2' in html
    assert "new words" in html and "old words" not in html
    html = page(client_a, link, f"?v={first.pk}")
    assert f'<option value="{first.pk}" selected>v1' in html
    assert "old words" in html and "new words" not in html
    # tab links keep the selected version
    assert f"?v={first.pk}&amp;tab=info" in html


def test_version_of_another_link_is_404(client_a, user, saved, other_user):
    link, _snap = saved
    _other, other_snap = add_link(user, "https://example.org/other")
    url = reverse("link", args=[link.pk])
    assert client_a.get(url + f"?v={other_snap.pk}").status_code == 404
    assert client_a.get(url + "?v=abc").status_code == 404
    _bob_link, bob_snap = add_link(other_user, "https://example.org/bob")
    assert client_a.get(url + f"?v={bob_snap.pk}").status_code == 404
    shot = reverse("snapshot-screenshot", args=[link.pk, other_snap.pk])
    assert client_a.get(shot).status_code == 404


# --- screenshot and PDF ------------------------------------------------------


def test_screenshot_and_pdf_are_served_with_protect_headers(client_a, saved):
    link, snap = saved
    png = b"\x89PNG\r\n\x1a\nscreenshot-bytes"
    pdf = b"%PDF-1.4\n% fake pdf\n"
    finish(snap, screenshot_blob_id=store_blob(png), pdf_blob_id=store_blob(pdf))
    r = client_a.get(reverse("snapshot-screenshot", args=[link.pk, snap.pk]))
    assert r.status_code == 200 and r.content == png
    assert r["Content-Type"] == "image/png"
    assert "sandbox" in r["Content-Security-Policy"]
    assert r["X-Content-Type-Options"] == "nosniff"
    r = client_a.get(reverse("snapshot-pdf", args=[link.pk, snap.pk]))
    assert r.status_code == 200 and r.content == pdf
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in r["Content-Security-Policy"]
    html = page(client_a, link)
    assert "?tab=screenshot" in html and "?tab=pdf" in html
    shot = page(client_a, link, "?tab=screenshot")
    assert reverse("snapshot-screenshot", args=[link.pk, snap.pk]) in shot


def test_screenshot_and_pdf_are_404_without_blob(client_a, saved):
    link, snap = saved
    finish(snap)
    assert client_a.get(reverse("snapshot-screenshot", args=[link.pk, snap.pk])).status_code == 404
    assert client_a.get(reverse("snapshot-pdf", args=[link.pk, snap.pk])).status_code == 404
    html = page(client_a, link)
    assert "tab=screenshot" not in html and "tab=pdf" not in html
    # asking for the tab anyway falls back to the reader
    assert '<article class="reader"' in page(client_a, link, "?tab=pdf")


# --- editing -----------------------------------------------------------------


def edit(client, link: Link, **fields):
    data = {"title": "", "tags": "", "note": "", "visibility": "private", **fields}
    return client.post(reverse("link-edit", args=[link.pk]), data)


def test_edit_persists_title_tags_note_flags_visibility(client_a, user, saved):
    link, snap = saved
    finish(snap)
    Tag.objects.create(owner=user, name="unused")
    r = edit(
        client_a,
        link,
        title="  My   own title ",
        tags="python, Web, python,  #news",
        note="Read **later**",
        favorite="on",
        archived="on",
        visibility="unlisted",
        capture_mode="browser",
    )
    assert r.status_code == 302 and r["Location"] == reverse("link", args=[link.pk])
    link.refresh_from_db()
    assert link.capture_mode == "browser"
    assert link.title == "My own title"
    assert sorted(t.name for t in link.tags.all()) == ["Web", "news", "python"]
    assert link.note == "Read **later**"
    assert (link.unread, link.favorite, link.archived) == (False, True, True)
    assert link.visibility == "unlisted"
    html = client_a.get(r["Location"]).content.decode()
    assert "Saved your changes." in html
    assert "<title>My own title · Snapshelf</title>" in html
    assert "Read <strong>later</strong>" in html
    # the datalist offers the owner's tags, including unused ones
    assert '<option value="unused">' in html
    # tags are replaced, unused Tag rows are kept; blank title falls back to the capture
    edit(client_a, link, tags="web")
    link.refresh_from_db()
    assert [t.name for t in link.tags.all()] == ["Web"]
    assert Tag.objects.filter(owner=user, name="python").exists()
    assert link.title == "" and link.display_title == "Captured title"
    assert link.visibility == "private" and not link.favorite
    assert link.capture_mode == "browser"  # a form without the field keeps the mode


def test_edit_rejects_bad_visibility_and_shows_errors(client_a, saved):
    link, _snap = saved
    r = edit(client_a, link, visibility="everyone", title="x")
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()
    link.refresh_from_db()
    assert link.title == "" and link.visibility == "private"


def test_edit_form_lists_visibility_help_and_keeps_selected_version(client_a, saved):
    link, first = saved
    finish(first)
    finish(new_snapshot(link))
    html = page(client_a, link, f"?v={first.pk}&tab=info")
    for value in ("private", "unlisted", "public"):
        assert f'<option value="{value}"' in html
    assert "Only you can see it." in html
    r = client_a.post(
        reverse("link-edit", args=[link.pk]),
        {"title": "t", "visibility": "private", "v": str(first.pk), "tab": "info"},
    )
    assert r["Location"] == reverse("link", args=[link.pk]) + f"?v={first.pk}&tab=info"


def test_mark_read_toggle(client_a, saved):
    link, _snap = saved
    assert link.unread
    r = client_a.post(reverse("link-read", args=[link.pk]), {"unread": "0"})
    assert r.status_code == 302
    link.refresh_from_db()
    assert not link.unread
    client_a.post(reverse("link-read", args=[link.pk]), {"unread": "1"})
    link.refresh_from_db()
    assert link.unread


# --- notes ---------------------------------------------------------------------


def test_note_markdown_is_rendered_and_safe_on_the_page(client_a, saved):
    link, _snap = saved
    note = "# Heading\n\n- item *one*\n\n<script>alert('n')</script>\n\n[bad](javascript:alert(1))"
    edit(client_a, link, note=note)
    html = page(client_a, link)
    assert "<h1>Heading</h1>" in html and "<em>one</em>" in html
    main = html.split('<main id="main">')[1]
    assert "<script>alert('n')" not in main
    assert 'href="javascript:' not in main


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ('<div onclick="x()">raw</div>', "<div"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("![pic](http://tracker.example/p.png)", "<img"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", 'href="data:'),
        ("<a href='https://e.org'>raw link</a>", "<a href='"),
    ],
)
def test_render_note_makes_hostile_markdown_inert(source, forbidden):
    html = render_note(source)
    assert html.strip()  # something is shown
    assert forbidden not in html
    assert "<script" not in html and "<img" not in html
    assert not re.search(r"<[^>]*\son\w+=", html)  # no event handler inside a real tag


def test_render_note_keeps_formatting_and_marks_links():
    html = render_note(
        "**bold** _em_ `code` ~~gone~~\n\n> quote\n\n1. a\n2. b\n\n[site](https://e.org)"
    )
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<code>code</code>" in html and "<blockquote>" in html and "<ol>" in html
    assert '<a href="https://e.org" rel="noopener noreferrer nofollow">site</a>' in html
    assert "gone" in html
    assert render_note("") == "" and render_note("   ") == ""


# --- actions -----------------------------------------------------------------


def test_resnapshot_creates_version_two_and_queues_it(
    client_a, saved, django_capture_on_commit_callbacks
):
    link, first = saved
    finish(first)
    with django_capture_on_commit_callbacks() as callbacks:
        r = client_a.post(reverse("link-resnapshot", args=[link.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("link", args=[link.pk])
    link.refresh_from_db()
    second = link.latest_snapshot
    assert second.version == 2 and second.status == Snapshot.Status.QUEUED
    assert len(callbacks) == 1  # enqueue_capture runs after commit
    html = client_a.get(r["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in html


def test_delete_asks_then_deletes(client_a, saved):
    link, snap = saved
    r = client_a.get(reverse("link-delete", args=[link.pk]))
    html = r.content.decode()
    assert r.status_code == 200 and 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert Link.objects.filter(pk=link.pk).exists()
    r = client_a.post(reverse("link-delete", args=[link.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("home")
    assert not Link.objects.filter(pk=link.pk).exists()
    assert not Snapshot.objects.filter(pk=snap.pk).exists()
    assert client_a.get(reverse("link", args=[link.pk])).status_code == 404


def test_forms_carry_csrf_tokens(client_a, saved):
    link, snap = saved
    finish(snap)
    html = page(client_a, link)
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert len(forms) >= 4
    for form in forms:
        assert "csrfmiddlewaretoken" in form


# --- escaping, related, queries ------------------------------------------------


def test_hostile_title_is_shown_as_text(client_a, user):
    link, snap = add_link(user, "https://example.org/xss")
    evil = '"><img src=x onerror=alert(1)>'
    finish(snap, title=evil, author=evil, site_name=evil)
    Link.objects.filter(pk=link.pk).update(note=evil)
    html = page(client_a, link)
    assert "<img src=x onerror" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_related_panel(client_a, user, saved, monkeypatch):
    link, _snap = saved
    assert "No related links yet." in page(client_a, link)
    other, _ = add_link(user, "https://example.org/other")
    Link.objects.filter(pk=other.pk).update(title="<b>Other</b> article")
    other.refresh_from_db()
    monkeypatch.setattr(
        "snapshelf.web.views.links.related_links",
        lambda link, limit=5: [RelatedLink(link=other, score=0.9, reason="shared tag: fonts")],
    )
    html = page(client_a, link)
    assert (
        f'<a href="{reverse("link", args=[other.pk])}">&lt;b&gt;Other&lt;/b&gt; article</a>' in html
    )
    assert "shared tag: fonts" in html
    assert "No related links yet." not in html


def make_heavy(user, versions: int, resources: int, tags: int) -> Link:
    from snapshelf.library.models import Resource
    from snapshelf.library.records import get_or_create_tags

    link, snap = add_link(user, f"https://example.org/heavy{versions}")
    finish(snap, readable_html="<p>text</p>")
    for _ in range(versions - 1):
        snap = finish(new_snapshot(link), readable_html="<p>text</p>")
    Resource.objects.bulk_create(
        Resource(snapshot=snap, url=f"https://example.org/r{i}.png", kind="image")
        for i in range(resources)
    )
    link.tags.set(get_or_create_tags(user, [f"tag{i}" for i in range(tags)]))
    return link


@pytest.mark.parametrize("tab", ["reader", "info", "archive"])
def test_page_queries_do_not_grow(client_a, user, tab, django_assert_max_num_queries, monkeypatch):
    # the related panel has its own bounded-query tests (tests/search, tests/library)
    monkeypatch.setattr("snapshelf.web.views.links.related_links", lambda link, limit=5: [])
    small = make_heavy(user, versions=1, resources=1, tags=1)
    big = make_heavy(user, versions=12, resources=40, tags=15)
    client_a.get(reverse("link", args=[small.pk]))  # warm the session
    with django_assert_max_num_queries(14) as small_q:
        page(client_a, small, f"?tab={tab}")
    with django_assert_max_num_queries(len(small_q)):
        html = page(client_a, big, f"?tab={tab}")
    assert "v12" in html


def test_queued_resnapshot_keeps_the_captured_title(client_a, saved):
    link, first = saved
    finish(first, title="Known title")
    client_a.post(reverse("link-resnapshot", args=[link.pk]))
    html = page(client_a, link)
    assert "<title>Known title · Snapshelf</title>" in html
    assert "<h1>Known title</h1>" in html


def test_versions_can_be_compared(client_a, user, other_user, saved):
    link, first = saved
    finish(first, title="Docker on Windows", text="Volumes keep data.\nWindows needs a host.")
    assert "What changed" not in page(client_a, link)  # one version: nothing to compare
    second = finish(
        new_snapshot(link),
        title="Docker on Windows (updated)",
        text="Volumes keep data.\nWindows needs a matching host.\nA new paragraph.",
    )
    html = page(client_a, link)
    assert reverse("link-diff", args=[link.pk]) in html
    diff = client_a.get(reverse("link-diff", args=[link.pk])).content.decode()
    assert "1 paragraph changed, 1 paragraph added, title changed" in diff
    assert "<ins>matching </ins>" in diff and "<ins>A new paragraph.</ins>" in diff
    # explicit versions, and the other way round
    back = client_a.get(
        reverse("link-diff", args=[link.pk]) + f"?a={second.pk}&b={first.pk}"
    ).content.decode()
    assert "1 paragraph removed" in back
    # another link's snapshot or another user: 404
    other, other_snap = add_link(user, "https://example.org/else")
    bad = reverse("link-diff", args=[link.pk]) + f"?a={other_snap.pk}"
    assert client_a.get(bad).status_code == 404
    client_a.force_login(other_user)
    assert client_a.get(reverse("link-diff", args=[link.pk])).status_code == 404
