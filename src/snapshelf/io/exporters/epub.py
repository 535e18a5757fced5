"""E-books (EPUB 3): one article, or the newest finished version of every link of a
selection (a tag, the library), for reading on an e-reader.

Each article is a chapter holding its sanitised reader text, with the images the
capture stored embedded from the blob store (never fetched again; an image the capture
did not keep, or in a type e-readers need not show, becomes its alt text), the
highlights the owner made marked with `<mark>`, its language and writing direction. The
book has a table of contents (EPUB 3 navigation document and the EPUB 2 NCX, for older
readers), a title, a language and an identifier.

The book is built in memory (ebooklib writes the zip whole), so it is not one of the
streamed `EXPORTERS`: callers build it before answering, so a failure is a clean error,
and a selection is capped at MAX_ARTICLES articles.
"""

from __future__ import annotations

import io
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from html import escape

import lxml.html
from django.utils.translation import gettext as _
from ebooklib import epub

from snapshelf.capture.extract import sanitize_html
from snapshelf.io.exporters.base import Selection
from snapshelf.library.artefacts import localize_images, stored_images
from snapshelf.library.models import Link, Snapshot
from snapshelf.reading.highlights import for_link
from snapshelf.services.reading import text_direction
from snapshelf.storage import BlobNotFound, get_blob_store

#: The most articles one e-book holds (it is built in memory).
MAX_ARTICLES = 500
CONTENT_TYPE = "application/epub+zip"

#: Raster image types every EPUB reader must show ("core media types"), by magic bytes.
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_WS = re.compile(r"\s+")
_PENDING = "snapshelf-image:"
_FIRST_H1 = re.compile(r"\s*<h1\b[^>]*>.*?</h1>", re.S)

STYLE = """body { font-family: serif; line-height: 1.5; margin: 0 4%; }
h1 { font-size: 1.5em; line-height: 1.25; }
p.source { font-size: .8em; color: #555; word-break: break-all; }
img { max-width: 100%; height: auto; }
mark { background: #fff3a0; color: inherit; }
.img-missing { font-style: italic; color: #555; }
"""


class EpubError(ValueError):
    """No e-book can be made (nothing readable, too many articles); the message says why."""


@dataclass(frozen=True)
class Quote:
    """A passage to mark: its exact text, with the text before and after it to tell
    repeated passages apart (a W3C text quote selector)."""

    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass
class Chapter:
    title: str
    url: str
    language: str
    direction: str
    html: str
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (type, bytes)


# ---- highlights -------------------------------------------------------------------


def highlight_quotes(link: Link) -> list[Quote]:
    """The owner's highlights of `link` that are anchored in its text (orphaned ones,
    whose text is gone, are left out), as quotes to mark."""
    return [
        Quote(h.exact, h.prefix, h.suffix) for h in for_link(link) if not h.orphaned and h.exact
    ]


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace, and for each of its characters the index it came
    from: a quote matches whatever spacing the HTML has, across paragraph breaks too."""
    where = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in where), where


def _find(text: str, quote: Quote) -> tuple[int, int] | None:
    """Where `quote` is in `text` (folded), preferring the place its context matches."""
    exact = _WS.sub("", quote.exact)
    if not exact:
        return None
    prefix = _WS.sub("", quote.prefix)
    suffix = _WS.sub("", quote.suffix)
    for before, after in ((prefix, suffix), (prefix, ""), ("", suffix), ("", "")):
        at = text.find(before + exact + after)
        if at >= 0:
            start = at + len(before)
            return start, start + len(exact)
    return None


def _segments(root: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, str]]:
    """Every text node in document order, as (element, "text" | "tail")."""
    found: list[tuple[lxml.html.HtmlElement, str]] = []

    def walk(el: lxml.html.HtmlElement) -> None:
        if el.text:
            found.append((el, "text"))
        for child in el:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                found.append((child, "tail"))

    walk(root)
    return found


def _pieces(text: str, start: int, ranges: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` (at `start` in the whole) cut into (piece, marked) by `ranges`."""
    end = start + len(text)
    cuts = {0, len(text)}
    for a, b in ranges:
        if a < end and b > start:
            cuts.update((max(a, start) - start, min(b, end) - start))
    bounds = sorted(cuts)
    pieces = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        marked = any(ra <= start + a and start + b <= rb for ra, rb in ranges)
        pieces.append((text[a:b], marked))
    return pieces


