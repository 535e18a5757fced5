"""Settings: API tokens made (secret shown once), listed and revoked; private Atom feeds
of unread links, a tag and a search at secret URLs that rotation kills."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from lxml import etree

from snapshelf.accounts.models import ApiToken, Feed
from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from snapshelf.services import accounts
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


def post_settings(client, **data):
    return client.post(reverse("settings"), data)


def test_a_token_is_shown_once_and_works(browser, user):
    r = post_settings(browser, form="token-create", name="my script", scope="read")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    secret = re.search(r'value="(snap_[^"]+)"', r.content.decode()).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "my script" and token.scope == "read" and secret not in token.key_hash
    page = browser.get(reverse("settings")).content.decode()
    assert "my script" in page and secret not in page and token.prefix in page
    assert ApiClient(secret).get("/me").json()["token"]["scope"] == "read"


def test_token_form_errors_are_shown_and_save_nothing(browser, user):
    r = post_settings(browser, form="token-create", name="  ", scope="read")
    assert r.status_code == 400 and "1 to 100 characters" in r.content.decode()
    r = post_settings(browser, form="token-create", name="x", scope="admin")
    assert r.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_from_settings_stops_the_token(browser, user):
    made = accounts.create_token(user, "old", "write")
    r = post_settings(browser, form="token-revoke", id=str(made.token.pk))
    assert r.status_code == 302
    assert ApiToken.objects.get(pk=made.token.pk).revoked is not None
    assert ApiClient(made.secret).get("/links").status_code == 401
    assert "revoked" in browser.get(reverse("settings")).content.decode()


def test_someone_elses_token_or_feed_is_404(browser, other_user):
    theirs = accounts.create_token(other_user, "theirs", "write")
    feed = accounts.create_feed(other_user, "unread")
    for form, pk in [
        ("token-revoke", theirs.token.pk),
        ("feed-rotate", feed.pk),
        ("feed-delete", feed.pk),
    ]:
        assert post_settings(browser, form=form, id=str(pk)).status_code == 404
    assert post_settings(browser, form="feed-delete", id="x").status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked is None
    assert Feed.objects.get(pk=feed.pk).nonce == feed.nonce


def feed_url(feed: Feed) -> str:
    return reverse("private-feed", args=[feed.pk, accounts.feed_secret(feed)])


def parse_atom(content: bytes) -> etree._Element:
    """The feed, checked for what RFC 4287 requires of a feed and of each entry."""
    root = etree.fromstring(content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None, name
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        assert re.match(r"^[a-z][a-z0-9+.-]*:", entry.findtext(f"{ATOM}id"))  # an IRI
        assert entry.find(f"{ATOM}link").get("href")
        assert root.find(f"{ATOM}author") is not None or entry.find(f"{ATOM}author") is not None
    return root


def titles(root) -> list[str]:
    return [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]


def test_unread_tag_and_search_feeds_are_valid_atom(client, user, other_user):
    read, _ = add_link(user, "https://example.org/read", ["dev"])
    Link.objects.filter(pk=read.pk).update(unread=False, title="Read one")
    unread, _ = add_link(user, "https://example.org/unread", ["dev"])
    Link.objects.filter(pk=unread.pk).update(title="Unread <b>one</b>")
    other, _ = add_link(other_user, "https://example.org/theirs", ["dev"])
    Link.objects.filter(pk=other.pk).update(title="Theirs")
    for link in Link.objects.all():
        link.save()  # reindex titles
    feeds = {
        kind: accounts.create_feed(user, kind, value)
        for kind, value in [("unread", ""), ("tag", "dev"), ("search", "read")]
    }
    r = client.get(feed_url(feeds["unread"]))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/atom+xml")
    assert titles(parse_atom(r.content)) == ["Unread <b>one</b>"]  # text, escaped
    assert sorted(titles(parse_atom(client.get(feed_url(feeds["tag"])).content))) == [
        "Read one",
        "Unread <b>one</b>",
    ]
    assert titles(parse_atom(client.get(feed_url(feeds["search"])).content)) == ["Read one"]


def test_rotating_stops_the_old_url(client, user):
    feed = accounts.create_feed(user, "unread")
    old = feed_url(feed)
    assert client.get(old).status_code == 200
    rotated = accounts.rotate_feed(user, feed.pk)
    assert client.get(old).status_code == 404
    assert client.get(feed_url(rotated)).status_code == 200
    assert client.get(reverse("private-feed", args=[feed.pk, "guess"])).status_code == 404
    accounts.delete_feed(user, feed.pk)
    assert client.get(feed_url(rotated)).status_code == 404


def test_feed_forms_in_settings(browser, user):
    r = post_settings(browser, form="feed-create", kind="tag", value="")
    assert r.status_code == 400 and not Feed.objects.exists()
    r = post_settings(browser, form="feed-create", kind="tag", value="dev")
    assert r.status_code == 302
    feed = Feed.objects.get(user=user)
    page = browser.get(reverse("settings")).content.decode()
    assert feed_url(feed) in page
    post_settings(browser, form="feed-rotate", id=str(feed.pk))
    assert feed_url(feed) not in browser.get(reverse("settings")).content.decode()
