"""Tag suggestions on the link page: shown lazily, accepted with one click.

The link page asks for the suggestions after it has loaded (htmx, `hx-trigger="load"`),
so their cost (related links plus the link's term vector) never delays the page; a
capture finishing reloads the page (the status badge's HX-Refresh), which asks again.
Without JavaScript the same GET answers a small page of its own, and accepting is a
plain POST that redirects back to the link page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from snapshelf.library.models import Link, Tag
from snapshelf.related.suggest import suggest_tags
from snapshelf.services import links as door
from snapshelf.web.forms.link import LinkEditForm
from snapshelf.web.views.links import TABS, _back, _owned_link

#: How many suggestions the link page offers.
LIMIT = 5
PARTIAL = "snapshelf/links/_tag_suggestions.html"


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(request: HttpRequest, link: Link, params, added: list[str]) -> dict:
    v, tab = params.get("v", ""), params.get("tab", "")
    return {
        "link": link,
        "suggestions": suggest_tags(link, limit=LIMIT),
        "added": added,
        "v": v if v.isdigit() else "",
        "tab": tab if tab in TABS and tab != "reader" else "",
    }


@login_required
@require_GET
def link_tag_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """The suggestions block (htmx), or a page holding it (no JavaScript)."""
    link = _owned_link(request, pk)
    context = _context(request, link, request.GET, [])
    if _htmx(request):
        return render(request, PARTIAL, context)
    return render(request, "snapshelf/links/tag_suggestions.html", context)


@login_required
@require_POST
def link_tag_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Add one of the owner's existing tags to the link (a suggestion accepted).

    htmx gets the suggestions block again (the accepted tag listed as added) and, out of
    band, the edit form's tags field, so saving that form later keeps the new tag.
    """
    link = _owned_link(request, pk)
    name = " ".join(request.POST.get("tag", "").split())
    tag = Tag.objects.filter(owner=request.user, name__iexact=name).first() if name else None
    if tag is None:
        error = _("No such tag: “%(name)s”.") % {"name": name[:100]}
        if _htmx(request):
            return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
        messages.error(request, error)
        return redirect(_back(request, link))
    door.add_tags(request.user, link, [tag.name])  # the search signals reindex the link
    names = [t.name for t in link.tags.all()]
    if not _htmx(request):
        messages.success(request, _("Added the tag “%(name)s”.") % {"name": tag.name})
        return redirect(_back(request, link))
    have = {n.casefold() for n in names}
    earlier = [n for n in request.POST.getlist("added") if n.casefold() in have]
    added = list(dict.fromkeys([*earlier, tag.name]))
    html = render_to_string(PARTIAL, _context(request, link, request.POST, added), request)
    field = LinkEditForm.for_link(link, names)["tags"]
    html += field.as_widget(attrs={"hx-swap-oob": "true"})
    return HttpResponse(html)
