"""Public profile and shared-link pages: what anybody may see, and nothing more."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link
from tests.library.helpers import capture
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

MDN = CORPORA / "mdn-learning-area-pages"
ARTICLE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"
VISIBILITIES = ["private", "unlisted", "public"]


@pytest.fixture
def alice(user):
    Profile.objects.filter(user=user).update(nickname="alice")
    user.refresh_from_db()
    return user


@pytest.fixture
def bob(other_user):
    Profile.objects.filter(user=other_user).update(nickname="bob")
    other_user.refresh_from_db()
    return other_user


def make(owner, n: int | str, visibility: str, tags=(), note: str = "") -> Link:
    link, _snap = add_link(owner, f"https://example.org/{owner.username}/{n}", tags)
    link.title = f"{owner.username}-{visibility}-{n}-title"
    link.visibility = visibility
    link.note = note
    link.save()
    return link


def public_url(link: Link, nickname: str | None = None) -> str:
    """Where the owner says the link can be read: an unlisted link only at its secret
    address (issue 21.5), any other at its sequential public address."""
    if link.visibility == "unlisted" and nickname is None:
        return reverse("shared-link", args=[link.share_token])
    return reverse("public-link", args=[nickname or link.owner.profile.nickname, link.pk])


def as_viewer(client, viewer, alice, bob):
    if viewer == "owner":
        client.force_login(alice)
    elif viewer == "other":
        client.force_login(bob)
    return client


# --- leak matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["anonymous", "owner", "other"])
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_public_link_page_matrix(client, alice, bob, viewer, visibility):
    link = make(alice, 1, visibility, tags=["secret-tag"], note="SECRET NOTE TEXT")
    response = as_viewer(client, viewer, alice, bob).get(public_url(link))
    if visibility == "private":
        assert response.status_code == 404
        assert link.title not in response.content.decode()
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert link.title in body
    assert link.url in body
    assert reverse("public-profile", args=["alice"]) in body
    assert "SECRET NOTE TEXT" not in body
    assert "secret-tag" not in body


@pytest.mark.parametrize("viewer", ["anonymous", "owner", "other"])
def test_profile_lists_only_public_links(client, alice, bob, viewer):
    links = {v: make(alice, v, v) for v in VISIBILITIES}
    second_public = make(alice, "p2", "public")
    bobs = make(bob, 1, "public")
    response = as_viewer(client, viewer, alice, bob).get(reverse("public-profile", args=["alice"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert links["public"].title in body and second_public.title in body
    assert links["unlisted"].title not in body
    assert links["private"].title not in body
    assert bobs.title not in body
    assert "2 public links" in body
    assert public_url(links["public"]) in body
    assert public_url(links["unlisted"]) not in body
    assert public_url(links["private"]) not in body


def test_feed_lists_only_public_links(client, alice, bob, django_assert_max_num_queries):
    links = {v: make(alice, v, v, note="SECRET NOTE TEXT") for v in VISIBILITIES}
    bobs = make(bob, 1, "public")
    profile = client.get(reverse("public-profile", args=["alice"])).content.decode()
    assert reverse("public-feed", args=["alice"]) in profile  # advertised for feed readers
    with django_assert_max_num_queries(3):
        response = client.get(reverse("public-feed", args=["alice"]))
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert links["public"].title in body and public_url(links["public"]) in body
    for leaked in (links["unlisted"], links["private"], bobs):
        assert leaked.title not in body
    assert "SECRET NOTE TEXT" not in body
    assert client.get(reverse("public-feed", args=["nobody"])).status_code == 404


def test_profile_newest_first_with_host_and_relative_time(client, alice):
    first = make(alice, "older", "public")
    second = make(alice, "newer", "public")
    body = client.get(reverse("public-profile", args=["alice"])).content.decode()
    assert body.index(second.title) < body.index(first.title)
    assert "example.org" in body
    assert "<time datetime=" in body


def test_unknown_nickname_is_404(client, alice):
    assert client.get(reverse("public-profile", args=["nobody-here"])).status_code == 404
    link = make(alice, 1, "public")
    assert client.get(public_url(link, "nobody-here")).status_code == 404


def test_wrong_nickname_for_an_existing_link_is_404(client, alice, bob):
    link = make(alice, 1, "public")
    assert client.get(public_url(link, "bob")).status_code == 404
    assert client.get(public_url(link, "alice")).status_code == 200


def test_missing_and_private_links_answer_alike(client, alice):
    private = make(alice, 1, "private")
    missing = client.get(reverse("public-link", args=["alice", private.pk + 1000]))
    hidden = client.get(public_url(private))
    assert missing.status_code == hidden.status_code == 404
    assert missing.content == hidden.content


def test_profile_pages_by_fifty_with_bounded_queries(client, alice, django_assert_max_num_queries):
    for i in range(51):
        make(alice, i, "public")
    url = reverse("public-profile", args=["alice"])
    with django_assert_max_num_queries(6):
        first = client.get(url)
    assert first.content.decode().count('class="title"') == 50
    assert "51 public links" in first.content.decode()
    second = client.get(url + "?page=2").content.decode()
    assert second.count('class="title"') == 1
    assert "alice-public-0-title" in second  # the oldest is last
    assert client.get(url + "?page=zzz").status_code == 200


def test_unlisted_pages_are_noindex(client, alice):
    unlisted = client.get(public_url(make(alice, 1, "unlisted")))
    assert '<meta name="robots" content="noindex">' in unlisted.content.decode()
    assert unlisted["X-Robots-Tag"] == "noindex"
    public = client.get(public_url(make(alice, 2, "public")))
    assert 'name="robots"' not in public.content.decode()
    assert not public.has_header("X-Robots-Tag")


def test_titles_and_urls_are_escaped(client, alice):
    link = make(alice, 1, "public")
    link.title = '"><img src=x onerror=alert(1)>'
    link.save()
    for url in (reverse("public-profile", args=["alice"]), public_url(link)):
        body = client.get(url).content.decode()
        assert "<img src=x onerror" not in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body


# --- related panel -----------------------------------------------------------------------


def test_related_panel_lists_only_public_links_of_the_owner(client, alice, bob):
    tags = ["python", "web", "django"]
    page = make(alice, "page", "public", tags=tags)
    public = make(alice, "sib-public", "public", tags=tags)
    unlisted = make(alice, "sib-unlisted", "unlisted", tags=tags)
    private = make(alice, "sib-private", "private", tags=tags)
    bobs = make(bob, "bob-public", "public", tags=tags)
    body = client.get(public_url(page)).content.decode()
    related = body.split('class="related"')[1] if 'class="related"' in body else ""
    # contract: related_links = same owner's links sharing the most tags
    assert public.title in related
    assert public_url(public) in related
    for hidden in (unlisted, private, bobs):
        assert hidden.title not in body


# --- reader view and archived page -------------------------------------------------------


@pytest.fixture
def shared_snap(fixture_server, alice):
    fixture_server.mount("/mdn/", MDN)
    snap = capture(alice, fixture_server.url(ARTICLE), tags=["fonts"])
    assert snap.status == Snapshot.Status.DONE, snap.error
    Link.objects.filter(pk=snap.link_id).update(visibility="public")
    return snap


def test_public_page_shows_the_sanitised_reader_view(client, shared_snap):
    response = client.get(public_url(shared_snap.link))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<article class="reader"' in body
    main = body.split('<main id="main">')[1]
    assert "<script" not in main
    assert shared_snap.title in body
    words = [w for w in re.findall(r"[A-Za-z]{6,}", shared_snap.text)][:5]
    assert words and all(w in main for w in words)


def test_public_archived_page_is_a_signed_sandboxed_frame(client, shared_snap):
    body = client.get(public_url(shared_snap.link) + "?view=archive").content.decode()
    frame = re.search(r"<iframe[^>]*>", body).group(0)
    assert re.search(r"\ssandbox[\s>]", frame)
    assert "allow-scripts" not in frame and "allow-same-origin" not in frame
    assert 'referrerpolicy="no-referrer"' in frame
    src = re.search(r'src="([^"]+)"', frame).group(1)
    assert re.fullmatch(r"/a/[^/]+:[^/]+/", src)  # a signed capability, not the snapshot id
    archived = client.get(src)
    assert archived.status_code == 200
    csp = archived["Content-Security-Policy"]
    assert csp.startswith("sandbox")
    assert "allow-scripts" not in csp and "allow-same-origin" not in csp
    assert "default-src 'none'" in csp
    assert archived["X-Content-Type-Options"] == "nosniff"


def test_private_capture_has_no_public_frame(client, shared_snap):
    Link.objects.filter(pk=shared_snap.link_id).update(visibility="private")
    response = client.get(public_url(shared_snap.link) + "?view=archive")
    assert response.status_code == 404
    assert "/a/" not in response.content.decode()


def test_cjk_nickname_pages_resolve(client, alice):
    Profile.objects.filter(user=alice).update(nickname="小明")
    link = make(alice, 1, "public")
    url = reverse("public-profile", args=["小明"])
    assert url == "/u/%E5%B0%8F%E6%98%8E/"
    body = client.get(url).content.decode()
    assert "小明" in body and link.title in body
    assert client.get(reverse("public-link", args=["小明", link.pk])).status_code == 200


def test_nicknames_are_found_ignoring_case(client, alice):
    link = make(alice, "case", "public")
    profile = client.get(reverse("public-profile", args=["ALICE"]))
    assert profile.status_code == 200 and link.title in profile.content.decode()
    assert client.get(public_url(link, "Alice")).status_code == 200
    assert client.get(reverse("public-feed", args=["aLiCe"])).status_code == 200
