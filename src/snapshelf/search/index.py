"""The search index: one document per link, kept in the same transaction as the change.

Backends: SQLite FTS5 (table ``search_fts``, rowid = link id, tokenizer ``ascii`` over
text the analyzer already split, plus ``search_fts_vocab`` for document frequencies) and
PostgreSQL (table ``search_document``: link_id, owner_id, tsvector ``doc`` built as a
literal, never through PostgreSQL's text parser, and a GIN index). Both answer the same
backend-neutral Query (snapshelf.search.query) with the same result sets.

Keeping it current (every path runs inside the transaction that makes the change):
- Link saved (title, note, URL, latest capture) and tags added/removed/cleared:
  signals in snapshelf.search.signals.
- Link deleted (one or in bulk through QuerySet.delete): post_delete signal; on
  PostgreSQL the foreign key also cascades.
- Tag renamed (post_save), merged or deleted (pre/post_delete): the tag's links.
- Capture finished: library.capture.commit_result calls reindex_links.
- Bulk tag actions, which write the link-tag table directly: library.bulk calls reindex_links.
- Everything: rebuild() (``snapshelf reindex``).
"""

# SQL here names only this module's table constants; every value goes as a parameter.
# ruff: noqa: S608, S610

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from snapshelf.library.models import Link
from snapshelf.search.analyzer import QueryTokens
from snapshelf.search.documents import Document, documents, latest_done
from snapshelf.search.query import Clause, Query, parse
from snapshelf.search.snippets import snippet

log = logging.getLogger(__name__)

FTS = "search_fts"
VOCAB = "search_fts_vocab"
PG_TABLE = "search_document"
#: Column weights: title, tags, site, note, body (DESIGN.md §8: title and tags weigh most).
BM25 = "bm25(search_fts, 10.0, 8.0, 3.0, 3.0, 1.0)"
#: ts_rank_cd weights in PostgreSQL's order {D, C, B, A}: body, site+note, tags, title.
PG_RANK = "ts_rank_cd('{0.1, 0.3, 0.8, 1.0}', search_document.doc, %s::tsquery)"
PG_WEIGHTS = ("A", "B", "C", "C", "D")
PG_MAX_POS = 16383  # tsvector positions stop there
PG_MAX_POSITIONS = 256  # per lexeme, as to_tsvector keeps
#: A tsvector must stay under 1 MB: distinct words past this many are left out (only very
#: long CJK texts get there; their tail then matches on SQLite but not on PostgreSQL).
PG_MAX_LEXEMES = 50_000
CHUNK = 500
SNIPPET_CHARS = 240
SNIPPET_WINDOW = 600  # characters of text handed to the snippet maker


def _pg() -> bool:
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------- writing


def _pg_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("'", "''")


def tsvector_literal(doc: Document) -> str:
    """The document as a tsvector literal: positions run over the columns in order, with
    a gap between columns so no phrase spans two; the weight tells the column."""
    pos = 0
    entries: dict[str, list[str]] = {}
    for text, weight in zip(doc.columns(), PG_WEIGHTS, strict=True):
        for tok in text.split():
            pos = min(pos + 1, PG_MAX_POS)
            positions = entries.get(tok)
            if positions is None:
                if len(entries) >= PG_MAX_LEXEMES:
                    continue
                positions = entries[tok] = []
            if len(positions) < PG_MAX_POSITIONS:
                positions.append(f"{pos}{weight}")
        pos = min(pos + 1, PG_MAX_POS)
    return " ".join(f"'{_pg_escape(tok)}':{','.join(p)}" for tok, p in entries.items())


def _delete_rows(cursor, ids: list[int]) -> None:
    marks = ",".join(["%s"] * len(ids))
    if _pg():
        cursor.execute(f"DELETE FROM {PG_TABLE} WHERE link_id IN ({marks})", ids)
    else:
        cursor.execute(f"DELETE FROM {FTS} WHERE rowid IN ({marks})", ids)


def _insert_rows(cursor, docs: list[Document]) -> None:
    if not docs:
        return
    if _pg():
        cursor.executemany(
            f"INSERT INTO {PG_TABLE} (link_id, owner_id, doc) VALUES (%s, %s, %s::tsvector)",
            [(d.link_id, d.owner_id, tsvector_literal(d)) for d in docs],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {FTS} (rowid, title, tags, site, note, body) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(d.link_id, *d.columns()) for d in docs],
        )


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: Bumped on every index write in this process, so in-process caches of index statistics
#: (related articles' document frequencies) know they are stale.
generation = 0


def _changed() -> None:
    global generation
    generation += 1


