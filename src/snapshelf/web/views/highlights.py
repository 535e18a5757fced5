"""Highlights of a link's reader view, as small JSON endpoints the reader's script calls
(CSRF-protected POSTs; someone else's link or highlight is a 404 like a missing one)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from snapshelf.library.models import Link
from snapshelf.reading.models import Highlight
from snapshelf.services import highlights as door
from snapshelf.services.links import get_link
from snapshelf.web.jsonbody import BadRequest, json_body

#: A request body larger than this is not a highlight (the passage is capped far below).
MAX_BODY = 64 * 1024


def highlight_json(h: Highlight) -> dict:
    """What the page's script knows of a highlight."""
    return {
        "id": h.pk,
        "exact": h.exact,
        "prefix": h.prefix,
        "suffix": h.suffix,
        "start": h.start,
        "end": h.end,
        "color": h.color,
        "note": h.note,
        "orphaned": h.orphaned,
        "snapshot_id": h.snapshot_id,
        "anchored_id": h.anchored_id,
    }


def page_context(owner, link: Link) -> dict:
    """What the link page needs to list and paint the link's highlights. Their JSON goes
    in a data- attribute (escaped by the template), not a <script> element: nothing that
    looks like a script reaches the page's main part."""
    rows = door.list_highlights(owner, link.pk)
    return {
        "highlights": rows,
        "highlights_json": json.dumps([highlight_json(h) for h in rows], ensure_ascii=False),
        "highlight_colors": Highlight.Color.choices,
    }


def _body(request: HttpRequest) -> dict:
    return json_body(request, MAX_BODY)


def _text(data: dict, name: str, default: str | None = "") -> str | None:
    value = data.get(name, default)
    if value is None or isinstance(value, str):
        return value
    raise BadRequest(_("“%(name)s” must be text.") % {"name": name})


def _int(data: dict, name: str, *, optional: bool = False) -> int | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(_("“%(name)s” must be a whole number.") % {"name": name})
    return value


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _not_found() -> JsonResponse:
    return _error(_("Not found."), status=404)


@login_required
@require_http_methods(["GET", "POST"])
def link_highlights(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: the link's highlights. POST: make one from the reader's selection."""
    try:
        link = get_link(request.user, pk)
        if request.method == "GET":
            rows = door.list_highlights(request.user, link.pk)
            return JsonResponse({"highlights": [highlight_json(h) for h in rows]})
        data = _body(request)
        draft = door.HighlightDraft(
            exact=_text(data, "exact") or "",
            prefix=_text(data, "prefix") or "",
            suffix=_text(data, "suffix") or "",
            start=_int(data, "start") or 0,
            end=_int(data, "end") or 0,
            color=_text(data, "color") or Highlight.Color.YELLOW,
            note=_text(data, "note") or "",
            snapshot_id=_int(data, "snapshot_id", optional=True),
        )
        highlight = door.create_highlight(request.user, link.pk, draft)
    except Link.DoesNotExist:
        return _not_found()
    except BadRequest as exc:
        return _error(str(exc))
    except door.InvalidHighlight as exc:
        return _error(exc.message)
    return JsonResponse(highlight_json(highlight), status=201)


@login_required
@require_POST
def highlight_edit(request: HttpRequest, pk: int) -> JsonResponse:
    """Change a highlight's note and/or colour: {"id", "note"?, "color"?}."""
    try:
        link = get_link(request.user, pk)
        data = _body(request)
        highlight = door.edit_highlight(
            request.user,
            link.pk,
            _int(data, "id") or 0,
            note=_text(data, "note", None),
            color=_text(data, "color", None),
        )
    except (Link.DoesNotExist, Highlight.DoesNotExist):
        return _not_found()
    except BadRequest as exc:
        return _error(str(exc))
    except door.InvalidHighlight as exc:
        return _error(exc.message)
    return JsonResponse(highlight_json(highlight))


@login_required
@require_POST
def highlight_delete(request: HttpRequest, pk: int) -> JsonResponse:
    """Delete a highlight: {"id"}."""
    try:
        link = get_link(request.user, pk)
        door.delete_highlight(request.user, link.pk, _int(_body(request), "id") or 0)
    except (Link.DoesNotExist, Highlight.DoesNotExist):
        return _not_found()
    except BadRequest as exc:
        return _error(str(exc))
    return JsonResponse({"deleted": True})
