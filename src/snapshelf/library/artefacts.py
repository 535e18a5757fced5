"""What a snapshot's stored bytes are served as: replay resources, the single-file HTML,
the reader's images, and the browser's screenshot and PDF.

Shared by the web views and the CLI's `download`; access control is the caller's job.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import unquote, urldefrag

import lxml.html
from django.db.models import Q

from snapshelf.capture.classify import image_mime
from snapshelf.capture.singlefile import inline
from snapshelf.library.models import Resource, Snapshot
from snapshelf.storage import BlobNotFound, get_blob_store


def find_resource(snap: Snapshot, key: str) -> Resource | None:
    """The resource a replay key names, looked up only within this snapshot."""
    return (
        Resource.objects.filter(snapshot=snap)
        .filter(Q(replay_blob_id=key) | Q(replay_blob__isnull=True, blob_id=key))
        .first()
    )


#: Types a browser renders as a document able to run script. Captured bytes are served as
#: one of these only when Snapshelf rewrote them for replay (scripts removed); the site's
#: label alone never makes raw bytes a document on the application's origin.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/xml",
        "application/xml",
        "text/xsl",
        "application/xslt+xml",
        "multipart/x-mixed-replace",
    }
)
OCTET_STREAM = "application/octet-stream"


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def served_content_type(res: Resource) -> str:
    if res.kind == Resource.Kind.STYLESHEET or res.content_type == "text/css":
        return "text/css; charset=utf-8"  # nosniff refuses stylesheets of any other type
    content_type = res.content_type or OCTET_STREAM
    if _media(content_type) in ACTIVE_TYPES and not res.replay_blob_id:
        return "text/plain; charset=utf-8"  # shown as source, never run
    return content_type


def _document_blob(snap: Snapshot) -> str:
    if not snap.original_blob_id:  # a failed or half-recorded capture
        raise BlobNotFound(f"snapshot {snap.pk} stored no document")
    return snap.original_blob_id


def root_content(snap: Snapshot) -> tuple[bytes, str]:
    """The document served as the archived page, and its content type."""
    store = get_blob_store()
    if snap.root_blob_id:
        return store.get(snap.root_blob_id), "text/html; charset=utf-8"
    body = store.get(_document_blob(snap))
    return body, _document_type(snap, body)


def _document_type(snap: Snapshot, body: bytes) -> str:
    """What a document without a rewritten copy is served as: the kind the capture
    detected, not the site's label (a PDF or NUL-prefixed bytes labelled text/html must
    not become an HTML document here). Only OCTET_STREAM is sent as an attachment."""
    labelled = snap.content_type or OCTET_STREAM
    if snap.kind == "text":
        return f"text/plain; charset={snap.charset or 'utf-8'}"
    if snap.kind == "pdf":
        return "application/pdf"
    if snap.kind == "image":
        return image_mime(body) or (
            labelled if _media(labelled).startswith("image/") else OCTET_STREAM
        )
    if snap.kind == "html":  # HTML that was not rewritten: its source, never the page
        return "text/plain; charset=utf-8"
    active = _media(labelled) in ACTIVE_TYPES or _media(labelled).endswith("+xml")
    # "other" (and rows from before kinds were kept): unknown bytes, downloaded
    return OCTET_STREAM if active or _media(labelled).startswith("text/") else labelled


def single_file_html(snap: Snapshot) -> bytes:
    """The snapshot as one HTML file with every resource inlined as data: URLs."""
    store = get_blob_store()
    if not snap.root_blob_id:
        return store.get(_document_blob(snap))

    def load(key: str) -> tuple[str, bytes] | None:
        res = find_resource(snap, key)
        if res is None:
            return None
        try:
            return served_content_type(res).split(";")[0], store.get(key)
        except BlobNotFound:
            return None

    return inline(store.get(snap.root_blob_id).decode("utf-8"), load).encode("utf-8")


#: The browser's artefacts of a snapshot: the field holding each one's blob.
BROWSER_ARTEFACTS = {"screenshot": "screenshot_blob_id", "pdf": "pdf_blob_id"}


def browser_artefact(snap: Snapshot, name: str) -> bytes:
    """The snapshot's full-page screenshot (PNG) or PDF; BlobNotFound when the capture
    made none (only a browser capture does) or its bytes are gone."""
    sha = getattr(snap, BROWSER_ARTEFACTS[name])
    if not sha:
        raise BlobNotFound(f"snapshot {snap.pk} has no {name}: only a browser capture makes one")
    return get_blob_store().get(sha)


#: Content types an <img> in the reader may be pointed at (never a stored document).
_IMAGE_TYPES = ("image/",)


def _url_key(url: str) -> str:
    """Compare addresses without fragment or percent-encoding differences: the reader's
    sanitised HTML and the capture's resource rows spell the same URL differently."""
    return unquote(urldefrag(url.strip())[0])


def stored_images(snap: Snapshot) -> dict[str, str]:
    """Original image address (as `_url_key`) → replay key, for each image this snapshot
    holds bytes of; what the reader view may show without asking the original site."""
    rows = (
        Resource.objects.filter(snapshot=snap, blob__isnull=False)
        .filter(Q(kind=Resource.Kind.IMAGE) | Q(content_type__startswith=_IMAGE_TYPES[0]))
        .values_list("url", "blob_id", "replay_blob_id")
    )
    return {_url_key(url): replay or blob for url, blob, replay in rows}


def localize_images(
    html: str,
    stored: dict[str, str],
    url_for: Callable[[str], str],
    missing_label: str,
) -> str:
    """Point every <img> of sanitised reader HTML at the snapshot's stored copy.

    An image the capture did not keep becomes a visible placeholder (its alt text kept):
    reading a snapshot must never contact the original site, which would leak what is
    being read and break once the site is gone."""
    if "<img" not in html:
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for img in list(root.iter("img")):
        key = stored.get(_url_key(img.get("src") or ""))
        if key:
            img.set("src", url_for(key))
            img.set("loading", "lazy")
            continue
        alt = (img.get("alt") or "").strip()
        holder = lxml.html.Element("span", {"class": "img-missing", "role": "img"})
        holder.set("aria-label", f"{missing_label}: {alt}" if alt else missing_label)
        holder.text = f"{missing_label}: {alt}" if alt else missing_label
        holder.tail = img.tail
        img.getparent().replace(img, holder)
    inner = [lxml.html.tostring(child, encoding="unicode") for child in root]
    return (root.text and escape(root.text) or "") + "".join(inner)
