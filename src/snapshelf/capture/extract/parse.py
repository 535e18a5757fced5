"""The one lxml parse of a page and the signals read from it in one pass.

``<meta>`` tags, JSON-LD, ``<title>``/``<h1>``, the base URL (and resolution of
links against it), and the page's visible text, computed only when asked for.
"""

from __future__ import annotations

import contextlib
import functools
import html as html_lib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from snapshelf.capture.extract.sanitize import is_http_url
from snapshelf.capture.extract.text import norm


class Resolver:
    """Fast absolute-URL resolution against one base (most hrefs are easy cases)."""

    def __init__(self, base: str | None) -> None:
        self.base = base if is_http_url(base) else None
        if self.base:
            parts = urlsplit(self.base)
            self.scheme = parts.scheme
            self.origin = f"{parts.scheme}://{parts.netloc}"

    def __call__(self, href: str | None) -> str | None:
        if not href:
            return None
        href = href.strip()
        if not href:
            return None
        low = href[:8].lower()
        if low.startswith(("http://", "https://")):
            return href
        if ":" in href.split("/", 1)[0]:
            return None  # javascript:, data:, mailto: ... never useful here
        if self.base is None:
            return None
        if href.startswith("//"):
            return f"{self.scheme}:{href}"
        if href.startswith("/"):
            return self.origin + href
        try:
            return urljoin(self.base, href)
        except ValueError:
            return None


def title_from_url(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        name = unquote(segments[-1])
        stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
        stem = norm(re.sub(r"[-_+]+", " ", stem))
        if stem and not stem.isdigit():
            return stem
        if stem:
            return f"{parts.hostname or ''}/{name}".strip("/")
    return parts.hostname or url


def html_class_lookup() -> etree.ElementNamespaceClassLookup:
    """lxml.html's element classes (``<form>`` a ``FormElement``, any other tag an
    ``HtmlElement``, ...) chosen in C.

    lxml.html's own lookup is a Python method lxml calls for every element proxy it
    creates: some 10,000 per page across trafilatura, htmldate and our own passes,
    4% of the extraction's CPU. This one gives every node the same class.
    """
    lookup = etree.ElementNamespaceClassLookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)
    for tag, cls in lxml.html.HtmlElementClassLookup._default_element_classes.items():
        by_tag[tag] = cls
    return lookup


@functools.cache
def _loader() -> Any:
    """trafilatura's ``load_html``, its parser switched to :func:`html_class_lookup`
    and its selectors to compiled ones (:mod:`.selectors`), once per process. Copies of
    a tree keep their parser, so trafilatura's and htmldate's working copies of our
    tree get the C lookup too."""
    from trafilatura import utils

    from snapshelf.capture.extract.selectors import speed_up_trafilatura

    utils.HTML_PARSER.set_element_class_lookup(html_class_lookup())
    speed_up_trafilatura()
    return utils.load_html


def parse_page(html_text: str) -> lxml.html.HtmlElement | None:
    """Parse once; the same tree serves metadata, trafilatura and the fallback."""
    load_html = _loader()

    tree = None
    with contextlib.suppress(Exception):
        tree = load_html(html_text)
    if tree is None and html_text.strip():
        text = re.sub(r"^\s*<\?xml[^>]*>", "", html_text)
        with contextlib.suppress(etree.ParserError, ValueError):
            tree = lxml.html.document_fromstring(text)
    return tree


@dataclass
class Meta:
    """Every metadata signal of the page, gathered in one pass."""

    tags: dict[str, str] = field(default_factory=dict)  # meta name/property -> content
    multi: dict[str, list[str]] = field(default_factory=dict)
    title_tag: str = ""
    h1: str = ""
    html_lang: str = ""
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    base: str | None = None
    link_image: str = ""
    rel_author: str = ""


_META_KEYS_MULTI = {"article:author", "author", "citation_author", "dc:creator", "parsely-author"}


