"""Every route of the app, swept: no GET changes anything, and nobody reaches another
user's objects through any route, by GET or POST. New routes join the sweep by themselves."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLResolver

from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link, Resource, Snapshot, Tag
from snapshelf.library.records import add_link
from snapshelf.web.archive import make_token

pytestmark = pytest.mark.django_db

#: Routes whose job is to be reachable without owning anything: capability URLs (the
#: signed token is the permission) and public pages (they 404 on private links anyway,
#: which the public-page tests check).
NOT_OWNER_SCOPED = {"archive-root", "archive-resource", "public-profile", "public-link"}
NOT_OWNER_SCOPED |= {"public-feed", "healthz", "login", "logout", "signup", "set_language"}
#: The private feeds' secret URLs are capabilities too; the web app manifest is public.
NOT_OWNER_SCOPED |= {"private-feed", "webmanifest"}
#: An unlisted link's secret share address is a capability as well.
NOT_OWNER_SCOPED |= {"shared-link"}
#: Single sign-on's steps are the log-in's own (404 while single sign-on is off).
NOT_OWNER_SCOPED |= {"oidc-start", "oidc-callback"}
#: The REST API answers in JSON (401, 404) and has its own sweep: tests/api/test_auth.py.
SWEPT_ELSEWHERE = ("admin", "api/")


def routes() -> list[tuple[str, str, list[str]]]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if not str(p.pattern).startswith(SWEPT_ELSEWHERE):
                    yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.name, list(p.pattern.converters)

    return list(walk(get_resolver().url_patterns))


def state() -> list:
    """Everything a request could change, as comparable values."""
    return [
        list(Link.objects.order_by("pk").values()),
        list(Tag.objects.order_by("pk").values()),
        list(Link.tags.through.objects.order_by("pk").values()),
        list(Snapshot.objects.order_by("pk").values("pk", "status", "version", "title")),
        list(Profile.objects.order_by("pk").values()),
        list(get_user_model().objects.order_by("pk").values("pk", "username", "password")),
    ]


@pytest.fixture
def world(user, other_user):
    """Alice's private link with a done snapshot, a resource, a tag; Bob has his own."""
    Profile.objects.filter(user=user).update(nickname="alice")
    link, snap = add_link(user, "https://example.org/a", ["topic"])
    Snapshot.objects.filter(pk=snap.pk).update(status="done", title="Alice's page")
    res = Resource.objects.create(snapshot=snap, url="https://example.org/x.png", kind="image")
    add_link(other_user, "https://example.org/b", ["mine"])
    return {
        "link": link,
        "snap": snap,
        "tag": Tag.objects.get(owner=user),
        "res": res,
    }


def url_for(name: str, path: str, params: list[str], w: dict) -> str:
    values = {
        "pk": w["tag"].pk if path.startswith("tags/") else w["link"].pk,
        "snapshot_id": w["snap"].pk,
        "nickname": "alice",
        "token": make_token(w["snap"].pk),
        "key": "0" * 64,
        "feed_id": 1,
        "secret": "0" * 40,
    }
    return reverse(name, kwargs={p: values[p] for p in params})


def test_the_sweep_sees_every_area():
    names = {name for _path, name, _params in routes()}
    assert {"home", "link", "link-edit", "tags-merge", "settings", "public-link"} <= names


def test_no_get_changes_anything(client, user, world):
    client.force_login(user)
    before = state()
    for path, name, params in routes():
        response = client.get(url_for(name, path, params, world))
        assert response.status_code < 500, name
        assert state() == before, f"GET {name} changed data"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_user_reaches_nothing_of_alices(client, other_user, world, method):
    client.force_login(other_user)
    before = state()
    checked = 0
    for path, name, params in routes():
        if name in NOT_OWNER_SCOPED or not params:
            continue
        response = getattr(client, method)(url_for(name, path, params, world))
        # 405: the route does not take this method at all, before looking anything up.
        assert response.status_code in (404, 405), f"{method.upper()} {name}"
        assert b"Alice's page" not in response.content
        checked += 1
    assert checked >= 12
    assert state() == before


def test_anonymous_is_sent_to_log_in(client, world):
    for path, name, params in routes():
        if name in NOT_OWNER_SCOPED:
            continue
        response = client.get(url_for(name, path, params, world))
        if response.status_code == 405:
            continue
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


PAYLOAD = '"><img src=x onerror=alert(1)>'


def test_hostile_text_is_escaped_on_every_page(client, user, world):
    """Title, captured title, site, note and tag name all carry markup: no page runs it."""
    link, snap = world["link"], world["snap"]
    Link.objects.filter(pk=link.pk).update(title=PAYLOAD, note=PAYLOAD, visibility="public")
    Snapshot.objects.filter(pk=snap.pk).update(
        title=PAYLOAD, site_name=PAYLOAD, description=PAYLOAD, author=PAYLOAD
    )
    Tag.objects.filter(pk=world["tag"].pk).update(name=PAYLOAD)
    client.force_login(user)
    pages = [url_for(name, path, params, world) for path, name, params in routes()]
    pages += [reverse("home") + "?tab=archive", reverse("link", args=[link.pk]) + "?tab=info"]
    pages += [reverse("link", args=[link.pk]) + "?tab=archive", reverse("tag-suggest") + "?q=%22"]
    seen = 0
    for url in pages:
        body = client.get(url, follow=True).content.decode("utf-8", "replace")
        assert "<img src=x onerror" not in body, url
        seen += PAYLOAD.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;") in body
    assert seen >= 5  # the text is shown (escaped), not dropped
    client.logout()
    for name in ("public-profile", "public-link", "public-feed"):
        body = client.get(
            url_for(name, "", ["nickname", "pk"][: 1 + (name == "public-link")], world)
        )
        assert b"<img src=x onerror" not in body.content, name
