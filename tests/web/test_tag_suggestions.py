"""Tag suggestions on the link page: lazy block, one-click accept, fallback, scoping, CLI."""

# ruff: noqa: F811  (the user fixtures are imported)

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from snapshelf.cli import main as cli_main
from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Tag
from snapshelf.library.records import get_or_create_tags
from tests.library.conftest import other_user, user  # noqa: F401
from tests.search.test_related import BREAD, DOCKER, DOCKER2, SPACE, page
from tests.webserver import Reply

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def docker(user) -> Link:
    """A Docker page next to a tagged Docker neighbour (tags dev, ops) and unrelated ones."""
    page(user, "docker2", "Back up a Docker volume", DOCKER2, ("dev", "ops"))
    page(user, "bread", "Sourdough bread", BREAD, ("food",))
    page(user, "space", "Rocket launch", SPACE, ("science",))
    return page(user, "docker", "Docker volumes explained", DOCKER, ("mine",))


def suggestions_url(link: Link) -> str:
    return reverse("link-tag-suggestions", args=[link.pk])


def accept_url(link: Link) -> str:
    return reverse("link-tag-accept", args=[link.pk])


def offered(html: str) -> list[str]:
    return re.findall(r'name="tag" value="([^"]*)"', html)


def test_link_page_loads_the_suggestions_lazily(client_a, docker):
    html = client_a.get(reverse("link", args=[docker.pk])).content.decode()
    block = re.search(r'<div id="tag-suggestions"[^>]*>', html).group()
    assert f'hx-get="{suggestions_url(docker)}"' in block and 'hx-trigger="load"' in block
    assert offered(html) == []  # not computed while the page renders
    assert f'href="{suggestions_url(docker)}"' in html  # <noscript> way to reach them


def test_the_block_offers_existing_tags_not_on_the_link(client_a, docker, other_user):
    page(other_user, "theirs", "Docker volumes", DOCKER2, ("containers",))
    r = client_a.get(suggestions_url(docker), **HX)
    assert r.status_code == 200
    html = r.content.decode()
    names = offered(html)
    assert names[:2] == ["dev", "ops"]
    assert "mine" not in names and "containers" not in names and "science" not in names
    assert len(names) <= 5
    assert html.count("csrfmiddlewaretoken") == len(names)
    assert f'hx-post="{accept_url(docker)}"' in html and 'hx-target="#tag-suggestions"' in html
    assert "<html" not in html  # a fragment for htmx


def test_accept_with_htmx_adds_the_tag_and_refreshes_the_block(client_a, docker):
    r = client_a.post(accept_url(docker), {"tag": "dev"}, **HX)
    assert r.status_code == 200
    html = r.content.decode()
    assert set(docker.tags.values_list("name", flat=True)) == {"mine", "dev"}
    assert "dev" not in offered(html) and "ops" in offered(html)
    assert re.search(r'class="chip tag added">#dev<', html)
    tags_input = re.search(r'<input[^>]*name="tags"[^>]*>', html).group()
    assert 'hx-swap-oob="true"' in tags_input and 'id="id_tags"' in tags_input
    assert re.search(r'value="[^"]*\bdev\b', tags_input) and "mine" in tags_input
    # a second accept keeps the first one listed as added
    r = client_a.post(accept_url(docker), {"tag": "ops", "added": ["dev", "bogus"]}, **HX)
    html = r.content.decode()
    assert "#dev<" in html and "#ops<" in html and "bogus" not in html
    assert set(docker.tags.values_list("name", flat=True)) == {"mine", "dev", "ops"}


def test_accept_without_javascript_redirects_back(client_a, docker):
    snap = docker.latest_snapshot_id
    r = client_a.post(accept_url(docker), {"tag": "DEV", "v": str(snap), "tab": "info"})
    assert r.status_code == 302
    assert r["Location"] == reverse("link", args=[docker.pk]) + f"?v={snap}&tab=info"
    assert "dev" in docker.tags.values_list("name", flat=True)  # matched case-insensitively
    followed = client_a.get(r["Location"]).content.decode()
    assert "Added the tag “dev”." in followed


