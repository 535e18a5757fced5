"""Search results: hits with titles and highlighted snippets for ranked link ids."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

from snapshelf.library.models import Link, Snapshot
from snapshelf.search.backends import get_backend
from snapshelf.search.documents import latest_done, older_versions
from snapshelf.search.query import Query
from snapshelf.search.snippets import snippet

log = logging.getLogger(__name__)

SNIPPET_CHARS = 240
SNIPPET_WINDOW = 600  # characters of text handed to the snippet maker
FIND_PIECE = 8192  # characters lower-cased at a time while looking for the window


@dataclass
class Hit:
    link_id: int
    snapshot_id: int | None
    title: str
    url: str
    score: float
    snippet_html: str = ""
    snippet_text: str = ""
    #: With in:versions, the older version the snippet was cut from (None: the latest).
    version: int | None = None
    matched_snapshot_id: int | None = None


@dataclass
class SearchPage:
    hits: list[Hit] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    has_next: bool = False


def _window(text: str, query: Query) -> str:
    """A stretch of `text` around the first place a query word seems to occur.

    Snippets tokenize what they are given (~1 ms of CPU per 1,000 characters): cutting a window
    first keeps 20 hits of long pages inside the search budget. The find is approximate
    (a word inside another, case folding that changes lengths); the snippet then marks
    only real matches.
    """
    if len(text) <= SNIPPET_WINDOW:
        return text
    needles = [
        clause.alternatives[0].tokens[0]
        for clause in query.clauses
        if not clause.negated and clause.alternatives and clause.alternatives[0].tokens
    ]
    first = -1
    # lower-cased a piece at a time: the first piece usually has a match, and long texts
    # are not copied whole for each hit
    for at in range(0, len(text), FIND_PIECE):
        piece = text[at : at + FIND_PIECE + 64].lower()
        found = [pos for needle in needles if (pos := piece.find(needle)) >= 0]
        if found:
            first = at + min(found)
            break
    if first < 0:
        return text[:SNIPPET_WINDOW]
    start = max(0, first - SNIPPET_WINDOW // 4)
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


def _version_snippet(snap: Snapshot, query: Query) -> tuple[str, str]:
    """A snippet of an older version's text, led by the version's name ("v2")."""
    html, text = _snippet(snap.text, query)
    label = f"v{snap.version}"
    return (
        mark_safe(f'<span class="snippet-version">{label}</span> {html}'),  # noqa: S308
        f"[{label}] {text}",
    )


def older_matches(link_ids: list[int], query: Query) -> dict[int, Snapshot]:
    """With in:versions, for each of these links whose current document does not match
    the query, the newest older version whose text matches one of its words."""
    if not (query.all_versions and query.has_text and link_ids):
        return {}
    backend = get_backend()
    clauses = [c for c in query.clauses if not c.negated]
    positive = backend.compile_clauses(clauses)
    any_word = backend.compile_clauses(clauses, any_of=True)
    if not positive:
        return {}
    current = backend.links_matching(positive, link_ids)
    older, _every = older_versions(pk for pk in link_ids if pk not in current)
    matched = backend.versions_matching(any_word, list(older))
    best: dict[int, int] = {}
    for pk in matched:
        best[older[pk]] = max(pk, best.get(older[pk], 0))
    snaps = Snapshot.objects.filter(pk__in=list(best.values())).only(
        "id", "link_id", "version", "text"
    )
    return {s.link_id: s for s in snaps}


def snippets_for(link_ids: list[int], query: Query) -> dict[int, tuple[str, str]]:
    """(html, plain) snippet of each link's latest capture text around the query words
    (with in:versions, of the older version that matched when the latest did not)."""
    snaps = latest_done(link_ids)
    out = {pk: _snippet(snap.text, query) for pk, snap in snaps.items()}
    for pk, snap in older_matches(link_ids, query).items():
        out[pk] = _version_snippet(snap, query)
    return out


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
    older = older_matches(ids, query)
    hits = []
    for pk, score in rows:
        link = links.get(pk)
        if link is None:
            continue
        snap = snaps.get(pk)
        title = link.title or (snap.title if snap else "") or link.url
        old = older.get(pk)
        if old is not None:
            html, text = _version_snippet(old, query)
        else:
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
                version=old.version if old else None,
                matched_snapshot_id=old.pk if old else None,
            )
        )
    return hits
