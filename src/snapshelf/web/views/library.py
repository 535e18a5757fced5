"""The library (home): add box, list, filters, bulk actions."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from snapshelf.capture.normalize import normalize_url
from snapshelf.library.artefacts import served_content_type
from snapshelf.library.models import Link, Resource, Tag
from snapshelf.library.records import links_for, url_hash
from snapshelf.services import bulk, quota, reading
from snapshelf.services.links import save_link
from snapshelf.services.listing import (
    Filters,
    add_hosts,
    page_of,
    search_page,
    tag_counts,
    with_row_data,
)
from snapshelf.storage import BlobNotFound, get_blob_store
from snapshelf.web.archive import app_page, protect
from snapshelf.web.context import THEME_COOKIE, THEMES
from snapshelf.web.forms.library import BULK_LABELS, AddLinkForm, BulkForm


def _flag_label(flag: str) -> str:
    return {
        "unread": _("Unread"),
        "favorite": _("Favourites"),
        "archived": _("Archived"),
        "public": _("Public"),
        "changed": _("Changed"),
    }[flag]


def _query(f: Filters, **change) -> str:
    """The query string for `f` with some parts changed (page resets unless given)."""
    parts = {"tag": f.tags, "is": f.flags, "sort": f.sort, "q": f.q, "page": 1}
    parts.update(change)
    pairs = []
    for key, value in parts.items():
        for v in value if isinstance(value, list) else [value]:
            if v and not (key == "sort" and v == f.default_sort) and not (key == "page" and v == 1):
                pairs.append((key, v))
    return "?" + urlencode(pairs) if pairs else "?"


def _chips(f: Filters) -> list[dict]:
    chips = [
        {
            "label": _("Tag: %(name)s") % {"name": t},
            "url": _query(f, tag=[x for x in f.tags if x != t]),
        }
        for t in f.tags
    ]
    chips += [
        {"label": _flag_label(x), "url": _query(f, **{"is": [y for y in f.flags if y != x]})}
        for x in f.flags
    ]
    if f.q:
        chips.append({"label": _("Search: %(q)s") % {"q": f.q}, "url": _query(f, q="")})
    return chips


def _row_links(owner, pk: int) -> Link:
    link = with_row_data(links_for(owner).filter(pk=pk)).first()
    if link is None:
        raise Http404("no such link")
    return add_hosts([link])[0]


def _sidebar_tags(owner, f: Filters) -> list:
    tags = list(tag_counts(owner))
    for tag in tags:
        tag.filter_url = _query(f, tag=[*f.tags, tag.name]) if tag.name not in f.tags else None
    return tags


def _current_filters(request: HttpRequest) -> Filters:
    """The filters of the library page an htmx request came from (HX-Current-URL)."""
    query = urlsplit(request.headers.get("HX-Current-URL", "")).query
    return Filters.from_query(QueryDict(query))


@app_page
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    f = Filters.from_query(request.GET)
    hints: list[str] = []
    if f.q:
        links, has_next, hints = search_page(request.user, f)
    else:
        links, has_next = page_of(request.user, f)
    flags = [
        {
            "name": x,
            "label": _flag_label(x),
            "active": x in f.flags,
            "url": _query(f, **{"is": [*f.flags, x]}),
        }
        for x in ("unread", "favorite", "archived", "public", "changed")
    ]
    tags = _sidebar_tags(request.user, f)
    return render(
        request,
        "snapshelf/library/home.html",
        {
            "nav": "library",
            "links": links,
            "continue_reading": _continue_reading(request.user, f),
            "ebook_tag": _ebook_tag(tags, f),
            "filters": f,
            "chips": _chips(f),
            "search_hints": hints,
            "tags": tags,
            "flags": flags,
            "add_form": AddLinkForm(),
            "bulk_actions": list(BULK_LABELS.items()),
            "sorts": [("relevance", _("Relevance"))] * bool(f.q)
            + [("newest", _("Newest")), ("oldest", _("Oldest")), ("title", _("Title"))],
            "prev_url": _query(f, page=f.page - 1) if f.page > 1 else None,
            "next_url": _query(f, page=f.page + 1) if has_next else None,
        },
    )


def _continue_reading(owner, f: Filters) -> list[Link]:  # noqa: ANN001
    """Links started and not finished, on the plain first page of the library only."""
    if f.q or f.tags or f.flags or f.page > 1:
        return []
    return reading.continue_reading(owner)


def _ebook_tag(tags: list[Tag], f: Filters) -> int | None:
    """The one tag the list is filtered by (its e-book is offered), else None; found
    among the sidebar's tags, already read."""
    if len(f.tags) != 1 or f.q:
        return None
    wanted = f.tags[0].casefold()
    return next((tag.pk for tag in tags if tag.name.casefold() == wanted), None)