def reindex_links(link_ids: Iterable[int]) -> None:
    """Rewrite the documents of these links; ids of deleted links lose their document."""
    _changed()
    ids = sorted({int(pk) for pk in link_ids})
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            docs = list(documents(chunk))
            _delete_rows(cursor, chunk)
            _insert_rows(cursor, docs)


def delete_links(link_ids: Iterable[int]) -> None:
    """Drop the documents of these links."""
    _changed()
    ids = sorted({int(pk) for pk in link_ids})
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            _delete_rows(cursor, chunk)


def clear() -> None:
    _changed()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {PG_TABLE if _pg() else FTS}")


def rebuild(progress: Callable[[int, int], None] | None = None, chunk: int = 1000) -> int:
    """Index every link from scratch, in chunks (constant memory); returns the count.

    `progress(done, total)` is called after each chunk.
    """
    clear()
    total = Link.objects.count()
    done = 0
    last = 0
    with connection.cursor() as cursor:
        while True:
            ids = list(
                Link.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            _insert_rows(cursor, list(documents(ids)))
            last = ids[-1]
            done += len(ids)
            if progress:
                progress(done, total)
    if not _pg():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')")
    return done


def doc_count() -> int:
    """How many documents the index holds (all owners)."""
    with connection.cursor() as cursor:
        # FTS5 has no cheap count(*); its docsize shadow table has one plain row per document
        cursor.execute(f"SELECT count(*) FROM {PG_TABLE if _pg() else FTS + '_docsize'}")
        return cursor.fetchone()[0]


def df(tokens: Iterable[str]) -> dict[str, int]:
    """Document frequency of each analyzed token over the whole index (0 when absent).

    SQLite reads the fts5vocab table (one b-tree lookup per term); PostgreSQL counts the
    GIN index's matches for each term.
    """
    toks = list(dict.fromkeys(tokens))
    out = dict.fromkeys(toks, 0)
    if not toks:
        return out
    with connection.cursor() as cursor:
        if _pg():
            parts = " UNION ALL ".join(
                [f"SELECT %s, count(*) FROM {PG_TABLE} WHERE doc @@ %s::tsquery"] * len(toks)
            )
            params: list = []
            for tok in toks:
                params += [tok, f"'{_pg_escape(tok)}'"]
            cursor.execute(parts, params)
        else:
            marks = ",".join(["%s"] * len(toks))
            cursor.execute(f"SELECT term, doc FROM {VOCAB} WHERE term IN ({marks})", toks)
        for term, n in cursor.fetchall():
            out[term] = n
    return out


# ---------------------------------------------------------------- query compilation


def _fts_alt(alt: QueryTokens) -> str:
    phrase = " ".join(alt.tokens).replace('"', '""')
    return f'"{phrase}"' + ("*" if alt.prefix else "")


def _pg_alt(alt: QueryTokens, weights: str = "") -> str:
    parts = [f"'{_pg_escape(t)}'{':' + weights if weights else ''}" for t in alt.tokens]
    if alt.prefix:
        parts[-1] = f"'{_pg_escape(alt.tokens[-1])}':*{weights}"
    return "(" + " <-> ".join(parts) + ")"


def _alts(clause: Clause) -> list[QueryTokens]:
    return [a for a in clause.alternatives if a.tokens]


def compile_clauses(clauses: Iterable[Clause], *, any_of: bool = False) -> str:
    """A backend match expression: every clause (or any, when any_of) holds; "" if none."""
    pg = _pg()
    out = []
    for clause in clauses:
        alts = _alts(clause)
        if not alts:
            continue
        if pg:
            out.append("(" + " | ".join(_pg_alt(a) for a in alts) + ")")
        else:
            out.append("(" + " OR ".join(_fts_alt(a) for a in alts) + ")")
    if pg:
        return (" | " if any_of else " & ").join(out)
    return (" OR " if any_of else " AND ").join(out)


# ---------------------------------------------------------------- filters


def _site_regex(site: str) -> str:
    host = re.escape(site.strip().strip(".").lower())
    return rf"^[a-z][a-z0-9+.-]*://([^/?#@]*@)?([^/?#@]*\.)?{host}(:[0-9]+)?([/?#]|$)"


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_links(
    owner_id: int, query: Query, *, public_only: bool = False, include_archived: bool = True
) -> QuerySet[Link]:
    """The owner's links passing the query's filters (not its words)."""
    qs = Link.objects.filter(owner_id=owner_id)
    through = Link.tags.through
    for name in dict.fromkeys(t.lower() for t in query.tags):
        qs = qs.filter(
            Exists(through.objects.filter(link_id=OuterRef("pk"), tag__name__iexact=name))
        )
    for name in dict.fromkeys(t.lower() for t in query.exclude_tags):
        qs = qs.exclude(
            Exists(through.objects.filter(link_id=OuterRef("pk"), tag__name__iexact=name))
        )
    if query.sites:
        match = Q()
        for site in query.sites:
            if site.strip().strip("."):
                match |= Q(url__iregex=_site_regex(site))
        qs = qs.filter(match)
    flags = set(query.flags)
    if "unread" in flags:
        qs = qs.filter(unread=True)
    if "favorite" in flags:
        qs = qs.filter(favorite=True)
    if "archived" in flags:
        qs = qs.filter(archived=True)
    if "public" in flags or public_only:
        qs = qs.filter(visibility=Link.Visibility.PUBLIC)
    if not include_archived and "archived" not in flags:
        qs = qs.filter(archived=False)
    if query.langs:
        match = Q()
        for lang in query.langs:
            match |= Q(latest_snapshot__language__istartswith=lang)
        qs = qs.filter(match)
    if query.types:
        qs = qs.filter(latest_snapshot__kind__in=[t.lower() for t in query.types])
    if query.before:
        qs = qs.filter(created__lt=_day_start(query.before))
    if query.after:
        qs = qs.filter(created__gte=_day_start(query.after))
    return qs


def _exclude_matching(qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
    if not expr:
        return qs
    if _pg():
        sql = (
            f"NOT EXISTS (SELECT 1 FROM {PG_TABLE} n WHERE n.link_id = library_link.id "
            "AND n.doc @@ %s::tsquery)"
        )
    else:
        sql = f"library_link.id NOT IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"
    return qs.extra(where=[sql], params=[expr])


def _matching(qs: QuerySet[Link], expr: str) -> QuerySet[Link]:
    """Join the index, keep the matches, annotate `score` (higher is better)."""
    if _pg():
        return qs.extra(
            select={"score": PG_RANK},
            select_params=[expr],
            tables=[PG_TABLE],
            where=[f"{PG_TABLE}.link_id = library_link.id", f"{PG_TABLE}.doc @@ %s::tsquery"],
            params=[expr],
        )
    return qs.extra(
        select={"score": f"-{BM25}"},
        tables=[FTS],
        where=[f"{FTS}.rowid = library_link.id", f"{FTS} MATCH %s"],
        params=[expr],
    )


# ---------------------------------------------------------------- searching


@dataclass
class Hit:
    link_id: int
    snapshot_id: int | None
    title: str
    url: str
    score: float
    snippet_html: str = ""
    snippet_text: str = ""


@dataclass
class SearchPage:
    hits: list[Hit] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    has_next: bool = False


def parse_query(q: str | Query) -> Query:
    """A Query from text (the parser never raises) or the Query itself."""
    return q if isinstance(q, Query) else parse(q)


def ranked_ids(
    owner_id: int,
    query: Query,
    *,
    limit: int = 50,
    offset: int = 0,
    public_only: bool = False,
    include_archived: bool = True,
    base: QuerySet[Link] | None = None,
) -> list[tuple[int, float]]:
    """(link id, score) in rank order, one more than `limit` to tell if a page follows.

    `base` narrows further (the library page's own filters); it must be the owner's links.
    """
    qs = filtered_links(owner_id, query, public_only=public_only, include_archived=include_archived)
    if base is not None:
        qs = qs.filter(pk__in=base.values("pk"))
    positive = compile_clauses(c for c in query.clauses if not c.negated)
    negative = compile_clauses((c for c in query.clauses if c.negated), any_of=True)
    qs = _exclude_matching(qs, negative)
    if query.has_text and not positive:  # words that have no token (punctuation only)
        return []
    if positive:
        qs = _matching(qs, positive).order_by("-score", "-created", "-id")
        rows = qs.values_list("id", "score")
    else:
        rows = qs.order_by("-created", "-id").values_list("id")
    return [(r[0], float(r[1]) if len(r) > 1 else 0.0) for r in rows[offset : offset + limit + 1]]


def _window(text: str, query: Query) -> str:
    """A stretch of `text` around the first place a query word seems to occur.

    Snippets tokenize what they are given (~1 ms of CPU per 1,000 characters): cutting a window
    first keeps 20 hits of long pages inside the search budget. The find is approximate
    (a word inside another, case folding that changes lengths); the snippet then marks
    only real matches.
    """
    if len(text) <= SNIPPET_WINDOW:
        return text
    lowered = text.lower()
    found = [
        lowered.find(clause.alternatives[0].tokens[0])
        for clause in query.clauses
        if not clause.negated and clause.alternatives and clause.alternatives[0].tokens
    ]
    found = [pos for pos in found if pos >= 0]
    if not found:
        return text[:SNIPPET_WINDOW]
    start = max(0, min(found) - SNIPPET_WINDOW // 4)
    if start:
        space = text.find(" ", start, start + 20)
        start = space + 1 if space >= 0 else start
    return text[start : start + SNIPPET_WINDOW]


def _snippet(text: str, query: Query) -> tuple[str, str]:
    """(html, plain) excerpt of `text` around the query's words; the html is the escaped
    text with <mark> around matches, marked safe for templates."""
    if text:
        try:
            s = snippet(_window(text, query), query)
            return mark_safe(str(s.html)), str(s.text)  # noqa: S308 - escaped + <mark>
        except Exception:  # noqa: BLE001 - a snippet never breaks a search
            log.exception("snippet failed")
    plain = " ".join(text[: SNIPPET_CHARS * 2].split())[:SNIPPET_CHARS]
    return escape(plain), plain


def snippets_for(link_ids: list[int], query: Query) -> dict[int, tuple[str, str]]:
    """(html, plain) snippet of each link's latest capture text around the query words."""
    snaps = latest_done(link_ids)
    return {pk: _snippet(snap.text, query) for pk, snap in snaps.items()}


def hits_for(rows: list[tuple[int, float]], query: Query) -> list[Hit]:
    """Hits with titles and snippets for ranked (id, score) rows, in their order."""
    ids = [pk for pk, _ in rows]
    links = {
        link.pk: link
        for link in Link.objects.filter(pk__in=ids)
        .select_related("latest_snapshot")
        .only("id", "url", "title", "latest_snapshot__id", "latest_snapshot__title")
    }
    snaps = latest_done(ids)
    hits = []
    for pk, score in rows:
        link = links.get(pk)
        if link is None:
            continue
        snap = snaps.get(pk)
        title = link.title or (snap.title if snap else "") or link.url
        html, text = _snippet(snap.text if snap else "", query)
        hits.append(
            Hit(
                link_id=pk,
                snapshot_id=snap.pk if snap else link.latest_snapshot_id,
                title=title,
                url=link.url,
                score=round(score, 6),
                snippet_html=html,
                snippet_text=text,
            )
        )
    return hits


def search(
    owner,
    q: str | Query,
    *,
    limit: int = 50,
    offset: int = 0,
    public_only: bool = False,
    include_archived: bool = True,
) -> SearchPage:
    """One page of the owner's links matching `q`, best first (newest first on ties).

    A query with only exclusions or filters lists the owner's other links, newest first.
    """
    owner_id = owner if isinstance(owner, int) else owner.pk
    query = parse_query(q)
    if query.is_empty:
        return SearchPage(hints=list(query.hints))
    rows = ranked_ids(
        owner_id,
        query,
        limit=limit,
        offset=offset,
        public_only=public_only,
        include_archived=include_archived,
    )
    return SearchPage(
        hits=hits_for(rows[:limit], query), hints=list(query.hints), has_next=len(rows) > limit
    )


def candidates(
    owner_id: int,
    tokens: list[str],
    *,
    limit: int = 50,
    public_only: bool = False,
    exclude: Iterable[int] = (),
) -> list[tuple[int, float]]:
    """The owner's links matching any of these analyzed tokens in title, tags or body,
    best first as (link id, score): the related-articles search."""
    toks = [t for t in dict.fromkeys(tokens) if t and " " not in t]
    if not toks:
        return []
    qs = Link.objects.filter(owner_id=owner_id)
    if public_only:
        qs = qs.filter(visibility=Link.Visibility.PUBLIC)
    skip = list(exclude)
    if skip:
        qs = qs.exclude(pk__in=skip)
    if _pg():
        expr = " | ".join(_pg_alt(QueryTokens((t,)), "ABD") for t in toks)
    else:
        alts = " OR ".join(_fts_alt(QueryTokens((t,))) for t in toks)
        expr = "{title tags body} : (" + alts + ")"
    qs = _matching(qs, expr).order_by("-score", "-created", "-id")
    return [(pk, float(score)) for pk, score in qs.values_list("id", "score")[:limit]]


__all__ = [
    "Hit",
    "SearchPage",
    "candidates",
    "delete_links",
    "df",
    "parse_query",
    "doc_count",
    "rebuild",
    "reindex_links",
    "search",
]
