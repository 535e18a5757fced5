"""The index's own parts: the PostgreSQL literal, the SQLite tokenizer, capture upkeep."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link
from snapshelf.library.records import add_link, new_snapshot
from snapshelf.search import index
from snapshelf.search.backends import get_backend, postgres
from snapshelf.search.documents import Document, documents
from snapshelf.text.analyzer import analyze
from tests.library.conftest import fresh_blobs  # noqa: F401
from tests.webserver import Reply


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


def _doc(**cols) -> Document:
    base = dict(link_id=1, owner_id=1, title="", tags="", site="", note="", body="")
    return Document(**{**base, **cols})


def test_tsvector_literal_weights_positions_and_gaps():
    lit = postgres.tsvector_literal(_doc(title="a b", tags="t", body="a"))
    # title at 1-2 (A), gap, tags at 4 (B), gaps for empty site and note, body at 8 (D)
    assert lit == "'a':1A,8D 'b':2A 't':4B"


def test_tsvector_literal_escapes_quotes_and_backslashes():
    assert postgres.tsvector_literal(_doc(title="it's a\\b")) == "'it''s':1A 'a\\\\b':2A"


def test_tsvector_literal_caps_positions():
    lit = postgres.tsvector_literal(_doc(body="w " * 20_000 + "last"))
    assert "'last':16383D" in lit
    assert lit.count(",") == postgres.MAX_POSITIONS - 1  # 'w' keeps 256 positions


@pytest.mark.django_db
def test_postgres_literal_is_accepted_verbatim():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT %s::tsvector::text", [postgres.tsvector_literal(_doc(title="快照 照平 it's"))]
        )
        assert cur.fetchone()[0] == "'it''s':3A '快照':1A '照平':2A"


@pytest.mark.django_db
def test_sqlite_tokenizer_keeps_cjk_tokens_whole():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO search_fts(rowid, title, tags, site, note, body) "
            "VALUES (999999, '快照 照平 平台 台 straße', '', '', '', '')"
        )
        cur.execute("SELECT term FROM search_fts_vocab ORDER BY term")
        terms = [row[0] for row in cur.fetchall()]
    assert terms == sorted(["台", "平台", "快照", "照平", "straße"])


def test_documents_hold_analyzed_columns(user):
    link, _ = add_link(user, "https://Example.COM/Path?x=1", ["Docker"])
    link.note = "Windows容器"
    link.save()
    (doc,) = documents([link.pk])
    assert doc.tags == "docker"
    assert doc.site == "example com https example com path x 1"
    assert doc.note == "windows 容器 器"
    assert doc.title == "" and doc.body == ""


def _page(title: str, body: str) -> Reply:
    return Reply.html(
        f"<html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{''.join(f'<p>{body}</p>' for _ in range(5))}"
        "</article></body></html>"
    )


@pytest.mark.django_db
def test_capture_makes_text_searchable_and_recapture_replaces_it(fixture_server, user):
    state = {"body": "The aardvark digs burrows at night in the African savanna."}
    fixture_server.route("/page", lambda req: _page("Night diggers", state["body"]))
    link, snap = add_link(user, fixture_server.url("/page"))
    assert index.search(user, "aardvark").hits == []  # queued: nothing to find yet
    run_capture(snap.pk)
    (hit,) = index.search(user, "aardvark").hits
    assert hit.link_id == link.pk and hit.snapshot_id == snap.pk
    assert hit.title == "Night diggers"
    state["body"] = "The pangolin rolls into a ball when it is threatened by lions."
    again = new_snapshot(Link.objects.get(pk=link.pk))
    # while the new capture runs, the previous text stays searchable
    assert [h.link_id for h in index.search(user, "aardvark").hits] == [link.pk]
    run_capture(again.pk)
    assert index.search(user, "aardvark").hits == []
    assert [h.snapshot_id for h in index.search(user, "pangolin").hits] == [again.pk]


@pytest.mark.django_db
def test_deleting_a_user_drops_their_documents(user):
    add_link(user, "https://a.test/one")
    other = get_user_model().objects.create_user("carol", "", "carol-password-123")
    add_link(other, "https://a.test/two")
    assert index.doc_count() == 2
    user.delete()
    assert index.doc_count() == 1


@pytest.mark.django_db
def test_longest_chinese_body_fits_a_tsvector(user):
    """200,000 distinct-ish CJK characters: the document still indexes on both backends."""
    import random

    rng = random.Random(1)
    text = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(200_000))
    doc = _doc(body=analyze(text))
    lit = postgres.tsvector_literal(doc)
    assert lit.count("'") // 2 <= postgres.MAX_LEXEMES
    link, _ = add_link(user, "https://a.test/long")
    with connection.cursor() as cur:
        get_backend().replace_documents(
            cur, [link.pk], [_doc(link_id=link.pk, owner_id=user.pk, body=doc.body)]
        )
    assert index.doc_count() == 1


@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_empties_the_index():
    """Transactional tests reset the database by flushing it: no document may survive
    for a later link that reuses its id."""
    from django.core.management import call_command

    owner = get_user_model().objects.create_user("flush", "", "pw-123456789")
    link, _snap = add_link(owner, "https://example.org/flushed")
    link.note = "zebra crossing"
    link.save()
    assert index.doc_count() == 1
    call_command("flush", interactive=False, verbosity=0)
    assert index.doc_count() == 0
