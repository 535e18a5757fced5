"""The door for highlights: make, edit, delete and list a reader's highlights of one of
their links, and anchor them again on the latest version. Someone else's link or
highlight is DoesNotExist, exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from snapshelf.library.models import Snapshot
from snapshelf.reading import highlights as records
from snapshelf.reading.models import CONTEXT, MAX_EXACT, MAX_NOTE, Highlight
from snapshelf.search.index import reindex_links
from snapshelf.services.links import get_link

COLORS = frozenset(Highlight.Color.values)


class InvalidHighlight(ValueError):
    """The request cannot make a highlight; `message` says why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class HighlightDraft:
    """What the reader selected (the selectors) and how they want it kept."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int = 0
    end: int = 0
    color: str = Highlight.Color.YELLOW
    note: str = ""
    snapshot_id: int | None = None


def _check_color(color: str) -> str:
    if color not in COLORS:
        raise InvalidHighlight(_("Unknown highlight colour."))
    return color


def _check_note(note: str) -> str:
    if len(note) > MAX_NOTE:
        raise InvalidHighlight(
            _("The note is too long (at most %(n)d characters).") % {"n": MAX_NOTE}
        )
    return note


def list_highlights(owner: AbstractBaseUser, link_id: int) -> list[Highlight]:
    """The owner's highlights of their link (Link.DoesNotExist for anyone else's)."""
    return records.for_link(get_link(owner, link_id))


def create_highlight(owner: AbstractBaseUser, link_id: int, draft: HighlightDraft) -> Highlight:
    """Keep a highlight of the link's reader text; InvalidHighlight when the draft is bad."""
    link = get_link(owner, link_id)
    if not draft.exact.strip():
        raise InvalidHighlight(_("Select some text to highlight."))
    if len(draft.exact) > MAX_EXACT:
        raise InvalidHighlight(
            _("A highlight holds at most %(n)d characters; select less.") % {"n": MAX_EXACT}
        )
    if draft.start < 0 or draft.end < draft.start:
        raise InvalidHighlight(_("The selection's position is not valid."))
    snap = None
    if draft.snapshot_id is not None:
        snap = Snapshot.objects.filter(pk=draft.snapshot_id, link_id=link.pk).first()
        if snap is None:
            raise InvalidHighlight(_("That version of the page does not exist."))
    with transaction.atomic():
        highlight = Highlight.objects.create(
            owner=owner,
            link=link,
            snapshot=snap,
            anchored=snap,
            exact=draft.exact,
            prefix=draft.prefix[-CONTEXT:],
            suffix=draft.suffix[:CONTEXT],
            start=draft.start,
            end=draft.end,
            color=_check_color(draft.color),
            note=_check_note(draft.note),
        )
        reindex_links([link.pk])
    return highlight


def _owned(owner: AbstractBaseUser, link_id: int, highlight_id: int) -> Highlight:
    return Highlight.objects.get(pk=highlight_id, link_id=link_id, owner_id=owner.pk)


def edit_highlight(
    owner: AbstractBaseUser,
    link_id: int,
    highlight_id: int,
    *,
    note: str | None = None,
    color: str | None = None,
) -> Highlight:
    """Change a highlight's note and/or colour (Highlight.DoesNotExist if not theirs)."""
    highlight = _owned(owner, link_id, highlight_id)
    fields = []
    if note is not None:
        highlight.note = _check_note(note)
        fields.append("note")
    if color is not None:
        highlight.color = _check_color(color)
        fields.append("color")
    if fields:
        with transaction.atomic():
            highlight.save(update_fields=[*fields, "updated"])
            reindex_links([link_id])
    return highlight


def delete_highlight(owner: AbstractBaseUser, link_id: int, highlight_id: int) -> None:
    """Delete one of the owner's highlights (Highlight.DoesNotExist if not theirs)."""
    highlight = _owned(owner, link_id, highlight_id)
    with transaction.atomic():
        highlight.delete()
        reindex_links([link_id])


def reanchor(owner: AbstractBaseUser, link_id: int) -> tuple[int, int]:
    """Anchor the link's highlights on its latest finished version again; (re-attached,
    orphaned). A capture's commit does this by itself; this verb is for a link whose
    versions changed otherwise (a version deleted)."""
    link = get_link(owner, link_id)
    snap = (
        Snapshot.objects.filter(link_id=link.pk, status=Snapshot.Status.DONE)
        .order_by("-id")
        .only("id", "readable_html")
        .first()
    )
    if snap is None:
        return 0, 0
    with transaction.atomic():
        return records.reattach(link.pk, snap.pk, snap.readable_html)
