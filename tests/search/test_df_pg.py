"""Document frequencies stay exact through every kind of index change, on both backends.

SQLite reads FTS5's vocabulary table; PostgreSQL reads the trigger-kept term counts
(search_term_df plus the change log search_term_delta, migration 0005). The expected
counts are computed here from the documents the index should hold: a term counts once
per document holding it in any column (title, tags, site, note, body).
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from snapshelf.library.models import Link, Tag
from snapshelf.library.records import get_or_create_tags
from snapshelf.search import index
from snapshelf.search.backends import postgres
from snapshelf.search.documents import documents
from snapshelf.services.tags import merge_tags, rename_tag
from tests.search.test_versions import capture_text

pytestmark = pytest.mark.django_db

SEEN: set[str] = set()


def expected() -> Counter:
    counts: Counter = Counter()
    for doc in documents(Link.objects.order_by("pk").values_list("pk", flat=True)):
        counts.update(set(" ".join(doc.columns()).split()))
    SEEN.update(counts)
    return counts


def assert_exact() -> None:
    want = expected()
    got = index.df(SEEN | {"neverseenword"})
    assert {t: n for t, n in got.items() if n} == dict(want)
    assert got["neverseenword"] == 0


def delta_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {postgres.DELTA}")
        return cursor.fetchone()[0]


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("dora", "", "dora-password-123")


def test_df_follows_every_change(user):
    a = capture_text(user, "https://example.org/a", "alpha beta beta gamma", title="Alpha")
    b = capture_text(user, "https://example.org/b", "alpha delta", title="Delta page")
    capture_text(user, "https://other.example.net/c", "gamma epsilon alpha")
    assert_exact()
    assert index.df(["alpha", "beta", "gamma"]) == {"alpha": 3, "beta": 1, "gamma": 2}

    # a new capture replaces the body: beta and gamma leave link a, zeta arrives
    capture_text(user, "https://example.org/a", "alpha zeta")
    assert_exact()
    assert index.df(["beta", "zeta"]) == {"beta": 0, "zeta": 1}

    # tags added, renamed, merged; a note and a title edited
    link_a, link_b = Link.objects.get(pk=a.link_id), Link.objects.get(pk=b.link_id)
    link_a.tags.add(*get_or_create_tags(user, ["reading", "kappa"]))
    link_b.tags.add(*get_or_create_tags(user, ["kappa"]))
    assert_exact()
    assert index.df(["kappa"]) == {"kappa": 2}
    rename_tag(user, Tag.objects.get(owner=user, name="kappa"), "lambda")
    assert_exact()
    assert index.df(["kappa", "lambda"]) == {"kappa": 0, "lambda": 2}
    merge_tags(user, [Tag.objects.get(owner=user, name="reading")], "lambda")
    assert_exact()
    link_b.note = "omicron notes"
    link_b.title = "Sigma"
    link_b.save()
    assert_exact()
    assert index.df(["omicron", "sigma", "delta"]) == {"omicron": 1, "sigma": 1, "delta": 1}

    # deleting a tag, one link, then the rest in bulk
    Tag.objects.get(owner=user, name="lambda").delete()
    assert_exact()
    link_a.delete()
    assert_exact()
    assert index.df(["alpha", "zeta"]) == {"alpha": 2, "zeta": 0}
    Link.objects.filter(owner=user).delete()
    assert_exact()
    assert index.df(["alpha", "gamma"]) == {"alpha": 0, "gamma": 0}


def test_df_after_rebuild_and_compaction(user):
    for i in range(5):
        capture_text(user, f"https://example.org/{i}", f"common word{i} shared{i % 2}")
    assert_exact()
    if connection.vendor == "postgresql":
        assert delta_rows() > 0  # changes are logged, not written over shared rows
        assert index.compact_df() is True
        assert delta_rows() == 0
        assert_exact()
    assert index.rebuild() == 5
    assert_exact()
    assert index.df(["common", "shared0", "shared1"]) == {"common": 5, "shared0": 3, "shared1": 2}
    if connection.vendor == "postgresql":
        assert delta_rows() == 0  # rebuild counts the documents, it logs nothing
    index.rebuild()  # twice: counts are replaced, never added to
    assert index.df(["common"]) == {"common": 5}
    capture_text(user, "https://example.org/later", "common later")  # logged as before
    if connection.vendor == "postgresql":
        assert delta_rows() > 0
    assert_exact()
    assert index.df(["common", "later"]) == {"common": 6, "later": 1}
    index.clear()
    assert index.df(["common", "word3"]) == {"common": 0, "word3": 0}


def test_a_replaced_document_logs_only_changed_terms(user):
    """A tag edit rewrites the link's document; on PostgreSQL the log gets the tag's
    term only, not every term of the body (a tag on 5,000 links stays cheap)."""
    snap = capture_text(user, "https://example.org/long", " ".join(f"w{i}" for i in range(300)))
    index.compact_df()
    Link.objects.get(pk=snap.link_id).tags.add(*get_or_create_tags(user, ["zed"]))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT term, sum(delta) FROM {postgres.DELTA} GROUP BY term")
            assert dict(cursor.fetchall()) == {"zed": 1}
    assert_exact()
    assert index.df(["zed", "w7"]) == {"zed": 1, "w7": 1}


def test_term_counts_match_the_analyzed_text(user):
    """Related articles' term counts equal the engine's counts of the analyzed title and
    body (SQLite reads them back from the index), long texts included."""
    from snapshelf.related import engine
    from snapshelf.related.vectors import term_counts

    words = " ".join(f"x{i % 400} common" for i in range(9000))  # past 16,383 positions
    snaps = [
        capture_text(
            user, "https://example.org/1", "Alpha beta alpha. 北京 天气", title="Alpha Gamma"
        ),
        capture_text(user, "https://example.org/2", "common " * 300, title="common word"),
        capture_text(user, "https://example.org/3", words, title="Long"),
        capture_text(user, "https://example.org/4", "", title=""),
    ]
    ids = [s.link_id for s in snaps]
    Link.objects.get(pk=ids[0]).tags.add(*get_or_create_tags(user, ["alpha"]))
    want = {d.link_id: engine.term_counts(d.title, d.body) for d in documents(ids)}
    got = term_counts(ids)
    assert got == want
    assert got[ids[0]]["alpha"] == 2 + engine.TITLE_WEIGHT  # the tag is not counted
    assert got[ids[1]]["common"] == 300 + engine.TITLE_WEIGHT
