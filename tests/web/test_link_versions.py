"""The link page's versions: the list with what changed and the check record, forced
re-snapshots, a capture that found no change, watching, and the library highlight."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link, new_snapshot
from tests.library.test_versions import PARAS, html
from tests.webserver import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def page(fixture_server):
    state = {"title": "Versioned page", "paragraphs": list(PARAS)}
    fixture_server.route("/v", lambda req: Reply.html(html(state["title"], state["paragraphs"])))
    state["url"] = fixture_server.url("/v")
    return state


@pytest.fixture
def captured(page, user):
    link, snap = add_link(user, page["url"])
    run_capture(snap.pk)
    return Link.objects.get(pk=link.pk)


def recapture(link: Link, force: bool = False) -> Snapshot:
    return run_capture(new_snapshot(Link.objects.get(pk=link.pk), force=force).pk).snapshot


def get(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, r.status_code
    return r.content.decode()


def versions_section(html_text: str) -> str:
    match = re.search(r'<section class="versions-list".*?</section>', html_text, re.S)
    assert match, "no versions section"
    return match.group(0)


def test_version_list_shows_summary_diff_link_and_checks(client_a, captured, page):
    first = captured.latest_snapshot
    page["paragraphs"][0] = "Docker volumes keep data outside the container, even across hosts."
    second = recapture(captured)
    recapture(captured)  # same text again: recorded on v2
    section = versions_section(get(client_a, reverse("link", args=[captured.pk])))
    rows = re.findall(r'<tr class="version-row".*?</tr>', section, re.S)
    assert len(rows) == 2
    assert "v2" in rows[0] and "v1" in rows[1]
    assert "1 paragraph changed" in rows[0]
    diff_url = reverse("link-diff", args=[captured.pk]) + f"?a={first.pk}&amp;b={second.pk}"
    assert diff_url in rows[0] and "diff with v1" in rows[0]
    assert "checked 1 more time" in rows[0] and "unchanged since v2" in rows[0]
    assert "First version" in rows[1] and "checked" not in rows[1]
    assert "Static" in rows[0]  # the mode
    # the picker still works alongside
    assert f'<option value="{second.pk}" selected>v2' in get(
        client_a, reverse("link", args=[captured.pk])
    )
    # the diff link opens the two versions
    diff = get(client_a, diff_url.replace("&amp;", "&"))
    assert "1 paragraph changed" in diff and "<ins>hosts</ins>" in diff


def test_diff_page_compares_any_two_versions(client_a, captured, page):
    first = captured.latest_snapshot
    page["paragraphs"].append("A fourth paragraph arrives in version two of the page.")
    recapture(captured)
    page["paragraphs"].append("A fifth paragraph arrives in version three of the page.")
    third = recapture(captured)
    url = reverse("link-diff", args=[captured.pk])
    assert "2 paragraphs added" in get(client_a, url + f"?a={first.pk}&b={third.pk}")
    assert "2 paragraphs removed" in get(client_a, url + f"?a={third.pk}&b={first.pk}")


def test_resnapshot_form_offers_force_and_passes_it(client_a, captured):
    html_text = get(client_a, reverse("link", args=[captured.pk]))
    form = re.search(r'<form[^>]*class="resnapshot-form".*?</form>', html_text, re.S).group(0)
    assert 'name="force" value="1"' in form
    assert "Keep a new version even if nothing changed" in form
    url = reverse("link-resnapshot", args=[captured.pk])
    client_a.post(url)
    assert Snapshot.objects.get(link=captured, version=2).force is False
    Snapshot.objects.filter(link=captured, version=2).delete()
    client_a.post(url, {"force": "1"})
    assert Snapshot.objects.get(link=captured, version=2).force is True


def test_forced_resnapshot_of_same_text_keeps_a_version(client_a, captured):
    client_a.post(reverse("link-resnapshot", args=[captured.pk]), {"force": "1"})
    captured.refresh_from_db()
    forced = run_capture(captured.latest_snapshot_id).snapshot
    assert forced.version == 2 and forced.status == "done"
    section = versions_section(get(client_a, reverse("link", args=[captured.pk])))
    assert "forced" in section and "No changes in the text." in section


def test_polling_a_capture_that_found_no_change(client_a, captured):
    first = captured.latest_snapshot
    client_a.post(reverse("link-resnapshot", args=[captured.pk]))
    captured.refresh_from_db()
    queued = captured.latest_snapshot
    assert queued.version == 2
    # while it is queued, the page polls it
    assert f"?v={queued.pk}" in get(client_a, reverse("link", args=[captured.pk]))
    assert run_capture(queued.pk).unchanged is True
    r = client_a.get(reverse("link-status", args=[captured.pk]) + f"?v={queued.pk}")
    assert r.status_code == 200 and r["HX-Refresh"] == "true"
    assert "No change since v1" in r.content.decode()
    # the reloaded page says so once, and lists only v1, checked once
    html_text = get(client_a, reverse("link", args=[captured.pk]))
    assert "No change since v1: no new version was kept." in html_text
    assert f'<option value="{first.pk}" selected>v1' in html_text
    assert "checked 1 more time" in versions_section(html_text)
    # an address with the vanished id opens the kept version; an unknown id is still 404
    assert "Versioned page" in get(
        client_a, reverse("link", args=[captured.pk]) + f"?v={queued.pk}"
    )
    get(client_a, reverse("link-status", args=[captured.pk]) + "?v=987654", status=404)


def test_watch_form_sets_the_schedule(client_a, captured):
    url = reverse("link-watch", args=[captured.pk])
    html_text = get(client_a, reverse("link", args=[captured.pk]))
    assert f'action="{url}"' in html_text and "Watch: off" in html_text
    r = client_a.post(url, {"every": "daily"})
    assert r.status_code == 302
    captured.refresh_from_db()
    assert captured.watch_hours == 24 and captured.next_check is not None
    client_a.post(url, {"every": "custom", "hours": "6"})
    captured.refresh_from_db()
    assert captured.watch_hours == 6
    html_text = get(client_a, reverse("link", args=[captured.pk]))
    assert "every 6 hours" in html_text
    # custom without hours: a clear error, the schedule kept
    r = client_a.post(url, {"every": "custom", "hours": ""})
    assert r.status_code == 400 and "Give the number of hours" in r.content.decode()
    r = client_a.post(url, {"every": "sometimes"})
    assert r.status_code == 400
    captured.refresh_from_db()
    assert captured.watch_hours == 6
    client_a.post(url, {"every": "off"})
    captured.refresh_from_db()
    assert captured.watch_hours == 0 and captured.next_check is None


def test_another_users_link_is_never_touched(client, captured, other_user):
    client.force_login(other_user)
    before = list(Snapshot.objects.values_list("pk", "version", "force"))
    assert (
        client.post(reverse("link-watch", args=[captured.pk]), {"every": "daily"}).status_code
        == 404
    )
    r = client.post(reverse("link-resnapshot", args=[captured.pk]), {"force": "1"})
    assert r.status_code == 404
    queued = captured.latest_snapshot_id
    status = reverse("link-status", args=[captured.pk]) + f"?v={queued}"
    assert client.get(status).status_code == 404
    captured.refresh_from_db()
    assert captured.watch_hours == 0 and captured.next_check is None
    assert list(Snapshot.objects.values_list("pk", "version", "force")) == before


def test_changed_links_are_highlighted_until_opened(client_a, captured, page, user):
    from snapshelf.library import watch

    other, _snap = add_link(user, "https://example.org/quiet")
    watch.set_watch(captured, 24)
    page["paragraphs"][2] = "Named volumes are fine, but bind mounts suit configuration better."
    recapture(captured)
    home = get(client_a, reverse("home"))
    row = re.search(rf'<li class="link-row[^"]*" id="link-{captured.pk}".*?</li>', home, re.S)
    assert "is-changed" in row.group(0) and 'class="chip changed"' in row.group(0)
    quiet = re.search(rf'<li class="link-row[^"]*" id="link-{other.pk}".*?</li>', home, re.S)
    assert "is-changed" not in quiet.group(0)
    # the link page shows the change and, once shown, posts that it was seen (a GET
    # writes nothing); then the library stops highlighting
    page_html = get(client_a, reverse("link", args=[captured.pk]))
    assert "A watched check found a change" in page_html
    seen = reverse("link-seen", args=[captured.pk])
    assert f'hx-post="{seen}" hx-trigger="load"' in page_html
    assert "is-changed" in get(client_a, reverse("home"))
    assert client_a.get(seen).status_code == 405
    assert client_a.post(seen).status_code == 204
    assert f'id="link-{captured.pk}"' in get(client_a, reverse("home"))
    assert "is-changed" not in get(client_a, reverse("home"))
    assert "A watched check found a change" not in get(
        client_a, reverse("link", args=[captured.pk])
    )