def mark_quotes(html: str, quotes: Iterable[Quote]) -> str:
    """`html` with each quote's text wrapped in `<mark>` (across element boundaries,
    one `<mark>` per text node); a quote that is not found is left out."""
    quotes = list(quotes)
    if not quotes or not html:
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    segments = _segments(root)
    raw = "".join(getattr(el, kind) or "" for el, kind in segments)
    folded, where = _folded(raw)
    ranges = []
    for quote in quotes:
        found = _find(folded, quote)
        if found is not None:
            a, b = found
            ranges.append((where[a], where[b - 1] + 1))
    if not ranges:
        return html
    offset = 0
    for el, kind in segments:
        text = getattr(el, kind) or ""
        pieces = _pieces(text, offset, ranges)
        offset += len(text)
        if not any(marked for _piece, marked in pieces):
            continue
        if kind == "text":
            parent, at = el, 0
        else:
            parent, at = el.getparent(), el.getparent().index(el) + 1
        lead = ""
        while pieces and not pieces[0][1]:
            lead += pieces.pop(0)[0]
        setattr(el, kind, lead or None)
        last = None
        for piece, marked in pieces:
            if marked:
                last = lxml.html.Element("mark")
                last.text = piece
                parent.insert(at, last)
                at += 1
            elif last is not None:
                last.tail = (last.tail or "") + piece
    return _inner(root)


def _inner(root: lxml.html.HtmlElement) -> str:
    inner = [lxml.html.tostring(child, encoding="unicode") for child in root]
    return (escape(root.text, quote=False) if root.text else "") + "".join(inner)


# ---- chapters ---------------------------------------------------------------------


def _image_type(data: bytes) -> tuple[str, str] | None:
    for magic, media_type, ext in _IMAGE_MAGIC:
        if data.startswith(magic):
            return media_type, ext
    return None


def _language(value: str) -> str:
    value = (value or "").strip().replace("_", "-")
    return value if _LANGUAGE.match(value) else ""


def _embed_images(html: str, snap: Snapshot, number: int) -> tuple[str, dict]:
    """Point the reader text's images at files inside the book, read from storage;
    images the capture did not keep, or not in a core raster type, become their alt text."""
    if "<img" not in html:
        return html, {}
    missing = _("Image not captured")
    html = localize_images(html, stored_images(snap), lambda key: _PENDING + key, missing)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    store = get_blob_store()
    images: dict[str, tuple[str, bytes]] = {}
    names: dict[str, str | None] = {}
    for img in list(root.iter("img")):
        src = img.get("src") or ""
        img.attrib.pop("loading", None)
        key = src.removeprefix(_PENDING)
        if key not in names:
            names[key] = None
            try:
                data = store.get(key) if src.startswith(_PENDING) else b""
            except BlobNotFound:
                data = b""
            kind = _image_type(data)
            if kind is not None:
                names[key] = f"images/{number}-{key[:24]}.{kind[1]}"
                images[names[key]] = (kind[0], data)
        name = names[key]
        if name:
            img.set("src", name)
            img.set("alt", img.get("alt") or "")
            continue
        alt = (img.get("alt") or "").strip()
        holder = lxml.html.Element("span", {"class": "img-missing"})
        holder.text = f"[{missing}: {alt}]" if alt else f"[{missing}]"
        holder.tail = img.tail
        img.getparent().replace(img, holder)
    return _inner(root), images


