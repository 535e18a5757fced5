"""Tag suggestions: the user's own tags, from related links and from the link's terms."""

# ruff: noqa: F811  (the user fixtures are imported)

from __future__ import annotations

import pytest
from django.core.cache import cache

from snapshelf.library.records import get_or_create_tags
from snapshelf.related.suggest import suggest_tags
from tests.library.conftest import other_user, user  # noqa: F401
from tests.search.test_related import BREAD, BREAD2, DOCKER, DOCKER2, SPACE, page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_tags_of_related_links_are_suggested(user):
    page(user, "docker2", "Back up a Docker volume", DOCKER2, ("dev", "ops"))
    page(user, "bread", "Sourdough bread", BREAD, ("food",))
    page(user, "space", "Rocket launch", SPACE, ("science",))
    me = page(user, "docker", "Docker volumes explained", DOCKER)
    suggested = suggest_tags(me)
    assert suggested[:2] == ["dev", "ops"]
    assert "science" not in suggested


def test_tag_named_by_a_distinctive_term(user):
    get_or_create_tags(user, ["sourdough", "knitting"])  # used by no link yet
    page(user, "space", "Rocket launch", SPACE)
    me = page(user, "bread2", "Rye sourdough loaf", BREAD2)
    suggested = suggest_tags(me)
    assert "sourdough" in suggested and "knitting" not in suggested


def test_never_a_tag_the_link_has_nor_another_users_tag(user, other_user):
    page(other_user, "theirs", "Docker volumes", DOCKER2, ("containers",))
    page(user, "docker2", "Back up a Docker volume", DOCKER2 + " Again.", ("dev", "Docker"))
    me = page(user, "docker", "Docker volumes explained", DOCKER, ("dev",))
    suggested = suggest_tags(me)
    assert "dev" not in suggested and "containers" not in suggested
    assert suggested == ["Docker"]


def test_limit_and_empty(user):
    me = page(user, "alone", "Docker volumes explained", DOCKER)
    assert suggest_tags(me) == []
    assert suggest_tags(me, limit=0) == []