def test_the_fallback_page_without_javascript(client_a, docker):
    r = client_a.get(suggestions_url(docker))
    html = r.content.decode()
    assert r.status_code == 200 and "<html" in html
    assert offered(html)[:2] == ["dev", "ops"]
    assert f'action="{accept_url(docker)}"' in html and 'method="post"' in html


def test_unknown_or_foreign_tags_are_refused(client_a, docker, other_user):
    get_or_create_tags(other_user, ["secret"])
    before = set(docker.tags.values_list("name", flat=True))
    for name in ("secret", "nosuch", ""):
        r = client_a.post(accept_url(docker), {"tag": name}, **HX)
        assert r.status_code == 400 and "No such tag" in r.content.decode()
        r = client_a.post(accept_url(docker), {"tag": name})
        assert r.status_code == 302
    assert set(docker.tags.values_list("name", flat=True)) == before
    assert not Tag.objects.filter(owner=docker.owner, name__in=["secret", "nosuch"]).exists()


def test_owner_scoped_login_required_and_post_only(client, docker, other_user):
    for method, url in (("get", suggestions_url(docker)), ("post", accept_url(docker))):
        r = getattr(client, method)(url, {"tag": "dev"})
        assert r.status_code == 302 and "/login" in r["Location"]
    client.force_login(other_user)
    assert client.get(suggestions_url(docker), **HX).status_code == 404
    assert client.post(accept_url(docker), {"tag": "dev"}, **HX).status_code == 404
    client.force_login(docker.owner)
    assert client.get(accept_url(docker)).status_code == 405
    assert set(docker.tags.values_list("name", flat=True)) == {"mine"}


def test_accept_needs_the_csrf_token(docker):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(docker.owner)
    assert strict.post(accept_url(docker), {"tag": "dev"}, **HX).status_code == 403
    assert "dev" not in docker.tags.values_list("name", flat=True)


def test_suggestions_appear_once_a_link_saved_from_the_add_box_is_captured(
    client_a, user, fixture_server
):
    page(user, "docker2", "Back up a Docker volume", DOCKER2, ("dev", "ops"))
    page(user, "space", "Rocket launch", SPACE, ("science",))
    html = f"<html><head><title>Docker volumes</title></head><body><article><p>{DOCKER}</p>"
    html += f"<p>{DOCKER}</p></article></body></html>"
    fixture_server.route("/docker.html", lambda req: Reply.html(html))
    client_a.post(reverse("link-add"), {"url": fixture_server.url("/docker.html")}, **HX)
    link = Link.objects.get(owner=user, url=fixture_server.url("/docker.html"))
    status_url = reverse("link-status", args=[link.pk])
    r = client_a.get(status_url)
    assert "HX-Refresh" not in r  # still queued: the badge keeps polling
    assert run_capture(link.latest_snapshot_id).snapshot.status == "done"
    assert client_a.get(status_url)["HX-Refresh"] == "true"  # the page reloads...
    reloaded = client_a.get(reverse("link", args=[link.pk])).content.decode()
    assert 'hx-trigger="load"' in reloaded  # ...and asks for the suggestions again
    names = offered(client_a.get(suggestions_url(link), **HX).content.decode())
    assert names[:2] == ["dev", "ops"] and "science" not in names


def test_cli_suggest(docker, capsys):
    assert cli_main(["suggest", str(docker.pk), "--json"]) == 0
    names = json.loads(capsys.readouterr().out)
    assert names[:2] == ["dev", "ops"] and "mine" not in names
    assert cli_main(["suggest", str(docker.pk), "--limit", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ["dev"]
    assert cli_main(["suggest", "999999", "--json"]) == 1
    assert "no link 999999" in capsys.readouterr().err
