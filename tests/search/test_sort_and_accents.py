"""Search results in the order asked for, and accents that people do not type (issue 21.6);
on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from snapshelf.library.models import Link
from snapshelf.search.index import search
from snapshelf.services.listing import Filters, search_page
from tests.library.conftest import user  # noqa: F401
from tests.search.test_related import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(user):  # noqa: F811
    made = {
        "strong": page(user, "strong", "Māori language week", "Te reo Māori. " * 30),
        "weak": page(user, "weak", "Travel notes", "We met a Maori guide once. " + "x " * 200),
        "cafe": page(user, "cafe", "Le café du coin", "Un café crème au comptoir."),
        "none": page(user, "none", "Unrelated", "Nothing to see here."),
    }
    for n, name in enumerate(["weak", "strong", "cafe", "none"]):  # weak is the oldest
        Link.objects.filter(pk=made[name].pk).update(created=datetime(2020 + n, 1, 1, tzinfo=UTC))
    return made


def ids(user, q: str, **query) -> list[int]:  # noqa: F811
    f = Filters.from_query(QueryDict(urlencode({"q": q, **query})))
    rows, _more, _hints = search_page(user, f)
    return [link.pk for link in rows]


def test_accents_are_folded_both_ways(user, pages):  # noqa: F811
    found = {hit.link_id for hit in search(user, "maori").hits}
    assert found == {pages["strong"].pk, pages["weak"].pk}
    assert {hit.link_id for hit in search(user, "Māori").hits} == found
    assert {hit.link_id for hit in search(user, "cafe").hits} == {pages["cafe"].pk}
    assert {hit.link_id for hit in search(user, "guide -māori").hits} == set()
    assert {hit.link_id for hit in search(user, "crème -maori").hits} == {pages["cafe"].pk}


def test_search_sorts_by_relevance_unless_asked_otherwise(user, pages):  # noqa: F811
    strong, weak = pages["strong"].pk, pages["weak"].pk
    assert Filters.from_query(QueryDict("q=maori")).sort == "relevance"
    assert Filters.from_query(QueryDict("")).sort == "newest"
    assert Filters.from_query(QueryDict("sort=relevance")).sort == "newest"  # not a search
    assert ids(user, "maori") == [strong, weak]
    assert ids(user, "maori", sort="oldest") == [weak, strong]
    assert ids(user, "maori", sort="newest") == [strong, weak]
    assert ids(user, "maori", sort="title") == [strong, weak]  # "māori…" < "travel…"
    assert ids(user, "maori -week", sort="newest") == [weak]


def test_the_library_page_offers_relevance_only_while_searching(client, user, pages):  # noqa: F811
    client.force_login(user)
    searching = client.get("/?q=maori").content.decode()
    assert '<option value="relevance" selected>' in searching.replace("  ", " ")
    assert 'value="relevance"' not in client.get("/").content.decode()
    older_first = client.get("/?q=maori&sort=oldest").content.decode()
    assert older_first.index("Travel notes") < older_first.index("Māori language week")
