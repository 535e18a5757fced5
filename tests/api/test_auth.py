"""Who may call what: tokens, scopes, revocation, sessions, rate limits, owner scoping.

Every operation of the OpenAPI document is tried, so a route added later is covered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from snapshelf.accounts.models import ApiToken
from snapshelf.api.main import api as ninja_api
from snapshelf.io.models import ImportRun
from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import add_link
from snapshelf.services import accounts
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

#: A body each operation accepts (so only who asks decides the answer).
BODIES = {
    ("post", "/links"): {"url": "https://example.org/new"},
    ("patch", "/links/{link_id}"): {"title": "hacked", "visibility": "public"},
    ("post", "/links/bulk"): {"ids": ["{link_id}"], "action": "delete"},
    ("patch", "/tags/{tag_id}"): {"name": "hacked"},
    ("post", "/tags/merge"): {"ids": ["{tag_id}"], "into": "hacked"},
}
QUERIES = {("get", "/search"): {"q": "example"}, ("get", "/export"): {"format": "json"}}


def operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return [
        (method, path.removeprefix("/api/v1"))
        for path, ops in schema["paths"].items()
        for method in ops
    ]


def call(client: ApiClient, method: str, path: str, ids: dict[str, int]):
    body = BODIES.get((method, path))
    if body is not None:
        body = {
            k: [ids[v[0].strip("{}")]] if isinstance(v, list) and str(v[0]).startswith("{") else v
            for k, v in body.items()
        }
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
    kwargs = {"data": QUERIES[(method, path)]} if (method, path) in QUERIES else {}
    if method in ("post", "patch"):
        return getattr(client, method)(url, body or {})
    return getattr(client, method)(url, **kwargs)


def state() -> list:
    """Everything a request could change, to check that refused ones changed nothing."""
    return [
        list(Link.objects.order_by("pk").values()),
        list(Tag.objects.order_by("pk").values()),
        list(Snapshot.objects.order_by("pk").values("pk", "status", "version")),
        list(ApiToken.objects.order_by("pk").values("pk", "name", "scope", "revoked")),
    ]


@pytest.fixture
def objects(user, other_user):
    """Each user's link (with a done snapshot and a tag)."""
    out = {}
    for who in (user, other_user):
        link, snap = add_link(who, f"https://example.org/{who.username}", ["t"])
        Snapshot.objects.filter(pk=snap.pk).update(status="done")
        out[who.username] = {
            "link_id": link.pk,
            "snapshot_id": snap.pk,
            "tag_id": link.tags.get().pk,
            "run_id": ImportRun.objects.create(owner=who, filename="b.html").pk,
            "name": "original",
        }
    return out


def test_the_document_lists_every_area():
    paths = {path for _m, path in operations()}
    for wanted in ("/links", "/links/{link_id}", "/snapshots/{snapshot_id}", "/tags", "/search"):
        assert wanted in paths


def test_every_operation_unauthenticated_is_401_and_changes_nothing(anon, objects):
    before = state()
    for method, path in operations():
        r = call(anon, method, path, objects["alice"])
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r["WWW-Authenticate"].startswith("Bearer")
    assert state() == before


@pytest.mark.parametrize("header", ["Bearer snap_nope", "Bearer ", "Bearer x" * 50])
def test_an_unknown_token_is_401(objects, header):
    client = ApiClient()
    client.headers = {"Authorization": header}
    assert client.get("/links").status_code == 401


def test_another_users_ids_are_404_and_change_nothing(api, objects):
    theirs = objects["bob"]
    before = state()
    for method, path in operations():
        if "{" not in path and (method, path) not in BODIES or path == "/links":
            continue  # not about ids (saving a link makes one's own)
        r = call(api, method, path, theirs)
        if path == "/links/bulk":  # foreign ids are ignored: nothing touched
            assert r.status_code == 200 and r.json() == {"count": 0}
        else:
            assert r.status_code == 404, (method, path, r.status_code)
            assert r.json()["error"]["code"] == "not_found"
    assert state() == before


