"""The tags page: counts, rename, merge, delete, and the tag suggestions for tag fields."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from snapshelf.library.models import Tag
from snapshelf.services import tags as tag_ops
from snapshelf.web.archive import app_page

# Fields a tag input may be named; the suggest endpoint reads whichever is present,
# so an input can point hx-get at it without renaming itself to "q".
_SUGGEST_FIELDS = ("q", "tags", "into", "name")


def _list_query(data) -> str:
    """The query string keeping the filter and sort the user was looking at (GET or POST)."""
    q = str(data.get("q", "")).strip()[:100]
    parts = [("q", q)] if q else []
    if data.get("sort") == "count":
        parts.append(("sort", "count"))
    return "?" + urlencode(parts) if parts else ""


def _list_url(data) -> str:
    return reverse("tags") + _list_query(data)


def _own_tag(request: HttpRequest, pk: int) -> Tag:
    return get_object_or_404(Tag, pk=pk, owner=request.user)


@app_page
@login_required
@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", "name")
    sort = sort if sort in tag_ops.SORTS else "name"
    tags = list(tag_ops.tags_with_counts(request.user, q=q, sort=sort))
    context = {
        "nav": "tags",
        "tags": tags,
        "q": q,
        "sort": sort,
        "list_query": _list_query(request.GET),
    }
    return render(request, "snapshelf/tags/list.html", context)


@login_required
@require_POST
def tag_rename(request: HttpRequest, pk: int) -> HttpResponse:
    tag = _own_tag(request, pk)
    try:
        result = tag_ops.rename_tag(request.user, tag, request.POST.get("name", ""))
    except tag_ops.TagNameError:
        messages.error(
            request, _("Give the tag one name (a tag name cannot be empty or contain commas).")
        )
        return redirect(_list_url(request.POST))
    names = {"old": result.old_name, "new": result.tag.name}
    if result.merged:
        messages.success(
            request, _("“%(new)s” already existed, so “%(old)s” was merged into it.") % names
        )
    elif names["old"] != names["new"]:
        messages.success(request, _("Renamed “%(old)s” to “%(new)s”.") % names)
    return redirect(_list_url(request.POST))


def _ids(request: HttpRequest) -> list[int]:
    try:
        return [int(x) for x in request.POST.getlist("ids")]
    except ValueError as exc:
        raise Http404("bad tag id") from exc


@login_required
@require_POST
def tags_merge(request: HttpRequest) -> HttpResponse:
    ids = _ids(request)
    sources = tag_ops.owned_tags(request.user, ids)
    if sources is None:
        raise Http404("no such tag")
    if not sources:
        messages.error(request, _("Select the tags to merge first."))
        return redirect(_list_url(request.POST))
    try:
        target = tag_ops.merge_tags(request.user, sources, request.POST.get("into", ""))
    except tag_ops.TagNameError:
        messages.error(request, _("Give one tag name to merge the selected tags into."))
        return redirect(_list_url(request.POST))
    merged = len([t for t in sources if t.pk != target.pk])
    messages.success(
        request,
        ngettext(
            "Merged %(count)d tag into “%(name)s”.",
            "Merged %(count)d tags into “%(name)s”.",
            merged,
        )
        % {"count": merged, "name": target.name},
    )
    return redirect(_list_url(request.POST))


@login_required
@require_http_methods(["GET", "POST"])
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tag = _own_tag(request, pk)
    if request.method == "POST":
        name = tag.name
        tag_ops.delete_tag(request.user, tag)
        messages.success(request, _("Deleted the tag “%(name)s”; its links stay.") % {"name": name})
        return redirect(_list_url(request.POST))
    context = {
        "nav": "tags",
        "tag": tag,
        "count": tag_ops.link_count(tag),
        "back": _list_url(request.GET),
        "q": request.GET.get("q", ""),
        "sort": request.GET.get("sort", ""),
    }
    return render(request, "snapshelf/tags/confirm_delete.html", context)


@login_required
@require_GET
def tag_suggest(request: HttpRequest) -> HttpResponse:
    """<option> elements for a <datalist>: the owner's tags completing what was typed."""
    q = next((request.GET[f] for f in _SUGGEST_FIELDS if f in request.GET), "")
    values = tag_ops.suggest(request.user, q)
    return render(request, "snapshelf/tags/_suggest.html", {"values": values})
