"""Related articles from distinctive-term signatures, owner-scoped."""

# ruff: noqa: F811  (the user fixtures are imported)

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from snapshelf.capture.fingerprint import fingerprint
from snapshelf.cli import main as cli_main
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link, get_or_create_tags
from snapshelf.library.stamp import library_version
from snapshelf.related import engine
from snapshelf.related.links import _timestamp, readable_terms, related_links
from snapshelf.search import index
from snapshelf.services.bulk import apply
from tests.library.conftest import other_user, user  # noqa: F401

pytestmark = pytest.mark.django_db

DOCKER = (
    "Docker volumes keep container data outside the container filesystem. "
    "A named volume survives when the container is removed; bind mounts map a host "
    "directory into the container. Use docker volume ls to list volumes."
)
DOCKER2 = (
    "Backing up a Docker volume: run a temporary container that mounts the volume and "
    "writes a tar archive of the volume data to a bind mount on the host."
)
BREAD = (
    "Sourdough bread needs a lively starter, flour, water and salt. Knead the dough, "
    "let it rise overnight, shape the loaf and bake it in a hot oven."
)
BREAD2 = (
    "A rye sourdough loaf: feed the starter, mix flour and water, let the dough rise, "
    "then bake the bread until the crust is dark."
)
SPACE = (
    "The rocket launch put the satellite into orbit; the space agency tracks its orbit "
    "and the launch window for the next mission to the moon."
)
ZH_FOOTBALL = "国足在世界杯预选赛中迎战对手，主教练表示球队状态良好，球员们在比赛中全力以赴。"
ZH_FOOTBALL2 = "世界杯预选赛国足名单公布，主教练召集球员集训，球队备战下一场比赛。"
ZH_PHONE = "新款手机发布，搭载最新处理器和高清屏幕，手机厂商表示电池续航大幅提升。"
ZH_PHONE2 = "这款手机的处理器性能强劲，屏幕显示细腻，电池续航表现出色，售价公布。"


def page(
    owner,
    name: str,
    title: str,
    text: str,
    tags: tuple[str, ...] = (),
    *,
    visibility: str = "private",
    age_days: int = 0,
    url: str | None = None,
) -> Link:
    """A link with a finished capture holding `text`, indexed as a real capture is."""
    link, snap = add_link(owner, url or f"https://example.org/{name}", tags)
    Snapshot.objects.filter(pk=snap.pk).update(
        status=Snapshot.Status.DONE, title=title, text=text, fingerprint=fingerprint(text)
    )
    Link.objects.filter(pk=link.pk).update(
        visibility=visibility, created=timezone.now() - timedelta(days=age_days)
    )
    link.refresh_from_db()
    link.save()  # the search signals index the finished capture
    return link


def names(related) -> list[str]:
    return [r.link.url.rsplit("/", 1)[1] for r in related]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def library(user):
    return {
        "docker": page(user, "docker", "Docker volumes explained", DOCKER, ("dev",)),
        "docker2": page(user, "docker2", "Back up a Docker volume", DOCKER2, ("dev",)),
        "bread": page(user, "bread", "Sourdough bread", BREAD, ("food",)),
        "bread2": page(user, "bread2", "Rye sourdough loaf", BREAD2),
        "space": page(user, "space", "Rocket launch", SPACE),
        "zh1": page(user, "zh1", "国足备战世界杯预选赛", ZH_FOOTBALL),
        "zh2": page(user, "zh2", "国足名单公布", ZH_FOOTBALL2),
        "zh3": page(user, "zh3", "新款手机发布", ZH_PHONE),
        "zh4": page(user, "zh4", "手机处理器评测", ZH_PHONE2),
    }


def test_same_topic_comes_first_english(library):
    assert names(related_links(library["docker"]))[0] == "docker2"
    assert names(related_links(library["bread"]))[0] == "bread2"


def test_same_topic_comes_first_chinese(library):
    assert names(related_links(library["zh1"]))[0] == "zh2"
    assert names(related_links(library["zh4"]))[0] == "zh3"
    assert "zh3" not in names(related_links(library["zh1"]))[:1]


def test_reason_names_shared_terms_and_tags(library):
    first = related_links(library["docker"])[0]
    assert first.reason.startswith("Shared terms: ")
    assert "volume" in first.reason and "Shared tags: dev" in first.reason
    assert first.score > 0
    zh = related_links(library["zh1"])[0]
    assert "世界" in zh.reason or "国足" in zh.reason


