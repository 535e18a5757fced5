"""The library page through Django's test client: add, rows, filters, bulk actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.library.models import Blob, Link, Resource, Snapshot, sort_key
from snapshelf.library.records import add_link, get_or_create_tags
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

MDN = CORPORA / "mdn-learning-area-pages"
PAGE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


def make_links(owner, n, prefix="https://example.org/p", **fields):
    links = []
    for i in range(n):
        link, snap = add_link(owner, f"{prefix}{i}")
        Snapshot.objects.filter(pk=snap.pk).update(status="done", title=f"Page {i}")
        Link.objects.filter(pk=link.pk).update(sort_title=sort_key(f"Page {i}"))
        if fields:
            Link.objects.filter(pk=link.pk).update(**fields)
        links.append(link)
    return links


def test_home_requires_login(client):
    assert client.get("/").status_code == 302


def test_add_valid_url_saves_and_queues(client_a, user):
    r = client_a.post(reverse("link-add"), {"url": "https://example.org/a", "tags": "x, y"})
    assert r.status_code == 302
    link = Link.objects.get(owner=user)
    assert link.latest_snapshot.status == "queued"
    assert sorted(link.tags.values_list("name", flat=True)) == ["x", "y"]


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://example.org/", "not a url", ""])
def test_add_invalid_url_saves_nothing_and_explains(client_a, user, bad):
    r = client_a.post(reverse("link-add"), {"url": bad}, **HX)
    assert r.status_code == 200
    assert r["HX-Retarget"] == "#add-errors"
    assert b"errorlist" in r.content
    assert not Link.objects.filter(owner=user).exists()


def test_non_http_scheme_message(client_a):
    r = client_a.post(reverse("link-add"), {"url": "ftp://example.org/x"}, **HX)
    assert "Only http and https" in r.content.decode()


def test_htmx_add_returns_the_row(client_a, user):
    r = client_a.post(reverse("link-add"), {"url": "https://example.org/row"}, **HX)
    html = r.content.decode()
    link = Link.objects.get(owner=user)
    assert f'id="link-{link.pk}"' in html
    assert 'hx-trigger="every 1s"' in html
    assert 'id="add-errors"' in html and "hx-swap-oob" in html


def test_duplicate_url_adds_a_version_not_a_link(client_a, user):
    client_a.post(reverse("link-add"), {"url": "https://example.org/dup"})
    # captured meanwhile: while it is queued, another add joins it (one capture at a time)
    Link.objects.get(owner=user).snapshots.update(status="done")
    client_a.post(reverse("link-add"), {"url": "https://example.org/dup", "again": "1"})
    link = Link.objects.get(owner=user)
    assert link.snapshots.count() == 2
    assert link.latest_snapshot.version == 2


def test_readding_a_saved_link_asks_before_snapshotting_again(client_a, user):
    """Issue 21.8: "already saved — snapshot again?" instead of a silent new capture."""
    client_a.post(reverse("link-add"), {"url": "https://example.org/dup"})
    link = Link.objects.get(owner=user)
    r = client_a.post(reverse("link-add"), {"url": "example.org/dup#part"}, **HX)
    html = r.content.decode()
    assert r["HX-Retarget"] == "#add-errors"
    assert "Already saved" in html and reverse("link", args=[link.pk]) in html
    assert 'name="again" value="1"' in html and "Snapshot again" in html
    assert link.snapshots.count() == 1
    r = client_a.post(reverse("link-add"), {"url": "https://example.org/dup"})
    assert r.status_code == 302 and r["Location"] == reverse("link", args=[link.pk])
    assert link.snapshots.count() == 1


def test_htmx_resave_replaces_the_old_row(client_a, user):
    client_a.post(reverse("link-add"), {"url": "https://example.org/again"}, **HX)
    Link.objects.get(owner=user).snapshots.update(status="done")  # captured meanwhile
    r = client_a.post(reverse("link-add"), {"url": "https://example.org/again", "again": "1"}, **HX)
    link = Link.objects.get(owner=user)
    html = r.content.decode()
    assert f'<li id="link-{link.pk}" hx-swap-oob="delete">' in html
    assert html.count(f'id="link-{link.pk}"') == 2  # the delete marker and the new row


def test_htmx_resave_while_the_capture_is_queued_replaces_the_row_too(client_a, user):
    """The save joins the queued capture (same version): the row still must not show twice."""
    client_a.post(reverse("link-add"), {"url": "https://example.org/queued"}, **HX)
    r = client_a.post(
        reverse("link-add"), {"url": "https://example.org/queued", "again": "1"}, **HX
    )
    link = Link.objects.get(owner=user)
    assert link.snapshots.count() == 1
    html = r.content.decode()
    assert f'<li id="link-{link.pk}" hx-swap-oob="delete">' in html


def test_bulk_redirect_stays_on_site(client_a, user):
    link = make_links(user, 1)[0]
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        r = client_a.post(
            reverse("links-bulk"), {"action": "favorite", "ids": [link.pk], "next": evil}
        )
        assert r["Location"] == "/"
    r = client_a.post(
        reverse("links-bulk"), {"action": "favorite", "ids": [link.pk], "next": "/?tag=a"}
    )
    assert r["Location"] == "/?tag=a"


def test_row_polls_until_done_then_shows_capture(client_a, user, fixture_server):
    fixture_server.mount("/mdn/", MDN)
    link, snap = add_link(user, fixture_server.url(PAGE))
    r = client_a.get(reverse("link-row", args=[link.pk]))
    assert 'hx-trigger="every 1s"' in r.content.decode()
    snap = capture(user, fixture_server.url(PAGE))
    assert snap.status == "done", snap.error
    html = client_a.get(reverse("link-row", args=[link.pk])).content.decode()
    assert "hx-trigger" not in html
    assert snap.title and snap.title in html
    assert Link.objects.get(pk=link.pk).sort_title == sort_key(snap.title)  # title sort follows


def test_failed_row_shows_error_code(client_a, user):
    link, snap = add_link(user, "https://example.org/f")
    Snapshot.objects.filter(pk=snap.pk).update(
        status="failed", error_code="dns", error="no such host"
    )
    html = client_a.get(reverse("link-row", args=[link.pk])).content.decode()
    assert "dns" in html and "no such host" in html and "hx-trigger" not in html


def test_row_is_owner_scoped(client, user, other_user):
    link, _ = add_link(user, "https://example.org/mine")
    client.force_login(other_user)
    assert client.get(reverse("link-row", args=[link.pk])).status_code == 404
    assert client.get(reverse("link-favicon", args=[link.pk])).status_code == 404


def test_favicon_serves_icon_with_protect_headers(client_a, user):
    link, snap = add_link(user, "https://example.org/icon")
    png = b"\x89PNG\r\n\x1a\nfake"
    info = get_blob_store().put(png)
    blob = Blob.objects.create(sha256=info.sha256, size=info.size, stored_size=info.stored_size)
    Resource.objects.create(
        snapshot=snap,
        url="https://example.org/favicon.png",
        kind="icon",
        content_type="image/png",
        blob=blob,
    )
    Snapshot.objects.filter(pk=snap.pk).update(status="done")
    r = client_a.get(reverse("link-favicon", args=[link.pk]))
    assert r.status_code == 200 and r.content == png
    assert r["Content-Type"] == "image/png"
    assert r["Content-Security-Policy"].startswith("sandbox")
    assert r["X-Content-Type-Options"] == "nosniff"


def test_favicon_fallback(client_a, user):
    link, _ = add_link(user, "https://example.org/noicon")
    r = client_a.get(reverse("link-favicon", args=[link.pk]))
    assert r["Content-Type"] == "image/svg+xml" and b"<svg" in r.content
    assert r["X-Content-Type-Options"] == "nosniff"


def titles(response) -> list[str]:
    return [link.latest_snapshot.title for link in response.context["links"]]


def test_filters_tags_and_flags(client_a, user, other_user):
    a, b, c = make_links(user, 3)
    ta, tb = get_or_create_tags(user, ["alpha", "beta"])
    a.tags.add(ta, tb)
    b.tags.add(ta)
    Link.objects.filter(pk=b.pk).update(favorite=True)
    Link.objects.filter(pk=c.pk).update(archived=True, unread=False)
    make_links(other_user, 2)  # never shown
    assert sorted(titles(client_a.get("/"))) == ["Page 0", "Page 1"]
    assert sorted(titles(client_a.get("/?tag=alpha"))) == ["Page 0", "Page 1"]
    assert titles(client_a.get("/?tag=alpha&tag=BETA")) == ["Page 0"]
    assert titles(client_a.get("/?is=favorite")) == ["Page 1"]
    assert titles(client_a.get("/?is=unread&is=favorite")) == ["Page 1"]
    assert titles(client_a.get("/?is=archived")) == ["Page 2"]
    html = client_a.get("/?tag=alpha").content.decode()
    assert "Tag: alpha" in html  # removable chip


def test_sort_search_and_pagination(client_a, user):
    make_links(user, 55)
    zebra = Link.objects.get(owner=user, url="https://example.org/p7")
    zebra.title = "Zebra notes"
    zebra.save(update_fields=["title"])  # the title edit keeps the sort key in step
    r = client_a.get("/")
    assert len(r.context["links"]) == 50 and r.context["next_url"]
    r2 = client_a.get("/?page=2")
    assert len(r2.context["links"]) == 5 and r2.context["next_url"] is None
    assert titles(client_a.get("/?sort=oldest"))[0] == "Page 0"
    assert client_a.get("/?sort=title&page=2").context["links"][-1].display_title == "Zebra notes"
    assert [x.display_title for x in client_a.get("/?q=zEBRA").context["links"]] == ["Zebra notes"]
    # full text: the URL's words as a phrase, not substrings (p50..p54 do not match p5)
    assert len(client_a.get("/?q=example.org/p5").context["links"]) == 1


def test_bulk_actions_only_touch_own_links(client_a, user, other_user):
    mine = make_links(user, 2)
    theirs = make_links(other_user, 1, prefix="https://example.org/b")[0]
    ids = [mine[0].pk, mine[1].pk, theirs.pk]
    for action in ("favorite", "mark_read", "archive", "make_public"):
        client_a.post(reverse("links-bulk"), {"action": action, "ids": ids})
    theirs.refresh_from_db()
    assert (theirs.favorite, theirs.unread, theirs.archived, theirs.visibility) == (
        False,
        True,
        False,
        "private",
    )
    assert (
        Link.objects.filter(
            owner=user, favorite=True, unread=False, archived=True, visibility="public"
        ).count()
        == 2
    )
    client_a.post(reverse("links-bulk"), {"action": "add_tags", "ids": ids, "tags": "t1, t2"})
    assert theirs.tags.count() == 0
    assert mine[0].tags.count() == 2
    client_a.post(reverse("links-bulk"), {"action": "remove_tags", "ids": ids, "tags": "T1"})
    assert list(mine[1].tags.values_list("name", flat=True)) == ["t2"]
    client_a.post(reverse("links-bulk"), {"action": "resnapshot", "ids": ids})
    assert theirs.snapshots.count() == 1
    assert Link.objects.get(pk=mine[0].pk).latest_snapshot.version == 2
    client_a.post(reverse("links-bulk"), {"action": "delete", "ids": ids, "confirm": "1"})
    assert not Link.objects.filter(owner=user).exists()
    assert Link.objects.filter(pk=theirs.pk).exists()


def test_delete_needs_confirmation(client_a, user):
    links = make_links(user, 3)
    ids = [x.pk for x in links]
    r = client_a.post(reverse("links-bulk"), {"action": "delete", "ids": ids})
    assert r.status_code == 200
    assert "3 links" in r.content.decode()
    assert Link.objects.filter(owner=user).count() == 3
    r = client_a.post(reverse("links-bulk"), {"action": "delete", "ids": ids, "confirm": "1"})
    assert r.status_code == 302
    assert Link.objects.filter(owner=user).count() == 0


def test_bulk_is_post_only_and_csrf_protected(user):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    link = make_links(user, 1)[0]
    assert c.get(reverse("links-bulk")).status_code == 405
    assert (
        c.post(
            reverse("links-bulk"), {"action": "delete", "ids": [link.pk], "confirm": "1"}
        ).status_code
        == 403
    )
    assert Link.objects.filter(pk=link.pk).exists()


@pytest.mark.parametrize("n", [3, 40])
def test_library_queries_are_bounded(client_a, user, n, django_assert_max_num_queries):
    links = make_links(user, n)
    tags = get_or_create_tags(user, [f"tag{i}" for i in range(n)])
    for link, tag in zip(links, tags, strict=True):
        link.tags.add(tag, tags[0])
    with django_assert_max_num_queries(10):
        r = client_a.get("/?tag=tag0")
    assert len(r.context["links"]) == n


def test_add_with_new_tags_refreshes_the_sidebar_keeping_filters(client_a, user):
    r = client_a.post(
        reverse("link-add"),
        {"url": "https://example.org/t", "tags": "fresh"},
        HTTP_HX_CURRENT_URL="http://testserver/?is=unread",
        **HX,
    )
    html = r.content.decode()
    assert 'id="tag-list" hx-swap-oob="true"' in html
    assert "?tag=fresh&amp;is=unread" in html  # the filter link keeps the page's filters
    untagged = client_a.post(reverse("link-add"), {"url": "https://example.org/u"}, **HX)
    assert "tag-list" not in untagged.content.decode()