def _already_saved(owner, url: str) -> Link | None:
    """The owner's link with this address (as normalised), if they saved it before."""
    return links_for(owner).filter(url_hash=url_hash(normalize_url(url))).first()


@login_required
@require_POST
def link_add(request: HttpRequest) -> HttpResponse:
    form = AddLinkForm(request.POST)
    htmx = request.headers.get("HX-Request") == "true"
    saved = known = None
    if form.is_valid():
        known = _already_saved(request.user, form.cleaned_data["url"])
    if known is not None and request.POST.get("again") != "1":
        # ask before taking another snapshot of it
        if not htmx:
            messages.info(request, _("Already saved. “Snapshot again” takes a new snapshot."))
            return redirect("link", pk=known.pk)
        response = render(request, "snapshelf/library/_add_errors.html", {"known": known})
        response["HX-Retarget"] = "#add-errors"
        response["HX-Reswap"] = "outerHTML"
        return response
    if form.is_valid():
        try:
            saved = save_link(
                request.user, form.cleaned_data["url"], tags=form.cleaned_data["tags"]
            )
        except quota.QuotaExceeded as exc:
            form.add_error(None, exc.message)
    if saved is None:
        if htmx:
            response = render(request, "snapshelf/library/_add_errors.html", {"form": form})
            response["HX-Retarget"] = "#add-errors"
            response["HX-Reswap"] = "outerHTML"
            return response
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("home")
    link = saved.link
    if htmx:
        html = ""
        if known is not None:  # re-saved: drop the old row (out-of-band runs first), also
            # when the save joined the link's capture still queued (same version)
            html = f'<li id="link-{link.pk}" hx-swap-oob="delete"></li>'
        html += render_to_string(
            "snapshelf/library/_link_row.html", {"link": _row_links(request.user, link.pk)}, request
        )
        html += render_to_string("snapshelf/library/_add_errors.html", {"oob": True}, request)
        if form.cleaned_data["tags"]:  # new tags appear in the sidebar at once
            tags = _sidebar_tags(request.user, _current_filters(request))
            html += render_to_string(
                "snapshelf/library/_tag_list.html", {"tags": tags, "oob": True}, request
            )
        return HttpResponse(html)
    messages.success(request, _("Saved. The snapshot is being taken."))
    return redirect("home")


@login_required
@require_GET
def link_row(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "snapshelf/library/_link_row.html", {"link": _row_links(request.user, pk)}
    )


_FALLBACK_ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<circle cx="8" cy="8" r="6.5" fill="none" stroke="#8a8f98" stroke-width="1.5"/>'
    b'<path d="M1.5 8h13M8 1.5c2.2 2 2.2 11 0 13M8 1.5c-2.2 2-2.2 11 0 13" fill="none" '
    b'stroke="#8a8f98" stroke-width="1.2"/></svg>'
)


@login_required
@require_GET
def link_favicon(request: HttpRequest, pk: int) -> HttpResponse:
    link = links_for(request.user).filter(pk=pk).select_related("latest_snapshot").first()
    if link is None:
        raise Http404("no such link")
    snap = link.latest_snapshot
    icon = None
    if snap and snap.status == "done":
        icon = (
            Resource.objects.filter(snapshot=snap, kind=Resource.Kind.ICON, blob__isnull=False)
            .order_by("id")
            .first()
        )
    if icon is not None:
        try:
            response = HttpResponse(
                get_blob_store().get(icon.blob_id), content_type=served_content_type(icon)
            )
        except BlobNotFound:
            icon = None
    if icon is None:
        response = HttpResponse(_FALLBACK_ICON, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return protect(response)


@login_required
@require_POST
def links_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = "/"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    if data["action"] == "delete" and not data["confirm"]:
        count = bulk.owned(request.user, data["ids"]).count()
        if not count:
            raise Http404("no such links")
        return render(
            request,
            "snapshelf/library/confirm_delete.html",
            {
                "nav": "library",
                "ids": bulk.owned(request.user, data["ids"]).values_list("pk", flat=True),
                "count": count,
                "back": back,
            },
        )
    try:
        count = bulk.apply(request.user, data["ids"], data["action"], data.get("tags") or [])
    except quota.QuotaExceeded as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(action)s: %(count)d link.", "%(action)s: %(count)d links.", count)
        % {"action": BULK_LABELS[data["action"]], "count": count},
    )
    return redirect(back)


@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    """Light, dark or the system's theme, kept in a cookie (a look, not account data, so
    it works before logging in too); back to the page the form was on."""
    theme = request.POST.get("theme", "system")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("home")
    response = redirect(target)
    if theme in THEMES and theme != "system":
        response.set_cookie(THEME_COOKIE, theme, max_age=365 * 86400, samesite="Lax")
    else:
        response.delete_cookie(THEME_COOKIE, samesite="Lax")
    return response