def chapter_for(snap: Snapshot, number: int = 1) -> Chapter:
    """One finished snapshot as a chapter: its reader text, images and highlights."""
    link = snap.link
    url = snap.final_url or link.url
    title = link.title or snap.title or link.url
    body = sanitize_html(snap.readable_html, base_url=url)
    if not body.strip() and snap.text.strip():
        body = "".join(f"<p>{escape(p)}</p>" for p in snap.text.split("\n\n") if p.strip())
    body = mark_quotes(body, highlight_quotes(link))
    body, images = _embed_images(body, snap, number)
    source = f'<p class="source"><a href="{escape(url)}">{escape(url)}</a></p>'
    heading = _FIRST_H1.match(body)
    if (
        heading
        and _WS.sub(" ", lxml.html.fromstring(heading.group(0)).text_content()).strip() == title
    ):
        head = heading.group(0) + f"\n{source}\n"  # the article's own title heading
        body = body[heading.end() :]
    else:
        head = f"<h1>{escape(title)}</h1>\n{source}\n"
    language = _language(snap.language)
    return Chapter(
        title=title,
        url=url,
        language=language,
        direction=text_direction(language, snap.text),
        html=head + body,
        images=images,
    )


# ---- books ------------------------------------------------------------------------


def build_epub(chapters: Sequence[Chapter], title: str, identifier: str) -> bytes:
    """The EPUB file of `chapters`, in order, with a table of contents."""
    if not chapters:
        raise EpubError(_("There is no captured article to put in an e-book."))
    languages = Counter(c.language for c in chapters if c.language)
    language = languages.most_common(1)[0][0] if languages else "en"
    book = epub.EpubBook()
    book.set_identifier(identifier)
    book.set_title(title)
    book.set_language(language)
    book.add_author("Snapshelf")
    if all(c.direction == "rtl" for c in chapters):
        book.set_direction("rtl")
    style = epub.EpubItem(
        uid="style", file_name="style.css", media_type="text/css", content=STYLE.encode()
    )
    book.add_item(style)
    items = []
    added: set[str] = set()
    for number, chapter in enumerate(chapters, 1):
        item = epub.EpubHtml(
            uid=f"chapter-{number}",
            title=chapter.title,
            file_name=f"chapter-{number}.xhtml",
            lang=chapter.language or language,
            direction=chapter.direction,
        )
        item.content = chapter.html
        item.add_item(style)
        book.add_item(item)
        items.append(item)
        for name, (media_type, data) in chapter.images.items():
            if name not in added:
                added.add(name)
                uid = "img-" + re.sub(r"[^A-Za-z0-9-]", "-", name.removeprefix("images/"))
                book.add_item(
                    epub.EpubItem(uid=uid, file_name=name, media_type=media_type, content=data)
                )
    book.toc = [epub.Link(item.file_name, item.title, item.id) for item in items]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    out = io.BytesIO()
    epub.write_epub(out, book, {"raise_exceptions": True})
    return out.getvalue()


def article_epub(snap: Snapshot) -> bytes:
    """One finished snapshot as an e-book (its title is the book's)."""
    chapter = chapter_for(snap)
    identifier = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'snapshelf:snapshot:{snap.pk}')}"
    return build_epub([chapter], chapter.title, identifier)


def _snapshots(selection: Selection) -> Iterator[Snapshot]:
    ids = list(selection.newest_done().values_list("pk", flat=True)[: MAX_ARTICLES + 1])
    if len(ids) > MAX_ARTICLES:
        raise EpubError(
            _("An e-book holds at most %(n)d articles: choose a tag with fewer links.")
            % {"n": MAX_ARTICLES}
        )
    for pk in ids:
        yield Snapshot.objects.select_related("link").get(pk=pk, link__owner=selection.owner)


def selection_epub(selection: Selection, title: str = "") -> bytes:
    """The newest finished version of every selected link, one chapter each, oldest
    link first. EpubError when there is none, or more than MAX_ARTICLES."""
    chapters = []
    for number, snap in enumerate(_snapshots(selection), 1):
        chapters.append(chapter_for(snap, number))
        selection.tick(number)
    name = selection.tag.name if selection.tag is not None else _("Library")
    seed = f"snapshelf:selection:{selection.owner.pk}:{selection.label}"
    identifier = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
    return build_epub(chapters, title or f"Snapshelf: {name}", identifier)