def test_function_words_relate_nothing_in_a_small_library(library):
    # Nine links: "the" is in as few links as "docker", so only a word list tells them
    # apart. The rocket launch shares only function words with the rest.
    assert related_links(library["space"]) == []
    for key in ("docker", "bread", "zh1"):
        for found in related_links(library[key], limit=10):
            shown = found.reason.split(" · ")[0].removeprefix("Shared terms: ").split(", ")
            assert not {"the", "a", "is", "and", "to", "into"} & set(shown), found.reason
    assert names(related_links(library["docker"], limit=10)) == ["docker2"]
    assert engine.signature_of({"the": 0.9, "docker": 0.1}, {"the": 3, "docker": 2}, 9) == [
        ("docker", 0.1)
    ]


def test_chinese_reasons_show_words_not_bigram_fragments(library):
    reason = related_links(library["zh1"])[0].reason
    assert "世界杯" in reason and "界杯," not in reason and "杯预," not in reason


def test_readable_terms_join_only_bigrams_that_stand_together():
    pairs = {("国足", "足球"), ("足球", "球队"), ("世界", "界杯")}
    # 世界+界杯 stand side by side; 球队 and 足球 too, so the chain grows both ways
    assert readable_terms(("世界", "界杯", "杯", "docker"), pairs) == ["世界杯", "docker"]
    assert readable_terms(("足球", "球队", "国足"), pairs) == ["国足球队"]
    # 国足 and 足球 never meet in this text: two words, not the invented 国足球
    assert readable_terms(("国足", "足球"), {("国足", "比赛")}) == ["国足", "足球"]
    assert readable_terms(("国足", "足球"), set()) == ["国足", "足球"]


def test_created_read_without_the_orm_is_the_same_instant():
    """SQLite hands `created` back as UTC text, PostgreSQL as an aware datetime."""
    when = datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert _timestamp("2026-01-02 03:04:05.500000") == when.timestamp()
    assert _timestamp("2026-01-02 04:04:05.5+01:00") == when.timestamp()
    assert _timestamp(when) == when.timestamp()


def test_adjacent_pairs_come_from_the_indexed_title_and_body(user):
    link = page(user, "pairs", "国足比赛", "世界杯预选赛 足球 杯子")
    pairs = index.adjacent_pairs(link.pk, ["国足", "足比", "世界", "界杯", "杯预", "足球", "杯子"])
    assert {("国足", "足比"), ("世界", "界杯"), ("界杯", "杯预")} <= pairs
    assert ("足比", "世界") not in pairs  # title and body never run together
    assert ("界杯", "足球") not in pairs and ("足球", "杯子") not in pairs
    assert index.adjacent_pairs(link.pk, []) == set()


def test_excludes_itself_and_unrelated(library):
    found = related_links(library["docker"], limit=10)
    assert "docker" not in names(found)
    assert not {"zh1", "zh2", "zh3", "zh4"} & set(names(found))  # no shared term at all
    assert all(r.score < found[0].score / 4 for r in found[1:])  # only common words shared


def test_collapses_near_duplicates_keeping_newest(user, library):
    copy = " ".join([DOCKER2] * 4)
    old = page(user, "copy-old", "Docker volume backups", copy + " Old.", age_days=30)
    new = page(user, "copy-new", "Docker volume backups", copy + " New.", age_days=0)
    assert engine.hamming(old.latest_snapshot.fingerprint, new.latest_snapshot.fingerprint) <= 3
    found = names(related_links(library["docker"], limit=10))
    copies = [n for n in found if n in ("docker2", "copy-old", "copy-new")]
    assert copies == ["copy-new"]


def test_same_text_elsewhere_is_a_duplicate_of_the_source(user, library):
    page(user, "mirror", "Docker volumes explained (mirror)", DOCKER)
    assert "mirror" not in names(related_links(library["docker"], limit=10))


def test_only_the_owners_links(user, other_user, library):
    page(other_user, "theirs", "Docker volume backup", DOCKER2, ("dev",), visibility="public")
    found = related_links(library["docker"], limit=20)
    assert found and all(r.link.owner_id == user.pk for r in found)
    mine = page(other_user, "docker", "Docker volumes", DOCKER)  # same URL, other owner
    assert related_links(mine) and all(
        r.link.owner_id == other_user.pk for r in related_links(mine)
    )


def test_public_only(user, library):
    guide = "Docker volume drivers store container data on remote hosts; a volume plugin"
    public = page(user, "public", "Docker volume guide", guide, visibility="public")
    Link.objects.filter(pk=library["docker2"].pk).update(visibility="unlisted")
    found = related_links(library["docker"], public_only=True, limit=10)
    assert [r.link.pk for r in found] == [public.pk]
    assert "docker2" in names(related_links(library["docker"], limit=10))


