"""What the index tells about its documents: counts, document frequencies, positions.

Related articles and tag suggestions weigh terms with these (TF-IDF), and ranking
uses document frequencies to tell broad queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from snapshelf.search.backends import get_backend


def doc_count() -> int:
    """How many documents the index holds (all owners)."""
    return get_backend().doc_count()


def df(tokens: Iterable[str]) -> dict[str, int]:
    """Document frequency of each analyzed token over the whole index (0 when absent)."""
    toks = list(dict.fromkeys(tokens))
    out = dict.fromkeys(toks, 0)
    if toks:
        out.update(get_backend().df(toks))
    return out


def compact_df() -> bool:
    """Fold the backend's pending document-frequency changes in (PostgreSQL's trigger
    log); False when there was nothing to do or another process is doing it."""
    return get_backend().compact_df()


def tidy() -> None:
    """Periodic upkeep after bursts of writes (an import, a queue of captures): pending
    statistics folded in, pending index entries merged."""
    backend = get_backend()
    backend.compact_df()
    backend.merge_pending()


def adjacent_pairs(link_id: int, terms: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs (a, b) of these terms where b directly follows a in the link's indexed title
    or body: which CJK bigrams a related-articles reason may show as one run."""
    wanted = set(terms)
    return get_backend().adjacent_pairs(link_id, wanted) if wanted else set()


def indexed_texts(link_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(analyzed title, body) of these links where the index keeps them (SQLite), so
    callers need not analyze the captures again; the others are left out."""
    return get_backend().indexed_texts(link_ids) if link_ids else {}


def indexed_ids(after: int, limit: int) -> list[int]:
    """Up to `limit` ids of indexed links above `after`, ascending (a walk over the index)."""
    return get_backend().indexed_ids(after, limit)


def sample_ids(size: int) -> list[int]:
    """A random sample of up to `size` indexed link ids, ascending."""
    return get_backend().sample_ids(size)
