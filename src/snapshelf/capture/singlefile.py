"""Single-file HTML: turn a replay document into one file that references nothing else.

Every ``r/<key>`` reference (attributes, srcset, inline styles, ``<style>``, and the
sibling ``<key>`` references inside stylesheets, recursively) becomes a data: URL of the
served bytes. External SVG ``<use>`` cannot point at a data: URL (browsers refuse); replay
documents already hold local copies of what their ``<use>`` elements need (see
``html.SvgSprites``), and older ones get them here the same way.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from snapshelf.capture.css import EMPTY, data_stylesheet, rewrite_css
from snapshelf.capture.html import SvgSprites, format_srcset, parse_html, rewrite_html
from snapshelf.capture.html.responsive import CAPTURE, choose, is_responsive

__all__ = ["inline"]

Load = Callable[[str], "tuple[str, bytes] | None"]

# A base URL that cannot exist: replay references resolve against it and are mapped back.
_BASE = "http://snapshelf.invalid/"
_KEY = re.compile(r"[0-9a-f]{64}")
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _key_of(url: str) -> str | None:
    if url.startswith(_BASE + "r/"):
        key = url[len(_BASE) + 2 :]
        if _KEY.fullmatch(key):
            return key
    return None


def _data_url(content_type: str, data: bytes) -> str:
    mime = content_type.split(";", 1)[0].strip().lower()
    if not _MIME.fullmatch(mime):
        mime = "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class _Inliner:
    def __init__(self, load: Load) -> None:
        self.load = load
        self.cache: dict[str, str] = {}
        self.in_progress: set[str] = set()

    def mapper(self, url: str, kind: str) -> str:
        key = _key_of(url)
        if key is None:
            if url.startswith("data:") and kind == "stylesheet":
                return self._data_stylesheet(url)
            return EMPTY  # not part of the archive: must not be reached
        if key in self.cache:
            return self.cache[key]
        if key in self.in_progress:
            return EMPTY
        loaded = self.load(key)
        if loaded is None:
            self.cache[key] = EMPTY
            return EMPTY
        content_type, data = loaded
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime == "text/css" or kind == "stylesheet":
            self.in_progress.add(key)
            try:
                css = rewrite_css(data.decode("utf-8", "replace"), _BASE + "r/" + key, self.mapper)
            finally:
                self.in_progress.discard(key)
            result = _data_url("text/css", css.encode("utf-8")).replace(
                "data:text/css;", "data:text/css;charset=utf-8;", 1
            )
        else:
            result = _data_url(content_type, data)
        self.cache[key] = result
        return result

    def _data_stylesheet(self, url: str) -> str:
        """A data: stylesheet left in the document: inline what it references, re-embed it."""
        decoded = data_stylesheet(url)
        if decoded is None or url in self.in_progress:
            return EMPTY
        self.in_progress.add(url)
        try:
            css = rewrite_css(decoded[0], url, self.mapper)
        finally:
            self.in_progress.discard(url)
        return _data_url("text/css", css.encode("utf-8")).replace(
            "data:text/css;", "data:text/css;charset=utf-8;", 1
        )


def inline(html: str, load: Load) -> str:
    """One self-contained HTML file from a replay document.

    ``load(key)`` returns (content type, served bytes) of ``r/<key>``, or None when
    missing (the reference then becomes ``data:,``). Hyperlinks stay links to the web;
    everything the page loads is inside the file.
    """
    inliner = _Inliner(load)

    def load_svg(url: str) -> tuple[str, bytes] | None:
        key = _key_of(url)
        loaded = load(key) if key else None
        return (key, loaded[1]) if key and loaded is not None else None

    # Replay documents made since SVG copies moved into build_replay already carry them
    # (their <use> references are local); older ones still point at r/<key>#id.
    tree = parse_html(html)
    _one_candidate(tree)
    return rewrite_html(tree, _BASE, inliner.mapper, sprites=SvgSprites(load_svg))


def _plain(el, name: str) -> str | None:
    value = el.get(name)
    return None if value == EMPTY else value


def _one_candidate(root) -> None:
    """Each responsive image keeps only what the capture viewport showed.

    Every candidate inlined would multiply the file's size, and a browser that finds all of
    them loaded at once may show another one than the capture did. The chosen candidate
    keeps its descriptor (and ``sizes``), so it is drawn at the size the page gave it.
    """
    for img in list(root.iter("img")):
        if not is_responsive(img, _plain):
            continue
        choice = choose(img, CAPTURE, _plain)
        if choice is None:
            continue
        url, descriptor = choice.candidate.url, choice.candidate.descriptor.strip()
        sizes = choice.element.get("sizes")
        parent = img.getparent()
        if parent is not None and parent.tag == "picture":
            for source in list(parent):
                if source.tag == "source" and source.get("srcset") is not None:
                    _drop(source)
        for name in ("srcset", "sizes"):
            img.attrib.pop(name, None)
        if descriptor in ("", "1x"):
            img.set("src", url)
        else:  # "2x", "480w": the descriptor sets the drawn size; no second copy in src
            img.attrib.pop("src", None)
            img.set("srcset", format_srcset([(url, descriptor)]))
            if sizes is not None and descriptor.lower().endswith("w"):
                img.set("sizes", sizes)


def _drop(el) -> None:
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