def test_a_read_token_reads_but_cannot_write(read_api, objects):
    before = state()
    for method, path in operations():
        r = call(read_api, method, path, objects["alice"])
        if method == "get":
            assert r.status_code in (200, 404), (path, r.status_code)  # 404: no screenshot
        else:
            assert r.status_code == 403, (method, path, r.status_code)
            assert r.json()["error"]["code"] == "insufficient_scope"
    after = state()
    # reading recorded the token's use, nothing else moved
    assert after[:3] == before[:3]


def test_a_revoked_token_is_401_and_is_not_touched(user, objects):
    made = accounts.create_token(user, "old", "write")
    client = ApiClient(made.secret)
    assert client.get("/me").json()["token"] == {"name": "old", "scope": "write"}
    accounts.revoke_token(user, made.token.pk)
    ApiToken.objects.filter(pk=made.token.pk).update(last_used=None)
    before = state()
    for method, path in operations():
        r = call(client, method, path, objects["alice"])
        assert r.status_code == 401, (method, path)
    assert state() == before
    assert ApiToken.objects.get(pk=made.token.pk).last_used is None


def test_last_used_is_written_at_most_once_a_minute(user, django_assert_num_queries):
    made = accounts.create_token(user, "t", "read")
    client = ApiClient(made.secret)
    client.get("/me")
    first = ApiToken.objects.get(pk=made.token.pk).last_used
    assert first is not None
    client.get("/me")
    assert ApiToken.objects.get(pk=made.token.pk).last_used == first
    ApiToken.objects.filter(pk=made.token.pk).update(last_used=first - timedelta(minutes=2))
    client.get("/me")
    assert ApiToken.objects.get(pk=made.token.pk).last_used > first - timedelta(seconds=1)


def test_tokens_are_stored_hashed_and_shown_once(user):
    made = accounts.create_token(user, "t", "write")
    row = ApiToken.objects.get(pk=made.token.pk)
    assert made.secret.startswith("snap_") and len(made.secret) > 40
    assert made.secret not in str(list(ApiToken.objects.values()))
    assert row.prefix == made.secret[:11] and len(row.key_hash) == 64


def test_a_deactivated_users_token_is_401(user, write_secret):
    user.is_active = False
    user.save()
    assert ApiClient(write_secret).get("/me").status_code == 401


def test_rate_limit_per_token(user, settings, write_secret, read_secret):
    settings.SNAPSHELF_API_REQUESTS_PER_MINUTE = 3
    client = ApiClient(write_secret)
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    r = client.get("/me")
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 61
    assert client.post("/links", {"url": "https://example.org/x"}).status_code == 429
    assert not Link.objects.exists()
    assert ApiClient(read_secret).get("/me").status_code == 200  # each token its own count


def test_the_session_works_and_needs_csrf_for_writes(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    client = ApiClient(client=browser)
    me = client.get("/me")
    assert me.status_code == 200 and me.json() == {
        "username": "alice",
        "nickname": user.profile.nickname,
        "token": None,
    }
    r = client.post("/links", {"url": "https://example.org/x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    assert not Link.objects.exists()
    browser.get("/settings/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    r = client.post("/links", {"url": "https://example.org/x"}, headers={"X-CSRFToken": token})
    assert r.status_code == 201


def test_a_bad_token_does_not_fall_back_to_the_session(user):
    browser = Client()
    browser.force_login(user)
    client = ApiClient("snap_revoked-or-wrong", client=browser)
    assert client.get("/links").status_code == 401


def test_expired_clock_does_not_matter_for_live_tokens(user, write_secret):
    ApiToken.objects.update(created=timezone.now() - timedelta(days=3650))
    assert ApiClient(write_secret).get("/me").status_code == 200


def test_unknown_paths_and_methods_answer_in_the_api_error_shape(api):
    missing = api.get("/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = api.delete("/links")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"] and "DELETE" in wrong_method.json()["error"]["message"]
    # the web UI's own 404 page is untouched
    assert "application/json" not in api.client.get("/no-such-page")["Content-Type"]
