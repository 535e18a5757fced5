"""What visitors without an account may see: public profiles, public and unlisted links.

Only links whose owner made them public (listed on the profile, at /u/<nickname>/<id>/)
or unlisted (reachable only at /shared/<random token>/, so counting ids finds nothing)
are shown; private and missing links answer the same 404. Notes and tags are never
shown here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from snapshelf.accounts.models import FormerNickname, Profile
from snapshelf.library.models import Link, Snapshot
from snapshelf.related.links import related_links
from snapshelf.services.listing import add_hosts
from snapshelf.web.archive import app_page, archive_url, reader_html

PAGE_SIZE = 50
SHARED = (Link.Visibility.UNLISTED, Link.Visibility.PUBLIC)

#: Columns a public listing row needs; everything else (note, text, HTML) stays unloaded.
_ROW_FIELDS = (
    "id",
    "owner_id",
    "url",
    "title",
    "created",
    "visibility",
    "latest_snapshot__id",
    "latest_snapshot__title",
    "latest_snapshot__site_name",
)


class Renamed(Exception):  # noqa: N818 - a signal to redirect, not an error
    """The nickname in the address is one the profile had before."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile


def profile_for_nickname(nickname: str, *, follow: bool = False) -> Profile:
    """The profile with this nickname; nicknames are unique ignoring case, so /u/Alice/
    finds alice (the exact spelling wins should an operator have made two). With `follow`,
    Renamed when it is a nickname the profile had before (and nobody has taken since)."""
    profiles = Profile.objects.select_related("user")
    found = profiles.filter(nickname=nickname).first()
    found = found or profiles.filter(nickname__iexact=nickname).order_by("pk").first()
    if found is None and follow:
        former = (
            FormerNickname.objects.filter(nickname__iexact=nickname)
            .select_related("profile__user")
            .first()
        )
        if former is not None:
            raise Renamed(former.profile)
    if found is None:
        raise Http404("no such profile")
    return found


def follows_renames(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """/u/<old nickname>/… answers with a permanent redirect to the same page under the
    current nickname, so addresses shared before a rename keep working."""

    @wraps(view)
    def wrapped(request: HttpRequest, nickname: str, **kwargs: object) -> HttpResponse:
        try:
            return view(request, nickname, **kwargs)
        except Renamed as renamed:
            match = request.resolver_match
            url = reverse(
                match.url_name, kwargs={**match.kwargs, "nickname": renamed.profile.nickname}
            )
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(url + (f"?{query}" if query else ""))

    return wrapped


@app_page
@follows_renames
def profile(request: HttpRequest, nickname: str) -> HttpResponse:
    """A user's public links, newest first, PAGE_SIZE a page."""
    owner = profile_for_nickname(nickname, follow=True)
    links = (
        Link.objects.filter(owner=owner.user, visibility=Link.Visibility.PUBLIC)
        .select_related("latest_snapshot")
        .only(*_ROW_FIELDS)
        .order_by("-created", "-id")
    )
    page = Paginator(links, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "owner": owner,
        "page": page,
        "links": add_hosts(list(page.object_list)),
        "count": page.paginator.count,
    }
    return render(request, "snapshelf/public/profile.html", context)


def _public_link(owner: Profile, pk: int) -> Link:
    """A public link by its sequential address; an unlisted one is not found here, or
    anyone could find every unlisted link by counting."""
    link = (
        Link.objects.filter(pk=pk, owner=owner.user, visibility=Link.Visibility.PUBLIC)
        .select_related("latest_snapshot")
        .defer("note")
        .first()
    )
    if link is None:
        raise Http404("no such shared link")
    return link


def _latest_done(link: Link) -> Snapshot | None:
    return link.snapshots.filter(status=Snapshot.Status.DONE).order_by("-version").first()


def _public_related(link: Link) -> list[Link]:
    """Related links that are themselves public; checked again here, whatever the scorer does."""
    found = related_links(link, public_only=True, limit=5)
    return [
        r.link
        for r in found
        if r.link.owner_id == link.owner_id
        and r.link.visibility == Link.Visibility.PUBLIC
        and r.link.pk != link.pk
    ]


@app_page
@follows_renames
def link_page(request: HttpRequest, nickname: str, pk: int) -> HttpResponse:
    """A public link: reader view, the archived page in a sandboxed frame, related links."""
    owner = profile_for_nickname(nickname, follow=True)
    return _render_shared(request, owner, _public_link(owner, pk))


@app_page
@require_GET
def shared_link(request: HttpRequest, secret: str) -> HttpResponse:
    """A link by its secret share address (unlisted or public); a new address kills it."""
    link = (
        Link.objects.filter(share_token=secret, visibility__in=SHARED)
        .select_related("latest_snapshot", "owner__profile")
        .defer("note")
        .first()
    )
    if link is None or not secret:
        raise Http404("no such shared link")
    return _render_shared(request, link.owner.profile, link)


def _render_shared(request: HttpRequest, owner: Profile, link: Link) -> HttpResponse:
    snap = _latest_done(link)
    view = "archive" if request.GET.get("view") == "archive" else "reader"
    context = {
        "owner": owner,
        "link": link,
        "snap": snap,
        "view": view,
        "url_is_http": link.url.lower().startswith(("http://", "https://")),
        "unlisted": link.visibility == Link.Visibility.UNLISTED,
        "reader_html": reader_html(snap, snap.final_url or link.url) if snap else "",
        "archive_src": archive_url(snap.pk) if snap and view == "archive" else "",
        "related": add_hosts(_public_related(link)),
    }
    response = render(request, "snapshelf/public/link.html", context)
    if context["unlisted"]:
        response["X-Robots-Tag"] = "noindex"
    return response
