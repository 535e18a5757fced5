"""Links through the API: save, list (filters, search, cursors), read, edit, delete, bulk;
errors with stable codes; ETags."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import add_link

pytestmark = pytest.mark.django_db


def queued_captures() -> list[int]:
    return [t.args[0] for t in HUEY.pending() if t.name.endswith("capture_snapshot")]


def test_create_saves_with_tags_note_visibility_and_mode_and_queues_after_commit(
    api, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(
            "/links",
            {
                "url": "https://example.org/a?utm_source=x",
                "tags": ["dev", "Dev", "read later"],
                "note": "see *this*",
                "visibility": "unlisted",
                "capture_mode": "static",
                "title": "  My   title ",
            },
        )
    assert r.status_code == 201, r.content
    body = r.json()
    link = Link.objects.get(pk=body["link"]["id"], owner=user)
    assert link.url_normalized == "https://example.org/a"
    assert sorted(link.tags.values_list("name", flat=True)) == ["dev", "read later"]
    assert (link.note, link.visibility, link.capture_mode) == ("see *this*", "unlisted", "static")
    assert body["link"]["title"] == "My title" and body["link"]["tags"] == ["dev", "read later"]
    assert body["snapshot"]["status"] == "queued"
    assert queued_captures() == [body["snapshot"]["id"]]


def test_saving_the_same_url_again_adds_a_version(api):
    first = api.post("/links", {"url": "https://example.org/a"}).json()
    joined = api.post("/links", {"url": "https://example.org/a#frag"}).json()
    # while the first capture is queued, saving again joins it (the door's rule)
    assert joined["link"]["id"] == first["link"]["id"]
    assert joined["snapshot"]["id"] == first["snapshot"]["id"]
    Snapshot.objects.filter(pk=first["snapshot"]["id"]).update(status="done")
    again = api.post("/links", {"url": "https://example.org/a"}).json()
    assert again["link"]["id"] == first["link"]["id"] and again["snapshot"]["version"] == 2


def test_bad_input_gets_a_clear_error_and_saves_nothing(api):
    r = api.post("/links", {"url": "ftp://example.org/file"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_url"
    r = api.post("/links", {"url": "https://example.org/", "visibility": "everyone"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and error["details"][0]["loc"][-1] == "visibility"
    r = api.post("/links", {"url": "https://example.org/\x00"})
    assert r.status_code == 422
    r = api.client.post("/api/v1/links", "not json", "application/json", headers=api.headers)
    assert r.status_code in (400, 422) and "error" in r.json()
    assert not Link.objects.exists() and queued_captures() == []


def test_quota_gives_429_with_retry_after(api, settings):
    settings.SNAPSHELF_USER_CAPTURES_PER_HOUR = 1
    assert api.post("/links", {"url": "https://example.org/1"}).status_code == 201
    r = api.post("/links", {"url": "https://example.org/2"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "quota_exceeded" and int(r["Retry-After"]) > 0
    assert not Link.objects.filter(url="https://example.org/2").exists()


def _links(user, n: int, **extra) -> list[Link]:
    links = []
    for i in range(n):
        link, _snap = add_link(user, f"https://example.org/{i}", extra.get("tags", ()))
        links.append(link)
    return links


def test_cursor_pages_walk_every_link_once_in_order(api, user):
    links = _links(user, 7)
    seen, cursor, pages = [], None, 0
    while True:
        r = api.get("/links", data={"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200
        body = r.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
        add_link(user, f"https://example.org/new-{pages}")  # added meanwhile: not repeated
    assert seen == [link.pk for link in reversed(links)] and pages == 3


def test_title_sort_and_oldest_pages(api, user):
    for i, title in enumerate(["b", "a", "c", "d"]):
        link, _ = add_link(user, f"https://example.org/{i}")
        link.title = title
        link.save()
    first = api.get("/links", data={"sort": "title", "limit": 2}).json()
    second = api.get(
        "/links", data={"sort": "title", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [i["title"] for i in first["items"] + second["items"]] == ["a", "b", "c", "d"]
    oldest = api.get("/links", data={"sort": "oldest", "limit": 4}).json()
    assert [i["title"] for i in oldest["items"]] == ["b", "a", "c", "d"]
    # a cursor of one sort order is refused for another
    r = api.get("/links", data={"sort": "newest", "cursor": first["next_cursor"]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"
    r = api.get("/links", data={"cursor": "forged"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"


def test_filters_tags_flags_url_and_search(api, user):
    a, b, c = _links(user, 3)
    a.tags.add(Tag.objects.create(owner=user, name="dev"))
    Link.objects.filter(pk=b.pk).update(favorite=True)
    Link.objects.filter(pk=c.pk).update(archived=True)
    ids = lambda r: [i["id"] for i in r.json()["items"]]  # noqa: E731
    assert ids(api.get("/links")) == [b.pk, a.pk]  # archived links out of the way
    assert ids(api.get("/links", data={"tag": "DEV"})) == [a.pk]
    assert ids(api.get("/links", data={"is": "favorite"})) == [b.pk]
    assert ids(api.get("/links", data={"is": "archived"})) == [c.pk]
    assert ids(api.get("/links", data={"url": "https://EXAMPLE.org/1#x"})) == [b.pk]
    assert ids(api.get("/links", data={"url": "https://example.org/nope"})) == []
    assert ids(api.get("/links", data={"q": "tag:dev"})) == [a.pk]
    assert ids(api.get("/links", data={"q": "example.org", "is": "favorite"})) == [b.pk]


def test_get_edit_delete(api, user):
    link, _ = add_link(user, "https://example.org/x", ["old"])
    r = api.get(f"/links/{link.pk}")
    assert r.status_code == 200 and r.json()["tags"] == ["old"]
    r = api.patch(f"/links/{link.pk}", {"tags": ["new", "two"], "favorite": True, "note": "n"})
    assert r.status_code == 200, r.content
    assert r.json()["tags"] == ["new", "two"] and r.json()["favorite"] is True
    link.refresh_from_db()
    assert link.note == "n" and link.unread is True  # fields not sent are unchanged
    assert api.patch(f"/links/{link.pk}", {"visibility": "nope"}).status_code == 422
    assert api.delete(f"/links/{link.pk}").status_code == 204
    assert not Link.objects.filter(pk=link.pk).exists()
    r = api.get(f"/links/{link.pk}")
    assert r.status_code == 404 and r.json() == {
        "error": {"code": "not_found", "message": "Not found."}
    }


def test_bulk_acts_only_on_own_links(api, user, other_user):
    mine = _links(user, 2)
    theirs, _ = add_link(other_user, "https://example.org/theirs")
    r = api.post(
        "/links/bulk",
        {"ids": [mine[0].pk, mine[1].pk, theirs.pk], "action": "add_tags", "tags": ["x"]},
    )
    assert r.status_code == 200 and r.json() == {"count": 2}
    assert not theirs.tags.exists()
    r = api.post("/links/bulk", {"ids": [theirs.pk], "action": "delete"})
    assert r.json() == {"count": 0} and Link.objects.filter(pk=theirs.pk).exists()
    assert api.post("/links/bulk", {"ids": [1], "action": "explode"}).status_code == 422


def test_resnapshot_queues_a_version(api, user):
    link, snap = add_link(user, "https://example.org/x")
    Snapshot.objects.filter(pk=snap.pk).update(status="done")
    r = api.post(f"/links/{link.pk}/snapshots")
    assert r.status_code == 202 and r.json()["version"] == 2
    versions = api.get(f"/links/{link.pk}/snapshots").json()
    assert [v["version"] for v in versions] == [2, 1]


def test_etag_and_if_none_match(api, user):
    link, _ = add_link(user, "https://example.org/x")
    r = api.get(f"/links/{link.pk}")
    etag = r["ETag"]
    assert etag and "private" in r["Cache-Control"]
    again = api.get(f"/links/{link.pk}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    api.patch(f"/links/{link.pk}", {"title": "changed"})
    fresh = api.get(f"/links/{link.pk}", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh["ETag"] != etag


def test_related_and_tag_suggestions_answer_for_own_links(api, user):
    a, b = _links(user, 2)
    shared = Tag.objects.create(owner=user, name="docker")
    a.tags.add(shared)
    b.tags.add(shared)
    related = api.get(f"/links/{a.pk}/related").json()
    assert [r["link_id"] for r in related] == [b.pk] and "docker" in related[0]["reason"]
    r = api.get(f"/links/{a.pk}/tag-suggestions")
    assert r.status_code == 200 and isinstance(r.json()["tags"], list)
