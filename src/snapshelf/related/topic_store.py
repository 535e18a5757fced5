"""The topic model the related articles use (snapshelf.related.topics), kept in the database.

One model serves the whole index, as the document frequencies do: it is fitted on a
random sample of the indexed links' stored vectors (FIT_DOCUMENTS at most) by
`snapshelf reindex` and by a periodic job once the links whose text is in the index
(their newest version captured) have grown or shrunk by REFIT_SHARE since the last fit.
Each process looks for a newer model every CHECK_SECONDS, or as soon as it has
written to the index itself, and loads one (~8 MB, ~85 ms) only when it has a vector
to project: each stored term vector gets its topic vector (search_topic_vector, with
the model's id) when the model is fitted, so a call whose links all have theirs
(nearly every call) reads them and never needs the matrix. A vector stored later (a
new capture) gets one when related first needs it.
"""

# SQL here names only the vector tables' constants; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from django.db import connection, transaction

from snapshelf.library.models import Link, Snapshot
from snapshelf.related import engine, topics, vectors
from snapshelf.search import index
from snapshelf.search import models as search_models

#: The index has to grow (or shrink) by this share before the model is fitted again:
#: a model fitted on 20,000 links describes 24,000 about as well.
REFIT_SHARE = 0.2
CHECK_SECONDS = 60.0
#: The model's terms are chosen from this many of the sampled vectors: enough to rank
#: the 20,000 commonest terms, at a quarter of the memory of counting all of them.
VOCABULARY_DOCUMENTS = 5000

_model: topics.TopicModel | None = None
_model_id = 0  # the id of the loaded _model
_newest_id = 0  # the id of the newest stored model (0: none), as last looked up
_checked = (-1, -CHECK_SECONDS)  # index.generation(), time.monotonic() of the last look


def _filled() -> int:
    """Links whose newest version is captured, so their text is in the index. Links
    enter the index when saved, before their text: a model fitted in the middle of a
    burst of captures (an import) is fitted again once they have filled the library."""
    return Link.objects.filter(latest_snapshot__status=Snapshot.Status.DONE).count()


def _newest() -> tuple[int, int] | None:
    """(id, documents with their text in the index when it was fitted) of the newest
    stored model."""
    return search_models.TopicModel.objects.order_by("-pk").values_list("pk", "documents").first()


def current_id() -> int:
    """The id of the newest model (0: none), through the process's cache (see above);
    one small query at most, the model itself is not loaded."""
    global _newest_id, _checked
    now = time.monotonic()
    if _checked[0] != index.generation() or now - _checked[1] >= CHECK_SECONDS:
        _checked = (index.generation(), now)
        newest = _newest()
        _newest_id = newest[0] if newest is not None else 0
    return _newest_id


def current() -> tuple[int, topics.TopicModel] | None:
    """(id, model) of the newest model, loaded once per process and model."""
    global _model, _model_id
    newest = current_id()
    if not newest:
        _model, _model_id = None, 0
    elif newest != _model_id:
        row = search_models.TopicModel.objects.filter(pk=newest).first()
        if row is not None:
            _model = topics.TopicModel.from_bytes(row.terms, row.matrix)
            _model_id = row.pk
    return (_model_id, _model) if _model is not None else None


def forget() -> None:
    """Look for the newest model again on the next call (after a fit)."""
    global _model, _model_id, _newest_id, _checked
    _model, _model_id, _newest_id, _checked = None, 0, 0, (-1, -CHECK_SECONDS)


def _vectors(ids: list[int], n: int) -> Iterator[dict[str, float]]:
    """The vectors of these links, a chunk at a time (weighed and stored when missing)."""
    for start in range(0, len(ids), vectors.CHUNK):
        yield from vectors.vectors_of(ids[start : start + vectors.CHUNK], n).values()


def refit(*, force: bool = False) -> int | None:
    """Fit a new model when none fits today's index (or when forced); returns its id,
    or None when nothing was fitted. Below MIN_DOCUMENTS links the models go."""
    n = index.doc_count()
    newest = _newest()
    if n < topics.MIN_DOCUMENTS:
        if newest is not None:
            search_models.TopicModel.objects.all().delete()
            forget()
        return None
    filled = _filled()
    if not force and newest is not None:
        fitted_on = newest[1]
        if abs(filled - fitted_on) <= REFIT_SHARE * max(fitted_on, topics.MIN_DOCUMENTS):
            return None
    ids = index.sample_ids(topics.FIT_DOCUMENTS)
    every = max(1, len(ids) // VOCABULARY_DOCUMENTS)
    model = topics.fit(_vectors(ids[::every], n), _vectors(ids, n))
    if model is None:
        return None
    terms, matrix = model.to_bytes()
    with transaction.atomic():
        row = search_models.TopicModel.objects.create(documents=filled, terms=terms, matrix=matrix)
        search_models.TopicModel.objects.exclude(pk=row.pk).delete()
    forget()
    project_all(row.pk, model)
    return row.pk


def project_all(model_id: int, model: topics.TopicModel, chunk: int = 1000) -> int:
    """Project every stored term vector with this model and store the topic vectors
    (~0.3 ms a link): related then reads them instead of projecting up to RERANK
    candidates per call. Returns how many were stored."""
    done = last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT link_id, terms, weights FROM {vectors.TABLE}"
                " WHERE link_id > %s ORDER BY link_id LIMIT %s",
                [last, chunk],
            )
            rows = cursor.fetchall()
        if not rows:
            return done
        projected = {}
        for pk, terms, weights in rows:
            topic = model.project(vectors._unpack(terms, weights))
            if topic is not None:
                projected[pk] = topics.pack(topic)
        vectors.store_topics(projected, model_id)
        last = rows[-1][0]
        done += len(projected)


def fill_topics(
    entries: list[engine.Entry],
    n: int,
    df: dict[str, int],
    known: tuple[int, Mapping[int, bytes]] = (0, {}),
) -> None:
    """Each entry's topic vector under the current model: the stored one, else projected
    from its term vector (read or weighed first when the entry has none yet) and
    stored. Without a model every topic stays None. `known` is (model id, stored topic
    vectors) already read (the prefilter's pick): only the others are read here."""
    model_id = current_id()
    if not model_id:
        for entry in entries:
            entry.topic = None
        return
    stored = dict(known[1]) if known[0] == model_id else {}
    stored.update(
        vectors.load_topics([e.doc_id for e in entries if e.doc_id not in stored], model_id)
    )
    missing = [e for e in entries if e.doc_id not in stored]
    found = current() if missing else None  # the matrix only when something needs projecting
    if found is not None and found[0] != model_id:  # a newer one since: theirs go stale
        found = None
    unread = [e.doc_id for e in missing if not e.vector] if found else []
    if unread:
        read = vectors.vectors_of(unread, n, df)
        for entry in missing:
            entry.vector = entry.vector or read.get(entry.doc_id, {})
    projected: dict[int, bytes] = {}
    for entry in entries:
        raw = stored.get(entry.doc_id)
        if raw is not None:
            entry.topic = topics.unpack(raw)
            continue
        entry.topic = found[1].project(entry.vector) if found else None
        if entry.topic is not None:
            projected[entry.doc_id] = topics.pack(entry.topic)
    vectors.store_topics(projected, model_id)


def refit_after_rebuild() -> None:
    """After `snapshelf reindex` (a hook of the index): every term vector weighed with
    the final statistics, then a model fitted on them."""
    vectors.rebuild()
    refit(force=True)
