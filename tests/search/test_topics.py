"""Topic vectors for related articles: the model (snapshelf.related.topics), where it is
kept and refitted (snapshelf.related.topic_store), and how related articles use it."""

# ruff: noqa: F811  (the user fixtures are imported)

from __future__ import annotations

import random

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection

from snapshelf.jobs import tasks
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from snapshelf.related import engine, topic_store, topics, vectors
from snapshelf.related.links import related_links
from snapshelf.search import index
from snapshelf.search import models as search_models
from tests.library.conftest import user  # noqa: F401
from tests.search.test_related import (  # noqa: F401 (_clear_cache: an autouse fixture)
    DOCKER2,
    _clear_cache,
    library,
    page,
)

A = [f"alpha{i}" for i in range(30)]
B = [f"beta{i}" for i in range(30)]


def unit(terms: list[str]) -> dict[str, float]:
    return {t: 1 / len(terms) ** 0.5 for t in terms}


def two_topics(per_topic: int = 60) -> list[dict[str, float]]:
    """Documents of five words each, drawn from one of two disjoint vocabularies."""
    rng = random.Random(3)
    return [unit(rng.sample(words, 5)) for words in (A, B) for _ in range(per_topic)]


@pytest.fixture
def small_models(monkeypatch):
    """A model from a handful of documents, with as many topics as the test's subjects."""
    monkeypatch.setattr(topics, "MIN_DOCUMENTS", 5)
    monkeypatch.setattr(topics, "TOPICS", 2)


def test_documents_of_one_subject_are_close_without_sharing_a_term(small_models):
    model = topics.fit(two_topics(), two_topics())
    a1, a2 = model.project(unit(A[:5])), model.project(unit(A[10:15]))
    b = model.project(unit(B[:5]))
    assert topics.similarity(a1, a2) > 0.9
    assert abs(topics.similarity(a1, b)) < 0.1
    assert engine.cosine(unit(A[:5]), unit(A[10:15])) == 0  # the term vectors see nothing


def test_no_model_from_too_few_documents():
    assert topics.fit(two_topics(10), two_topics(10)) is None  # MIN_DOCUMENTS: 1000


def test_a_vector_without_model_terms_has_no_topic(small_models):
    model = topics.fit(two_topics(), two_topics())
    assert model.project({"gamma": 1.0}) is None
    assert topics.similarity(None, model.project(unit(A[:5]))) == 0.0


def test_a_model_survives_its_bytes(small_models):
    model = topics.fit(two_topics(), two_topics())
    again = topics.TopicModel.from_bytes(*model.to_bytes())
    assert again.terms == model.terms
    assert np.array_equal(again.project(unit(A[3:9])), model.project(unit(A[3:9])))


def test_the_score_mixes_term_and_topic_cosines(small_models):
    model = topics.fit(two_topics(), two_topics())
    source = engine.Entry(doc_id=1, vector=unit(A[:5]), length=5)
    near = engine.Entry(doc_id=2, vector=unit(A[3:8]), length=5)  # two shared terms
    for entry in (source, near):
        entry.topic = model.project(entry.vector)
    ((score, _entry),) = engine.rescore(source, [near], {}, 120)
    term = engine.cosine(source.vector, near.vector)
    topic = topics.similarity(source.topic, near.topic)
    assert score == pytest.approx((1 - topics.MIX) * term + topics.MIX * topic)
    assert score > term  # same subject: the topic cosine lifts it
    source.topic = None  # no model: term cosine alone
    assert engine.rescore(source, [near], {}, 120)[0][0] == pytest.approx(term)


# -- kept in the database and used by related articles --------------------------------