def collect_meta(tree: lxml.html.HtmlElement, url: str | None) -> Meta:
    meta = Meta()
    meta.html_lang = (
        tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    )
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        content = content.strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            keys = el.get(attr)
            if not keys:
                continue
            # property="og:title twitter:title" declares several at once;
            # "dc.title" and "dc:title" are the same thing
            for key in keys.lower().split():
                key = key.replace(".", ":")
                meta.tags.setdefault(key, content)
                if key in _META_KEYS_MULTI:
                    meta.multi.setdefault(key, []).append(content)
    for el in tree.iter("title"):
        # the document title, not an SVG <title> inside the body
        if el.getparent() is not None and el.getparent().tag in ("head", "html"):
            meta.title_tag = norm(el.text_content())
            break
    else:
        el = tree.find(".//title")
        if el is not None:
            meta.title_tag = norm(el.text_content())
    h1 = tree.find(".//h1")
    if h1 is not None:
        meta.h1 = norm(h1.text_content())[:300]
    base_el = tree.find(".//base[@href]")
    base = url
    if base_el is not None:
        href = base_el.get("href", "").strip()
        if href:
            try:
                base = urljoin(url or "", href)
            except ValueError:
                base = url
    meta.base = base if is_http_url(base) else (url if is_http_url(url) else None)
    for el in tree.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        if "image_src" in rel and not meta.link_image:
            meta.link_image = el.get("href") or ""
    for el in tree.iter("script"):
        if "ld+json" in (el.get("type") or "").lower():
            meta.jsonld.extend(_parse_jsonld(el.text or ""))
    return meta


_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "report",
    "scholarlyarticle",
    "techarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "socialmediaposting",
    "liveblogposting",
    "webpage",
    "medicalwebpage",
    "creativework",
    "review",
    "recipe",
    "howto",
    "qapage",
    "discussionforumposting",
}


def _parse_jsonld(raw: str) -> list[dict[str, Any]]:
    raw = raw.strip()
    if not raw:
        return []
    raw = re.sub(r"^\s*(?:<!\[CDATA\[|//\s*<!\[CDATA\[)|(?://\s*)?\]\]>\s*$", "", raw)
    try:
        data = json.loads(raw)
    except ValueError:
        # stray control characters and trailing commas are common
        try:
            data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
        except ValueError:
            return []
    out: list[dict[str, Any]] = []

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
        elif isinstance(node, dict):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types):
                out.append(node)
            if "@graph" in node:
                walk(node["@graph"], depth + 1)
            if "mainEntity" in node:
                walk(node["mainEntity"], depth + 1)

    walk(data)
    # real articles before generic WebPage objects
    out.sort(
        key=lambda d: 1 if str(d.get("@type", "")).lower() in ("webpage", "creativework") else 0
    )
    return out


def ld_text(value: Any) -> str:
    if isinstance(value, str):
        return norm(html_lib.unescape(value))
    if isinstance(value, dict):
        return ld_text(value.get("name") or value.get("@value") or "")
    if isinstance(value, list):
        names = [n for n in (ld_text(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names))
    return ""


def ld_first(meta: Meta, *keys: str) -> str:
    for obj in meta.jsonld:
        for key in keys:
            if key in obj:
                value = ld_text(obj[key])
                if value:
                    return value
    return ""


def ld_image(meta: Meta) -> str:
    for obj in meta.jsonld:
        img = obj.get("image") or obj.get("thumbnailUrl")
        if isinstance(img, list) and img:
            img = img[0]
        if isinstance(img, dict):
            img = img.get("url") or img.get("contentUrl")
        if isinstance(img, str) and img.strip():
            return img.strip()
    return ""


class LazyText:
    """The page's visible text, computed only if a heuristic asks for it."""

    # plain str (no parent proxies); "/descendant::" as libxml2 collects every node for "//"
    _XP_TEXT = etree.XPath("//body/descendant::text()", smart_strings=False)

    def __init__(self, tree: lxml.html.HtmlElement, title: str) -> None:
        self._tree = tree
        self._title = title
        self._text: str | None = None
        self._start: int | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            # called after scripts and styles were stripped from the tree
            pieces = []
            size = 0
            for piece in self._XP_TEXT(self._tree):
                pieces.append(piece)
                size += len(piece)
                if size > 200_000:
                    break
            self._text = norm(" ".join(pieces))
        return self._text

    @property
    def after_title(self) -> str:
        """Text from the headline on (where bylines and dates sit)."""
        if self._start is None:
            text = self.text
            self._start = 0
            probe = self._title[:20]
            if probe:
                pos = text.find(probe)
                if pos >= 0:
                    self._start = pos + len(probe)
        return self.text[self._start : self._start + 3000]