def test_empty_library(user):
    alone = page(user, "alone", "Docker volumes", DOCKER)
    assert related_links(alone) == []


def test_limit(library):
    assert len(related_links(library["docker"], limit=1)) == 1
    assert related_links(library["docker"], limit=0) == []


def test_falls_back_to_shared_tags_without_text(user):
    me, _ = add_link(user, "https://example.org/a", ["python"])
    add_link(user, "https://example.org/b", ["python"])
    (only,) = related_links(me)
    assert only.reason == "Shared tags: python"


def test_cache_is_used_and_invalidated_by_changes(user, library, django_assert_max_num_queries):
    docker = library["docker"]
    first = names(related_links(docker))
    with django_assert_max_num_queries(2):  # the stamp, then the cached answer's rows
        assert names(related_links(docker)) == first
    newer = page(user, "docker3", "Docker volume drivers", DOCKER2 + " Drivers plugins.")
    assert "docker3" in names(related_links(docker, limit=10))
    newer.delete()
    assert "docker3" not in names(related_links(docker, limit=10))
    Link.objects.get(pk=library["docker2"].pk).tags.clear()
    first = related_links(docker)[0]
    assert first.link.pk == library["docker2"].pk and "Shared tags" not in first.reason


def test_a_link_made_private_leaves_public_pages_at_once(user, library):
    guide = "Docker volume drivers store container data on remote hosts; a volume plugin"
    public = page(user, "public", "Docker volume guide", guide, visibility="public")
    assert names(related_links(library["docker"], public_only=True)) == ["public"]
    Link.objects.filter(pk=public.pk).update(visibility="private")  # no signal, no stamp
    assert related_links(library["docker"], public_only=True) == []


def test_every_index_write_bumps_the_library_version(user, other_user, library):
    theirs = library_version(other_user.pk)
    seen = [library_version(user.pk)]
    link = library["bread"]
    link.note = "with rye"
    link.save()
    seen.append(library_version(user.pk))
    link.tags.add(*get_or_create_tags(user, ["baking"]))
    seen.append(library_version(user.pk))
    apply(user, [link.pk], "make_public")
    seen.append(library_version(user.pk))
    link.delete()
    seen.append(library_version(user.pk))
    assert seen == sorted(set(seen))  # each change moved it on
    assert library_version(other_user.pk) == theirs


def test_engine_signature_prefers_distinctive_terms(monkeypatch):
    docs = [
        ("docker volume container data", "the of and crust"),
        ("docker volume backup", "the of"),
        ("bread flour", "the and of crust"),
    ]
    idx = engine.RelatedIndex.build(
        (engine.Entry(i, {}, 0), engine.term_counts(t, b)) for i, (t, b) in enumerate(docs)
    )
    terms = [t for t, _w in idx.signature(0)]
    # "the"/"of" are in every document; "and" is as rare as "crust" but a function word
    assert set(terms) == {"docker", "volume", "crust"}
    assert terms.index("docker") < terms.index("crust")  # title terms weigh more
    # in a library this small, one shared word ("crust") is too little to show
    assert [(m.doc_id, m.terms) for m in idx.related(0)] == [(1, ("docker", "volume"))]
    monkeypatch.setattr(engine, "SMALL_LIBRARY_MIN_SCORE", engine.MIN_SCORE)
    first, second = idx.related(0)
    assert (first.doc_id, second.doc_id) == (1, 2)
    assert first.terms == ("docker", "volume") and second.terms == ("crust",)
    assert first.score > 2 * second.score


def test_cli_related_json(user, library, capsys):
    docker = library["docker"]
    page(user, "docker3", "Docker volume drivers", "Docker volume drivers keep container data.")
    assert cli_main(["related", str(docker.pk), "--limit", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["link_id"] == library["docker2"].pk
    assert set(rows[0]) == {"link_id", "title", "url", "score", "reason"}
    assert rows[0]["title"] == "Back up a Docker volume"
    assert rows[0]["url"] == "https://example.org/docker2"


def test_cli_related_missing_or_foreign_link(user, other_user, library, capsys):
    theirs = page(other_user, "theirs", "Docker", DOCKER)
    for link_id in (theirs.pk, 999_999):
        assert cli_main(["related", str(link_id), "--user", "alice", "--json"]) != 0
        err = capsys.readouterr().err
        assert "no link" in err.lower() and err.count("\n") == 1