def stored_topics() -> dict[int, tuple[int, bytes]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT link_id, model, topic FROM {vectors.TOPICS}")
        return {pk: (model, bytes(topic)) for pk, model, topic in cursor.fetchall()}


def stored_vectors() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT link_id FROM {vectors.TABLE}")
        return {pk for (pk,) in cursor.fetchall()}


@pytest.mark.django_db
def test_refit_only_when_the_index_has_changed_enough(small_models, user, library):
    first = topic_store.refit()
    assert first is not None and topic_store.current()[0] == first
    # every stored term vector got its topic vector with the fit
    assert stored_topics().keys() == stored_vectors() == {x.pk for x in library.values()}
    assert {model for model, _topic in stored_topics().values()} == {first}
    assert topic_store.refit() is None  # same size: the model stands
    page(user, "more1", "Sourdough starter", "Flour and water feed the sourdough starter.")
    page(user, "more2", "Rye bread", "Rye flour makes a dense sourdough bread.")
    second = topic_store.refit()  # 9 -> 11 links: more than REFIT_SHARE
    assert second is not None and second != first
    assert list(search_models.TopicModel.objects.values_list("pk", flat=True)) == [second]
    assert topic_store.current()[0] == second


@pytest.mark.django_db
def test_a_model_fitted_mid_burst_is_fitted_again_once_captures_fill_the_library(
    small_models, user, library
):
    first = topic_store.refit()
    # an import: links enter the index at once, their text only when captured
    queued = [add_link(user, f"https://example.org/queued{n}")[1] for n in range(4)]
    index.reindex_links([snap.link_id for snap in queued])
    assert index.doc_count() == 13
    assert topic_store.refit() is None  # nothing new to learn from yet
    for n, snap in enumerate(queued):
        Snapshot.objects.filter(pk=snap.pk).update(
            status=Snapshot.Status.DONE, text=f"Sourdough rye flour loaf number {n}."
        )
    index.reindex_links([snap.link_id for snap in queued])
    second = tasks.refit_topic_model.call_local()  # the periodic job, no command
    assert second is not None and second != first


@pytest.mark.django_db
def test_a_small_index_has_no_model(small_models, monkeypatch, library):
    assert topic_store.refit() is not None
    monkeypatch.setattr(topics, "MIN_DOCUMENTS", 50)
    assert topic_store.refit() is None
    assert not search_models.TopicModel.objects.exists()
    assert topic_store.current() is None


@pytest.mark.django_db
def test_reindex_and_the_periodic_job_fit_a_model(small_models, library):
    index.rebuild()
    assert topic_store.current() is not None
    search_models.TopicModel.objects.all().delete()
    assert tasks.refit_topic_model.call_local() is not None
    assert search_models.TopicModel.objects.count() == 1


@pytest.mark.django_db
def test_related_stores_and_reads_topic_vectors(small_models, library):
    docker, docker2 = library["docker"], library["docker2"]
    model_id = topic_store.refit()
    before = {r.link.pk: r.score for r in related_links(docker)}
    stored = stored_topics()
    assert stored[docker2.pk][0] == model_id and stored[docker2.pk][1]
    source = np.frombuffer(stored[docker.pk][1], dtype="<f4")
    # a tampered topic vector, pointing away from the source's, lowers the score
    vectors.store_topics({docker2.pk: (-source).astype("<f4").tobytes()}, model_id)
    cache.clear()
    after = {r.link.pk: r.score for r in related_links(docker)}
    assert after.get(docker2.pk, -1.0) < before[docker2.pk] - topics.MIX


@pytest.mark.django_db
def test_a_rewritten_or_dropped_vector_loses_its_topic(small_models, library):
    docker, docker2, bread = library["docker"], library["docker2"], library["bread"]
    gone = {docker.pk, docker2.pk, bread.pk}
    topic_store.refit()
    assert gone <= stored_topics().keys()
    vectors.store({docker2.pk: {"docker": 1.0}}, index.doc_count())  # weighed again
    bread.note = "now with caraway seeds"
    bread.save()  # re-indexed: its term vector goes, and its topic vector with it
    docker.delete()
    assert not gone & stored_topics().keys()
    assert library["bread2"].pk in stored_topics()


def test_only_the_nearest_candidates_by_topic_are_compared(small_models, monkeypatch):
    model = topics.fit(two_topics(), two_topics())
    monkeypatch.setattr(engine, "SHORTLIST", 2)
    source = engine.Entry(doc_id=1, vector=unit(A[:5]), length=5)
    others = [
        engine.Entry(doc_id=2, vector=unit(B[:5]), length=5),
        engine.Entry(doc_id=3, vector=unit(A[20:25]), length=5),
        engine.Entry(doc_id=4, vector=unit(B[5:10]), length=5),
        engine.Entry(doc_id=5, vector=unit(A[10:15]), length=5),
    ]
    for entry in (source, *others):
        entry.topic = model.project(entry.vector)
    assert sorted(e.doc_id for e in engine.shortlist(source, others, limit=1)) == [3, 5]
    source.topic = None  # no model: every candidate is compared
    assert engine.shortlist(source, others, limit=1) == others


@pytest.mark.django_db
def test_related_reads_term_vectors_of_the_shortlist_only(small_models, monkeypatch, library):
    docker, user = library["docker"], library["docker"].owner
    for i in range(3):  # more candidates than the shortlist holds
        page(user, f"docker-more{i}", f"Docker volume tips {i}", DOCKER2 + f" tip {i}")
    topic_store.refit()  # every stored vector gets its topic vector
    topic_store.forget()  # as a fresh process: no model loaded
    monkeypatch.setattr(engine, "SHORTLIST", 2)
    read: list[int] = []
    load = vectors.load

    def spy(ids, n):
        read.extend(ids)
        return load(ids, n)

    monkeypatch.setattr(vectors, "load", spy)
    found = related_links(docker, limit=1)
    assert len(found) == 1
    assert len(set(read) - {docker.pk}) == 2
    assert topic_store._model is None  # every vector had its topic vector: matrix not loaded
    # without a model the prefilter's best RERANK are compared
    monkeypatch.setattr(topic_store, "current_id", lambda: 0)
    read.clear()
    cache.clear()
    related_links(docker, limit=1)
    assert len(set(read) - {docker.pk}) >= 4
