"""A link's highlights as records: listing them, and anchoring them again when a new
version of the page lands (moved text is followed, vanished text is marked orphaned).

Owner checks are the caller's (services.highlights is the door); the capture's commit
calls `reattach` inside its transaction, so a version and its anchors appear together.
"""

from __future__ import annotations

from snapshelf.library.models import Link, Snapshot
from snapshelf.reading.anchor import Quote, locate, reader_text
from snapshelf.reading.models import CONTEXT, Highlight


def for_link(link: Link) -> list[Highlight]:
    """The link's highlights, anchored ones in reading order, then the orphaned ones."""
    return list(Highlight.objects.filter(link_id=link.pk, owner_id=link.owner_id))


def text_of(snap: Snapshot | None) -> str:
    """The reader text of a version (what highlight offsets point into)."""
    if snap is None:
        return ""
    return reader_text(snap.readable_html or "")


def quote_of(highlight: Highlight) -> Quote:
    return Quote(
        exact=highlight.exact,
        prefix=highlight.prefix,
        suffix=highlight.suffix,
        start=highlight.start,
    )


def reattach(link_id: int, snapshot_id: int, readable_html: str) -> tuple[int, int]:
    """Anchor every highlight of the link on its new finished version (`snapshot_id`,
    whose reader HTML is given: the caller just wrote it): found ones take their new
    position and context, the rest are marked orphaned (and keep their last anchor, so
    the version they were found on still shows them). Returns (re-attached, orphaned)."""
    rows = Highlight.objects.filter(link_id=link_id).exclude(
        anchored_id=snapshot_id, orphaned=False
    )
    rows = list(rows)
    if not rows:
        return 0, 0
    text = reader_text(readable_html)
    found = lost = 0
    for h in rows:
        anchor = locate(text, quote_of(h), context_size=CONTEXT)
        if anchor is None:
            lost += 1
            if not h.orphaned:
                h.orphaned = True
                h.save(update_fields=["orphaned"])
            continue
        found += 1
        h.start, h.end, h.exact = anchor.start, anchor.end, anchor.exact
        h.prefix, h.suffix = anchor.prefix, anchor.suffix
        h.anchored_id, h.orphaned = snapshot_id, False
        h.save(update_fields=["start", "end", "exact", "prefix", "suffix", "anchored", "orphaned"])
    return found, lost
