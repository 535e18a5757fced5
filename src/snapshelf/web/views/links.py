"""The link page: reader, archived page, info, versions, editing."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from snapshelf.library import versions as version_list
from snapshelf.library import watch
from snapshelf.library.diff import diff_texts, render_html
from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.notes import render_note
from snapshelf.library.records import snapshot_for
from snapshelf.library.removal import VersionInUse
from snapshelf.related.links import related_links
from snapshelf.services import links as door
from snapshelf.services import quota
from snapshelf.storage import BlobNotFound, get_blob_store
from snapshelf.web.archive import app_page, archive_url, protect, reader_html
from snapshelf.web.forms.link import VISIBILITY_HELP, LinkEditForm
from snapshelf.web.forms.watch import WatchForm
from snapshelf.web.views.highlights import page_context as highlight_context

TABS = ("reader", "archive", "screenshot", "pdf", "info")
LIVE = (Snapshot.Status.QUEUED, Snapshot.Status.RUNNING)
#: The owner's tag names offered as suggestions; a bound keeps the page small.
MAX_TAG_SUGGESTIONS = 500


def page_title(link: Link, versions: list[Snapshot]) -> str:
    """Like Link.display_title, but a queued re-snapshot does not hide the captured title."""
    captured = next((v.title for v in versions if v.title), "")
    return link.title or captured or link.url


def _tab_labels() -> dict[str, str]:
    return {
        "reader": _("Reader"),
        "archive": _("Archived page"),
        "screenshot": _("Screenshot"),
        "pdf": _("PDF"),
        "info": _("Info"),
    }


def _owned_link(request: HttpRequest, pk: int) -> Link:
    try:
        return door.get_link(request.user, pk)
    except Link.DoesNotExist:
        raise Http404("no such link") from None


def _selected_snapshot(link: Link, raw: str | None) -> Snapshot | None:
    """`?v=` if it is a snapshot of this link (404 otherwise), else the latest one; a
    capture that found no change answers with the version it was folded into."""
    if not raw:
        return link.latest_snapshot
    if not raw.isdigit():
        raise Http404("no such version")
    if link.latest_snapshot_id == int(raw):
        return link.latest_snapshot
    snap = Snapshot.objects.filter(pk=int(raw), link=link).first()
    snap = snap or version_list.kept_for(link, int(raw))
    if snap is None:
        raise Http404("no such version")
    return snap


def _owned_snapshot(request: HttpRequest, pk: int, snapshot_id: int) -> Snapshot:
    snap = Snapshot.objects.filter(pk=snapshot_id, link_id=pk, link__owner=request.user).first()
    if snap is None:
        raise Http404("no such snapshot")
    return snap


def _available_tabs(snap: Snapshot | None) -> list[str]:
    tabs = ["reader", "archive"]
    if snap is not None and snap.screenshot_blob_id:
        tabs.append("screenshot")
    if snap is not None and snap.pdf_blob_id:
        tabs.append("pdf")
    return [*tabs, "info"]


def _page_url(link: Link, **params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("link", args=[link.pk]) + (f"?{query}" if query else "")


def _timings(snap: Snapshot) -> list[tuple[str, object]]:
    """Capture timings as (step, milliseconds), in the order the capture recorded them
    (the same dict holds auto mode's notes, shown on their own rows)."""
    timings = snap.timings if isinstance(snap.timings, dict) else {}
    return [
        (key.removesuffix("_ms").replace("_", " "), value)
        for key, value in timings.items()
        if key.endswith("_ms")
    ]


def _tab_context(snap: Snapshot | None, tab: str, link: Link) -> dict:
    """What the selected tab needs; only that tab's data is queried."""
    if snap is None:
        return {}
    if tab == "reader":
        return {"reader_html": reader_html(snap, snap.final_url or link.url)}
    if tab == "archive" and snap.status == Snapshot.Status.DONE:
        return {"archive_src": archive_url(snap.pk)}
    if tab == "info":
        return {
            "resources": snap.resources.select_related("blob").order_by("id"),
            "timings": _timings(snap),
        }
    return {}


def _share_url(request: HttpRequest, link: Link) -> str:
    """The address the owner hands out: the secret one for an unlisted link, the profile's
    one for a public link, none for a private link."""
    if link.visibility == Link.Visibility.UNLISTED:
        return request.build_absolute_uri(reverse("shared-link", args=[link.share_token]))
    if link.visibility == Link.Visibility.PUBLIC:
        nickname = request.user.profile.nickname
        return request.build_absolute_uri(reverse("public-link", args=[nickname, link.pk]))
    return ""


def _render_page(
    request: HttpRequest,
    link: Link,
    snap: Snapshot | None,
    tab: str,
    form: LinkEditForm | None = None,
    status: int = 200,
    watch_form: WatchForm | None = None,
) -> HttpResponse:
    versions = version_list.annotate_versions(
        list(
            link.snapshots.only(
                *("id", "link_id", "version", "status", "created", "finished", "title", "mode"),
                *("force", "changes", "checks", "last_checked"),
            )
        )
    )
    tag_names = [t.name for t in link.tags.all()]
    form_open = form is not None
    if form is None:
        form = LinkEditForm.for_link(link, tag_names)
    v = request.GET.get("v", "")
    tab_labels = _tab_labels()
    context = {
        "link": link,
        "page_title": page_title(link, versions),
        "snap": snap,
        "live": snap is not None and snap.status in LIVE,
        "versions": versions,
        # "What changed" needs two captured versions, not two rows (one may have failed)
        "done_versions": sum(1 for version in versions if version.status == Snapshot.Status.DONE),
        "tab": tab,
        "tabs": [
            {"name": t, "label": tab_labels[t], "url": _page_url(link, v=v, tab=t)}
            for t in _available_tabs(snap)
        ],
        "v": v,
        "tag_names": tag_names,
        "tag_suggestions": Tag.objects.filter(owner=request.user).values_list("name", flat=True)[
            :MAX_TAG_SUGGESTIONS
        ],
        "note_html": mark_safe(render_note(link.note)),  # noqa: S308 - sanitised by nh3
        "form": form,
        "text_fields": [form["title"], form["tags"], form["note"]],
        "visibility_label": link.get_visibility_display(),
        "form_open": form_open,
        "visibility_help": [
            (Link.Visibility(k).label, text) for k, text in VISIBILITY_HELP.items()
        ],
        "share_url": _share_url(request, link),
        "related": related_links(link, limit=5),
        "watch_form": watch_form or WatchForm.for_link(link),
        "watch_open": watch_form is not None,
        "watch_label": watch.describe(link.watch_hours),
        **_tab_context(snap, tab, link),
        **highlight_context(request.user, link),
    }
    return render(request, "snapshelf/links/detail.html", context, status=status)


@app_page
@login_required
@require_GET
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = _owned_link(request, pk)
    snap = _selected_snapshot(link, request.GET.get("v"))
    tab = request.GET.get("tab", "reader")
    if tab not in _available_tabs(snap):
        tab = "reader"
    return _render_page(request, link, snap, tab)


@app_page
@login_required
@require_GET
def link_archive_full(request: HttpRequest, pk: int) -> HttpResponse:
    """The archived page over the whole window, under a one-line bar (the link page's
    frame sits below all the metadata, too small for reading a wide page)."""
    link = _owned_link(request, pk)
    snap = _selected_snapshot(link, request.GET.get("v"))
    if snap is None or snap.status != Snapshot.Status.DONE:
        raise Http404("no archived page")
    context = {
        "link": link,
        "snap": snap,
        "page_title": snap.title or link.display_title,
        "archive_src": archive_url(snap.pk),
        "back_url": _page_url(link, v=request.GET.get("v", ""), tab="archive"),
    }
    return render(request, "snapshelf/links/archive_full.html", context)


@login_required
@require_GET
def link_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The live status badge; once the capture ends, htmx reloads the whole page."""
    link = _owned_link(request, pk)
    snap = _selected_snapshot(link, request.GET.get("v"))
    if snap is None:
        raise Http404("no snapshot")
    live = snap.status in LIVE
    folded = str(snap.pk) != request.GET.get("v", str(snap.pk))  # into an earlier version
    if folded:
        messages.info(
            request, _("No change since v%(n)d: no new version was kept.") % {"n": snap.version}
        )
    response = render(
        request,
        "snapshelf/links/_status.html",
        {"link": link, "snap": snap, "live": live, "folded": folded},
    )
    if not live:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def link_seen(request: HttpRequest, pk: int) -> HttpResponse:
    """The page of a changed watched link posts this once shown: the change was seen, so
    the library stops highlighting the link (GET requests never write)."""
    door.mark_seen(request.user, _owned_link(request, pk))
    return HttpResponse(status=204)


@app_page
@login_required
@require_POST
def link_edit(request: HttpRequest, pk: int) -> HttpResponse:
    link = _owned_link(request, pk)
    form = LinkEditForm(request.POST)
    if not form.is_valid():
        snap = link.latest_snapshot
        return _render_page(request, link, snap, "reader", form=form, status=400)
    door.edit_link(request.user, link, form.changes())
    messages.success(request, _("Saved your changes."))
    return redirect(_back(request, link))


def _back(request: HttpRequest, link: Link) -> str:
    """The link page, keeping the selected version and tab when the form carried them."""
    v = request.POST.get("v", "")
    tab = request.POST.get("tab", "")
    return _page_url(
        link, v=v if v.isdigit() else "", tab=tab if tab in TABS and tab != "reader" else ""
    )


@login_required
@require_POST
def link_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick toggle: mark the link read or unread."""
    link = door.set_unread(
        request.user, _owned_link(request, pk), request.POST.get("unread") == "1"
    )
    messages.success(request, _("Marked unread.") if link.unread else _("Marked read."))
    return redirect(_back(request, link))


@login_required
@require_POST
def link_resnapshot(request: HttpRequest, pk: int) -> HttpResponse:
    link = _owned_link(request, pk)
    try:
        door.snapshot_again(request.user, link, force=request.POST.get("force") == "1")
    except quota.QuotaExceeded as exc:
        messages.error(request, exc.message)
        return redirect("link", pk=link.pk)
    messages.success(request, _("A new snapshot is being taken."))
    return redirect("link", pk=link.pk)


@login_required
@require_POST
def link_share_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret share address; the old one stops working at once."""
    link = door.new_share_address(request.user, _owned_link(request, pk))
    messages.success(request, _("The link has a new share address; the old one no longer works."))
    return redirect(_back(request, link))


@app_page
@login_required
@require_POST
def link_watch(request: HttpRequest, pk: int) -> HttpResponse:
    """Set how often the link is re-captured to look for changes (or stop)."""
    link = _owned_link(request, pk)
    form = WatchForm(request.POST)
    if not form.is_valid():
        snap = link.latest_snapshot
        return _render_page(request, link, snap, "reader", watch_form=form, status=400)
    door.set_watch(request.user, link, form.watch_hours)
    if link.watch_hours:
        every = watch.describe(link.watch_hours)
        messages.success(request, _("Watching for changes: %(every)s.") % {"every": every})
    else:
        messages.success(request, _("No longer watching this link."))
    return redirect(_back(request, link))


@app_page
@login_required
@require_http_methods(["GET", "POST"])
def link_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; only the POST deletes (with every snapshot)."""
    link = _owned_link(request, pk)
    if request.method == "GET":
        return render(request, "snapshelf/links/confirm_delete.html", {"link": link})
    title = link.display_title
    door.delete_link(request.user, link)
    messages.success(request, _("Deleted “%(title)s”.") % {"title": title})
    return redirect("home")


@app_page
@login_required
@require_http_methods(["GET", "POST"])
def version_delete(request: HttpRequest, pk: int, snapshot_id: int) -> HttpResponse:
    """GET asks for confirmation; the POST deletes this one version (the link stays)."""
    snap = _owned_snapshot(request, pk, snapshot_id)
    if request.method == "GET":
        context = {"link": snap.link, "snap": snap, "live": snap.status in LIVE}
        return render(request, "snapshelf/links/confirm_delete_version.html", context)
    try:
        door.delete_version(request.user, snap.pk)
    except VersionInUse:
        messages.error(request, _("This version is still being captured; delete it later."))
        return redirect(_page_url(snap.link, v=snap.pk))
    messages.success(request, _("Deleted version %(n)d.") % {"n": snap.version})
    return redirect("link", pk=pk)


def _blob_response(sha: str | None, content_type: str) -> HttpResponse:
    if not sha:
        raise Http404("not captured")
    try:
        return HttpResponse(get_blob_store().get(sha), content_type=content_type)
    except BlobNotFound:
        raise Http404("missing blob") from None


@login_required
@require_GET
def snapshot_screenshot(request: HttpRequest, pk: int, snapshot_id: int) -> HttpResponse:
    snap = _owned_snapshot(request, pk, snapshot_id)
    response = _blob_response(snap.screenshot_blob_id, "image/png")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return protect(response)


@login_required
@require_GET
def snapshot_pdf(request: HttpRequest, pk: int, snapshot_id: int) -> HttpResponse:
    snap = _owned_snapshot(request, pk, snapshot_id)
    response = _blob_response(snap.pdf_blob_id, "application/pdf")
    return protect(response, attachment=f"snapshot-{snap.pk}-v{snap.version}.pdf")


@login_required
@require_GET
def snapshot_detail(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    """Old snapshot addresses keep working: they open the link page on that version."""
    try:
        snap = snapshot_for(request.user, snapshot_id)
    except Snapshot.DoesNotExist:
        raise Http404("no such snapshot") from None
    params = {"v": snap.pk}
    if request.GET.get("view") in TABS:
        params["tab"] = request.GET["view"]
    return redirect(_page_url(snap.link, **params))


def _version(link: Link, value: str | None) -> Snapshot | None:
    try:
        return link.snapshots.get(pk=int(value)) if value else None
    except (ValueError, Snapshot.DoesNotExist):
        raise Http404("no such version of this link") from None


@app_page
@login_required
@require_GET
def link_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed between two versions (?a=older&b=newer; default: the last two done)."""
    link = _owned_link(request, pk)
    done = list(
        link.snapshots.filter(status=Snapshot.Status.DONE).only("id", "version", "created")
    )  # newest first
    new = _version(link, request.GET.get("b")) or (done[0] if done else None)
    old = _version(link, request.GET.get("a")) or next(
        (s for s in done if new and s.version < new.version), None
    )
    context = {"link": link, "versions": done, "old": old, "new": new, "nav": "library"}
    if old and new:
        old, new = (
            Snapshot.objects.only("id", "version", "created", "title", "text").get(pk=p)
            for p in (old.pk, new.pk)
        )
        diff = diff_texts(old.text, new.text, old_title=old.title, new_title=new.title)
        context.update(
            old=old,
            new=new,
            diff=diff,
            diff_html=mark_safe(render_html(diff)),  # noqa: S308 - escaped by render_html
        )
    return render(request, "snapshelf/links/diff.html", context)
