"""Readable-article extraction: metadata, main text, sanitised HTML and Markdown.

One lxml parse per page feeds everything. trafilatura runs once, in its fast
mode, for the main content (its own metadata pass is skipped: it costs about a
third of the time budget and our own pass below reads the same sources:
JSON-LD, Open Graph, Twitter cards, ``<meta>``, ``<title>``, ``<h1>``, bylines,
plus Chinese "来源/发布时间/作者" patterns). Only when the fast mode returns
suspiciously little text compared with the page is trafilatura's slower
fallback cascade run. When nothing is found at all, the visible body text
(navigation, headers, footers, forms removed) is used, so a snapshot always
has some text and always has a title.

Readable HTML is produced from trafilatura's result tree by our own renderer
and then sanitised with nh3 (see :func:`sanitize_html`); it is data from a
hostile page and is never trusted.
"""

from __future__ import annotations

import contextlib
import copy
import html as html_lib
import io
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
import nh3
from lxml import etree

from snapshelf.capture.fingerprint import fingerprint
from snapshelf.errors import Unsupported

__all__ = [
    "Extracted",
    "extract_html",
    "extract_pdf",
    "extract_text_document",
    "fingerprint",
    "guess_language",
    "sanitize_html",
    "word_count",
]

log = logging.getLogger(__name__)


@dataclass
class Extracted:
    """What the reader view, search index and API need from one document."""

    title: str = ""
    author: str = ""
    date: str = ""  # "YYYY-MM-DD" or a full ISO datetime when the time is known
    site_name: str = ""
    language: str = ""
    description: str = ""
    image: str = ""
    text: str = ""
    html: str = ""
    markdown: str = ""
    word_count: int = 0


# --------------------------------------------------------------------------- sanitising

_ALLOWED_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "br",
    "hr",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# removed together with everything inside them
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "textarea",
    "select",
    "noscript",
    "title",
}
_REL = "noopener noreferrer nofollow"


def _is_http_url(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://"))  # type: ignore[union-attr]


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Reduce untrusted HTML to a small safe subset (the reader-view policy).

    Only structural and emphasis tags survive; links keep an absolute http(s)
    ``href`` (relative ones are resolved against ``base_url`` or dropped) and
    get ``rel="noopener noreferrer nofollow"``; images keep an absolute http(s)
    ``src`` and ``alt``. Scripts, styles, event handlers, ``javascript:`` and
    ``data:`` URLs never pass.
    """
    if not html:
        return ""
    relative: str | tuple[str, str] = "deny"
    if base_url and _is_http_url(base_url):
        relative = ("rewrite_with_base", base_url)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=_REL,
        url_schemes={"http", "https"},
        url_relative=relative,
    )


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in ("colspan", "rowspan"):
        return value if value.isdigit() and 0 < int(value) <= 1000 else None
    return value


# --------------------------------------------------------------------------- text helpers

_WS = re.compile(r"\s+")
_CJK_CHAR = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_NON_CJK_WORD = re.compile(
    r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


def _norm(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def word_count(text: str) -> int:
    """Words in space-separated scripts plus one per CJK character."""
    return len(_CJK_CHAR.findall(text)) + len(_NON_CJK_WORD.findall(text))


_SCRIPT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("kana", re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")),
    ("han", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ko", re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("cyrl", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
    ("my", re.compile(r"[\u1000-\u109f]")),
)
_LATIN_LETTER = re.compile(r"[\u00c0-\u024f]")
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")
_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


# a handful of very frequent function words per language: enough to tell the
# big Latin-script languages apart on a paragraph or more of text
_STOPWORDS = {
    "en": "the and of to is in that it was for with as on are this be by not have you from",
    "de": "der die und das ist nicht ein eine zu den von mit sich des auf für dem im auch",
    "fr": "le la les et des est une un du que dans pour pas sur au qui par avec sont",
    "es": "el la los las y que de en un una por con para es del se no al lo como",
    "it": "il di che la e un una per non sono della del le con gli anche nel alla",
    "pt": "o a de que e do da em um uma para com não os no na se por mais as dos",
    "nl": "de het een en van is dat niet op te in zijn voor met die er aan ook",
    "pl": "i w nie na się z że do to jest jak o a ale po od przez tak dla",
    "sv": "och att det som en på är av för med den till inte har de om ett",
    "cs": "a se na je v že to s z o do jako pro by ale jsou tak jeho byl",
}
_STOP_SETS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿąćęłńśźżčěřšťůž]+")


def guess_language(text: str) -> str:
    """A cheap language guess: writing system first, then stopwords for Latin script."""
    sample = text[:1500]
    if not sample.strip():
        return ""
    # count by deleting (C speed) rather than by collecting matches
    counts = dict.fromkeys((name for name, _ in _SCRIPT_PATTERNS), 0)
    ascii_bytes = sample.encode("ascii", "ignore")
    counts["latn"] = len(ascii_bytes.translate(None, _ASCII_NON_LETTERS))
    if len(ascii_bytes) < len(sample):
        rest = _ASCII_RUN.sub("", sample)
        counts["latn"] += len(rest) - len(_LATIN_LETTER.sub("", rest))
        for name, rx in _SCRIPT_PATTERNS:
            counts[name] = len(rest) - len(rx.sub("", rest))
    total = sum(counts.values())
    if not total:
        return ""
    kana, han, latn = counts["kana"], counts["han"], counts["latn"]
    if kana and kana >= 0.05 * (kana + han) and kana + han >= 0.2 * total:
        return "ja"
    if han >= 0.2 * total:
        return "zh"
    best = max((k for k in counts if k not in ("kana", "han")), key=counts.__getitem__)
    if counts[best] < 0.3 * total:
        return ""
    if best == "cyrl":
        return "uk" if re.search(r"[іїєґІЇЄҐ]", sample) else "ru"
    if best != "latn":
        return best
    words = _LATIN_WORD.findall(sample.lower())
    if len(words) < 8 or latn < 20:
        return ""
    freq = Counter(words)
    scores = {lang: sum(freq[w] for w in stops if w in freq) for lang, stops in _STOP_SETS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (lang, top), (_, second) = ranked[0], ranked[1]
    if top >= 3 and top >= 0.05 * len(words) and top > 1.3 * second:
        return lang
    return ""


_LANG_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{4}))?(?:[-_]([a-zA-Z]{2}|\d{3}))?")


def _normalize_lang(value: str | None) -> str:
    """``zh_cn`` -> ``zh-CN``, ``EN-us`` -> ``en-US``; junk -> ""."""
    if not value:
        return ""
    m = _LANG_TAG.match(value.strip().split(",")[0].strip())
    if not m:
        return ""
    lang, script, region = m.groups()
    parts = [lang.lower()]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts)


def _choose_language(declared: str, text: str) -> str:
    """Trust a declared language unless the text is plainly in another script."""
    guessed = guess_language(text) if text else ""
    if not declared:
        return guessed
    if not guessed:
        return declared
    primary = declared.split("-")[0]
    non_latin = {"zh", "ja", "ko", "ar", "he", "ru", "uk", "el", "th", "hi", "ka", "hy", "my"}
    if (
        guessed in non_latin
        and primary != guessed
        and not (
            {primary, guessed} <= {"ru", "uk", "bg", "sr", "mk", "be", "kk"}
            or (primary in ("fa", "ur") and guessed == "ar")
            or (primary == "yi" and guessed == "he")
        )
    ):
        return guessed
    if primary in non_latin and guessed not in non_latin:
        # e.g. lang="zh" on an English page
        return guessed
    return declared


# --------------------------------------------------------------------------- URLs


class _Resolver:
    """Fast absolute-URL resolution against one base (most hrefs are easy cases)."""

    def __init__(self, base: str | None) -> None:
        self.base = base if _is_http_url(base) else None
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


def _title_from_url(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        name = unquote(segments[-1])
        stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
        stem = _norm(re.sub(r"[-_+]+", " ", stem))
        if stem and not stem.isdigit():
            return stem
        if stem:
            return f"{parts.hostname or ''}/{name}".strip("/")
    return parts.hostname or url


# --------------------------------------------------------------------------- parsing


def _parse(html_text: str) -> lxml.html.HtmlElement | None:
    """Parse once; the same tree serves metadata, trafilatura and the fallback."""
    from trafilatura.utils import load_html

    tree = None
    with contextlib.suppress(Exception):
        tree = load_html(html_text)
    if tree is None and html_text.strip():
        text = re.sub(r"^\s*<\?xml[^>]*>", "", html_text)
        with contextlib.suppress(etree.ParserError, ValueError):
            tree = lxml.html.document_fromstring(text)
    return tree


@dataclass
class _Meta:
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


def _collect_meta(tree: lxml.html.HtmlElement, url: str | None) -> _Meta:
    meta = _Meta()
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
            meta.title_tag = _norm(el.text_content())
            break
    else:
        el = tree.find(".//title")
        if el is not None:
            meta.title_tag = _norm(el.text_content())
    h1 = tree.find(".//h1")
    if h1 is not None:
        meta.h1 = _norm(h1.text_content())[:300]
    base_el = tree.find(".//base[@href]")
    base = url
    if base_el is not None:
        href = base_el.get("href", "").strip()
        if href:
            try:
                base = urljoin(url or "", href)
            except ValueError:
                base = url
    meta.base = base if _is_http_url(base) else (url if _is_http_url(url) else None)
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


def _ld_text(value: Any) -> str:
    if isinstance(value, str):
        return _norm(html_lib.unescape(value))
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("@value") or "")
    if isinstance(value, list):
        names = [n for n in (_ld_text(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names))
    return ""


def _ld_first(meta: _Meta, *keys: str) -> str:
    for obj in meta.jsonld:
        for key in keys:
            if key in obj:
                value = _ld_text(obj[key])
                if value:
                    return value
    return ""


def _ld_image(meta: _Meta) -> str:
    for obj in meta.jsonld:
        img = obj.get("image") or obj.get("thumbnailUrl")
        if isinstance(img, list) and img:
            img = img[0]
        if isinstance(img, dict):
            img = img.get("url") or img.get("contentUrl")
        if isinstance(img, str) and img.strip():
            return img.strip()
    return ""


# --------------------------------------------------------------------------- metadata


_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:»·•/\\]\s+|\s*[|｜_]\s*|\s+::\s+")


def _clean_title(title: str, site_names: list[str]) -> str:
    """Drop a site-name segment from "Headline | Site" style titles.

    Only segments we can identify (the site's name, its host) are removed;
    otherwise the title is kept whole rather than guessed at.
    """
    title = _norm(title)
    if not title:
        return ""
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title)]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return title
    names = {re.sub(r"\W+", "", n.casefold()) for n in site_names if n}
    names.discard("")

    def is_site(part: str) -> bool:
        key = re.sub(r"\W+", "", part.casefold())
        if not key:
            return True
        return any(
            key == n or (len(key) >= 3 and key in n) or (len(n) >= 3 and n in key) for n in names
        )

    # trim identifiable site-name segments from the ends only
    kept = list(parts)
    while len(kept) > 1 and is_site(kept[-1]):
        kept.pop()
    while len(kept) > 1 and is_site(kept[0]):
        kept.pop(0)
    if len(kept) == len(parts):
        return title
    # keep the original separators between the remaining segments
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip() if start >= 0 and end > start else " ".join(kept)


def _site_names(meta: _Meta, url: str | None) -> list[str]:
    names = [
        meta.tags.get("og:site_name", ""),
        meta.tags.get("application-name", ""),
        meta.tags.get("twitter:site", "").lstrip("@"),
        _ld_publisher(meta),
    ]
    host = urlsplit(url).hostname if url else None
    if host:
        labels = [
            x for x in host.split(".") if x not in ("www", "m", "com", "org", "net", "co", "cn")
        ]
        names.extend(labels[:1])
        names.append(host)
    return [n for n in names if n]


def _ld_publisher(meta: _Meta) -> str:
    for obj in meta.jsonld:
        pub = obj.get("publisher")
        if isinstance(pub, list) and pub:
            pub = pub[0]
        if isinstance(pub, dict):
            name = _ld_text(pub.get("name"))
            if name:
                return name
    return ""


def _ld_title(meta: _Meta) -> str:
    """JSON-LD headline or name, whichever agrees with the page title.

    Some sites put a description in ``headline`` (Wikipedia) or their own
    name in ``name``; the one that shares words with ``<title>`` is right.
    """
    for obj in meta.jsonld:
        headline = _ld_text(obj.get("headline"))
        name = _ld_text(obj.get("name"))
        if headline and name and headline != name and meta.title_tag:
            ref = _title_words(meta.title_tag)
            if len(_title_words(headline) & ref) > len(_title_words(name) & ref):
                return headline
            return name
        if headline or name:
            return headline or name
    return ""


def _title_words(text: str) -> set[str]:
    return set(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]|\w+", text.casefold()))


_TITLE_META_KEYS = (
    "dc:title",
    "dcterm:title",
    "dcterms:title",
    "og:title",
    "parsely-title",
    "weibo:article:title",
    "weibo:webpage:title",
    "title",
    "twitter:title",
    "headline",
)


_QUOTES = "\"'“”‘’「」"


def _pick_title(meta: _Meta, url: str | None) -> str:
    sites = _site_names(meta, url)
    candidates = [_ld_title(meta)]
    candidates += [meta.tags.get(key, "") for key in _TITLE_META_KEYS]
    candidates += [meta.title_tag, meta.h1]
    for candidate in candidates:
        cleaned = _clean_title(html_lib.unescape(candidate), sites) if candidate else ""
        h1 = meta.h1
        # "Headline_Section" / "Headline - Section" where the page's own <h1>
        # is the leading segment: the rest is navigation
        if (
            cleaned
            and h1
            and len(cleaned) > len(h1)
            and cleaned.startswith(h1)
            and _TITLE_SEPARATORS.match(cleaned, len(h1))
        ):
            cleaned = h1
        if cleaned:
            # an unescaped quote in content="..." cuts a meta title short
            # (奖金711万元！"中国诺贝尔奖"...): the <title>/<h1> then has it whole
            for fuller in (meta.h1, _clean_title(meta.title_tag, sites)):
                if (
                    len(fuller) > len(cleaned) + 1
                    and fuller.startswith(cleaned)
                    and fuller[len(cleaned)] in _QUOTES
                ):
                    cleaned = fuller
                    break
            return cleaned[:500]
    return ""


_BY_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|door|av|przez|作者|文|记者|撰文|written by)[\s:：/]+", re.I
)


_TRAILING_DATE = re.compile(
    r"\s*(?:[|,·•-]\s*)?(?:(?:on|updated|published)\s+)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}).*$",
    re.I,
)


def _clean_author(value: str) -> str:
    value = _norm(html_lib.unescape(value))
    value = _BY_PREFIX.sub("", value)
    value = _TRAILING_DATE.sub("", value).strip(" ,;|·-–—")
    if (
        not value
        or len(value) > 120
        or value.endswith(":")
        or "http" in value.lower()
        or "{" in value
        or "@" in value
    ):
        return ""
    if value.lower() in ("admin", "administrator", "unknown", "null", "none", "未知", "匿名"):
        return ""
    return value


_BYLINE_ANTI = re.compile(
    r"avatar|image|photo|bio|comment|about|twitter|social|share|follow|-img|icon", re.I
)


_XP_REL_AUTHOR = etree.XPath(
    "//*[@rel][contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"
)
_XP_ITEMPROP_AUTHOR = etree.XPath("//*[@itemprop='author']")
_BYLINE_MARK = re.compile(r"author|byline|writer|reporter|contributor", re.I)
_BYLINE_TAGS = ("span", "div", "p", "a", "address", "li", "strong", "b", "em", "small", "cite")


def _headline_region(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The part of the page around the headline, where bylines live."""
    h1 = tree.find(".//h1")
    if h1 is None:
        return tree.find(".//article")
    region = h1
    for _ in range(3):
        parent = region.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        region = parent
    return region


def _dom_author(tree: lxml.html.HtmlElement) -> str:
    """Byline from the markup: rel=author, itemprop=author, byline classes near the headline.

    Searching only near the ``<h1>`` keeps this cheap on megabyte pages and
    avoids the bylines of "related articles" lists.
    """
    for el in _XP_REL_AUTHOR(tree):
        name = _clean_author(el.text_content())
        if name and len(name) <= 60:
            return name
    for el in _XP_ITEMPROP_AUTHOR(tree):
        inner = el.find(".//*[@itemprop='name']")
        source = inner if inner is not None else el
        name = _clean_author(source.get("content") or source.text_content())
        if name and len(name) <= 80:
            return name
    region = _headline_region(tree)
    if region is None:
        return ""
    for seen, el in enumerate(region.iter(*_BYLINE_TAGS)):
        if seen > 3000:
            break
        marker = f"{el.get('class', '')} {el.get('id', '')}"
        if len(marker) < 6 or not _BYLINE_MARK.search(marker) or _BYLINE_ANTI.search(marker):
            continue
        text = _norm(el.text_content())
        if not text or len(text) > 100:
            continue
        name = _clean_author(text)
        if name and len(name.split()) <= 8:
            return name
    return ""


_AUTHOR_META_KEYS = (
    "dc:creator",
    "dcterm:creator",
    "dcterms:creator",
    "author",
    "parsely-author",
    "article:author",
    "og:article:author",
    "byl",
    "sailthru:author",
    "citation_author",
)


def _pick_author(
    meta: _Meta, tree: lxml.html.HtmlElement, page_text: _LazyText, chinese: bool, sites: list[str]
) -> str:
    """Author from JSON-LD, meta tags, the byline markup, then Chinese labels.

    A declared author that is just the site's own name (网易 on 163.com) is
    kept only if no person's name can be found.
    """
    site_keys = {re.sub(r"\W+", "", n.casefold()) for n in sites if n}
    weak = ""

    def is_site(name: str) -> bool:
        key = re.sub(r"\W+", "", name.casefold())
        return bool(key) and any(key == k or (len(key) >= 2 and key in k) for k in site_keys)

    found = _ld_author(meta)
    if not found:
        for key in _AUTHOR_META_KEYS:
            values = meta.multi.get(key) or ([meta.tags[key]] if key in meta.tags else [])
            names = [n for n in (_clean_author(v) for v in values) if n]
            if names:
                found = ", ".join(dict.fromkeys(names))
                break
    if found and not is_site(found):
        return found
    weak = found
    if chinese:
        # explicit labels (作者：/记者/责任编辑：) beat class-name guesses,
        # which on Chinese portals often hit the comment section
        name = _cjk_author(page_text)
        if name:
            return name
    name = _dom_author(tree)
    if name and not is_site(name):
        return name
    return weak or name


def _ld_author(meta: _Meta) -> str:
    for obj in meta.jsonld:
        if "author" in obj or "creator" in obj:
            value = obj.get("author") or obj.get("creator")
            items = value if isinstance(value, list) else [value]
            names = [n for n in (_clean_author(_ld_text(v)) for v in items) if n]
            if names:
                return ", ".join(dict.fromkeys(names))
    return ""


# Chinese news pages label their metadata in the text near the headline
_CJK_NAME = r"([\u4e00-\u9fff·]{2,6}(?:[、，,/][\u4e00-\u9fff·]{2,6}){0,3})"
_NOT_CJK_BEFORE = r"(?<![\u4e00-\u9fff])"
_CJK_AUTHOR = re.compile(
    _NOT_CJK_BEFORE
    + r"(?:作者|撰文|文)\s*[：:/／|｜]\s*"
    + _CJK_NAME
    + r"(?!\s*摄)|(?:作者|记者)\s*[：:\s]\s*"
    + _CJK_NAME
    + r"(?![\u4e00-\u9fff]|\s*摄)"
)
_CJK_EDITOR = re.compile(r"(?:责任编辑|责编|编辑)\s*[：:]\s*" + _CJK_NAME)
_CJK_SOURCE = re.compile(r"(?:来源|來源|出处|稿源)\s*[：:]\s*([^\s|｜:：<>\[\]【】()（）]{2,30})")
_DATE_RX = re.compile(
    r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})[:：时](\d{2})(?:[:：分](\d{2}))?)?"
)
_DATE_LABEL = re.compile(
    r"(?:发布时间|发表时间|发布日期|更新时间|时间|日期|发表于|发布于|published|posted|date)\s*[：:]?\s*$",
    re.I,
)


class _LazyText:
    """The page's visible text, computed only if a heuristic asks for it."""

    _XP_TEXT = etree.XPath("//body//text()")

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
            self._text = _norm(" ".join(pieces))
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


def _cjk_author(page: _LazyText) -> str:
    for region in (page.after_title, page.text[:20000]):
        m = _CJK_AUTHOR.search(region)
        if m:
            return _norm(m.group(1) or m.group(2))
    m = _CJK_EDITOR.search(page.text)
    if m:
        return _norm(m.group(1))
    return ""


def _iso_date(value: str) -> str:
    """Normalise a date string to ISO; "" if it is not a plausible publication date."""
    value = value.strip()
    if not value:
        return ""
    iso = value.replace("Z", "+00:00") if value.endswith("Z") else value
    with contextlib.suppress(ValueError):
        dt = datetime.fromisoformat(iso)
        if not 1990 <= dt.year <= datetime.now().year + 1:
            return ""
        if len(value) <= 10:
            return dt.date().isoformat()
        return dt.isoformat()
    m = _DATE_RX.search(value)
    if m:
        return _date_from_match(m)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        dt = parsedate_to_datetime(value)  # "Tue, 24 Jul 2015 05:36:09 GMT"
        if 1990 <= dt.year <= datetime.now().year + 1:
            return dt.isoformat()
    m = _EN_DATE.search(value)
    if m:
        day, month, year = (m["d1"] or m["d2"]), m["m1"] or m["m2"], m["y"]
        month = month.lower()
        if month in _MONTH_NAMES:
            with contextlib.suppress(ValueError):
                month_no = _MONTHS.index(month[:3]) + 1
                return datetime(int(year), month_no, int(day)).date().isoformat()
    return ""


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAMES = frozenset(
    _MONTHS
    + ["sept"]
    + ["january", "february", "march", "april", "june", "july", "august"]
    + ["september", "october", "november", "december"]
)
_EN_DATE = re.compile(
    r"(?:(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?"
    r"\s+(?P<m2>[A-Za-z]{3,9})\.?,?)\s+(?P<y>(?:19|20)\d{2})"
)


def _date_from_match(m: re.Match[str]) -> str:
    y, mo, d, hh, mm, ss = m.groups()
    try:
        if hh is not None:
            return datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0)).isoformat()
        return datetime(int(y), int(mo), int(d)).date().isoformat()
    except ValueError:
        return ""


_DATE_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "publication_date",
    "dc:date:issued",
    "dc:date",
    "dcterms:date",
    "dcterms:issued",
    "dcterms:created",
    "sailthru:date",
    "parsely-pub-date",
    "citation_publication_date",
    "citation_date",
    "date",
    "weibo:article:create_at",
)


def _pick_date(meta: _Meta, tree: lxml.html.HtmlElement, page: _LazyText) -> str:
    value = _ld_first(meta, "datePublished", "dateCreated")
    if value and (iso := _iso_date(value)):
        return iso
    for key in _DATE_META_KEYS:
        if key in meta.tags and (iso := _iso_date(meta.tags[key])):
            return iso
    for el in tree.iterfind(".//time[@datetime]"):
        if (
            el.get("pubdate") is not None
            or (el.get("itemprop") or "").lower() == "datepublished"
            or any(a.tag in ("article", "header", "main") for a in el.iterancestors())
        ):
            iso = _iso_date(el.get("datetime", ""))
            if iso:
                return iso
    # a labelled date after the headline, or an unlabelled one right below it
    # (dates deeper in the article are about its subject, not its publication)
    region = page.after_title
    for m in _DATE_RX.finditer(region):
        labelled = _DATE_LABEL.search(region[max(0, m.start() - 12) : m.start()])
        if labelled or m.start() < 300:
            iso = _date_from_match(m)
            if iso:
                return iso
    return _htmldate(tree)


def _htmldate(tree: lxml.html.HtmlElement) -> str:
    """Last resort: htmldate's markup heuristics (without its slow text scan)."""
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - comes with trafilatura
        return ""
    try:
        # extensive_search scans all text for date-like strings: +7 ms per page
        # median for a few more hits, not worth it on the capture path
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate raises on odd trees; a missing date is fine
        return ""
    return _iso_date(found) if found else ""


def _pick_site_name(meta: _Meta, page: _LazyText, url: str | None, chinese: bool) -> str:
    for value in (
        meta.tags.get("og:site_name", ""),
        _ld_publisher(meta),
        meta.tags.get("application-name", ""),
    ):
        value = _norm(html_lib.unescape(value))
        if value and len(value) <= 100:
            return value
    if chinese:
        m = _CJK_SOURCE.search(page.after_title) or _CJK_SOURCE.search(page.text[:20000])
        if m:
            return m.group(1)
    host = urlsplit(url).hostname if url else None
    if host:
        return host[4:] if host.startswith("www.") else host
    return ""


# --------------------------------------------------------------------------- content


_FAST_OPTIONS = {
    # "markdown" makes bare_extraction skip its own (slow) text serialisation;
    # we render text, HTML and Markdown from the result tree ourselves
    "output_format": "markdown",
    "include_comments": False,
    "include_tables": True,
    "include_images": True,
    "include_links": True,
    "include_formatting": True,
    "with_metadata": False,
}


def _absolutize(tree: lxml.html.HtmlElement, resolve: _Resolver) -> None:
    """Make link and image URLs absolute before trafilatura copies them."""
    if resolve.base is None:
        return
    for el in tree.iter("a", "img"):
        if el.tag == "a":
            href = el.get("href")
            if href and not href.startswith(("http://", "https://", "#")):
                new = resolve(href)
                if new:
                    el.set("href", new)
            continue
        for attr, value in el.attrib.items():
            if (
                (attr == "src" or attr.startswith("data-src"))
                and value
                and not value.startswith(("http://", "https://", "data:"))
            ):
                new = resolve(value)
                if new:
                    el.set(attr, new)
        # common lazy-loading attributes that trafilatura does not read
        if not el.get("data-src"):
            for attr in (
                "data-original",
                "data-lazy-src",
                "data-url",
                "data-actualsrc",
                "data-echo",
            ):
                value = el.get(attr)
                if value:
                    new = resolve(value)
                    if new:
                        el.set("data-src", new)
                    break


def _run_trafilatura(tree: lxml.html.HtmlElement, fast: bool) -> Any:
    import trafilatura

    try:
        return trafilatura.bare_extraction(tree, fast=fast, **_FAST_OPTIONS)
    except Exception:  # trafilatura raises odd errors on odd trees; the fallback copes
        log.debug("trafilatura failed", exc_info=True)
        return None


def _visible_length(tree: lxml.html.HtmlElement) -> int:
    body = tree.find("body")
    if body is None:
        return 0
    return sum(
        len(t.strip())
        for t in body.xpath(
            ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
        )
    )


def _render_html(body: etree._Element) -> str:
    out: list[str] = []
    for child in body:
        _emit_html(child, out, top=True)
    if body.text and body.text.strip():
        out.insert(0, f"<p>{html_lib.escape(body.text.strip())}</p>")
    return "".join(out)


def _emit_html(el: etree._Element, out: list[str], top: bool = False) -> None:
    tag = el.tag
    if not isinstance(tag, str):
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    rend = el.get("rend") or ""
    open_tag = close_tag = ""
    if tag == "p":
        open_tag, close_tag = "<p>", "</p>"
    elif tag == "head":
        level = rend[1:] if rend[:1] == "h" and rend[1:] in ("1", "2", "3", "4", "5", "6") else "2"
        open_tag, close_tag = f"<h{level}>", f"</h{level}>"
    elif tag == "list":
        name = "ol" if rend == "ol" else "ul"
        open_tag, close_tag = f"<{name}>", f"</{name}>"
    elif tag == "item":
        open_tag, close_tag = "<li>", "</li>"
    elif tag == "quote":
        open_tag, close_tag = "<blockquote>", "</blockquote>"
    elif tag == "code":
        if top or "\n" in (el.text or ""):
            open_tag, close_tag = "<pre><code>", "</code></pre>"
        else:
            open_tag, close_tag = "<code>", "</code>"
    elif tag == "hi":
        name = {"#b": "strong", "#i": "em", "#t": "code"}.get(rend)
        if name:
            open_tag, close_tag = f"<{name}>", f"</{name}>"
    elif tag == "ref":
        target = el.get("target")
        if target and _is_http_url(target):
            open_tag, close_tag = f'<a href="{html_lib.escape(target)}">', "</a>"
    elif tag == "graphic":
        src = el.get("src")
        if src and _is_http_url(src):
            alt = html_lib.escape(el.get("alt") or el.get("title") or "")
            img = f'<img src="{html_lib.escape(src)}" alt="{alt}">'
            out.append(f"<figure>{img}</figure>" if top else img)
        if el.text:  # trafilatura sometimes parks following text inside <graphic>
            out.append(html_lib.escape(el.text))
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    elif tag == "lb":
        out.append("<br>")
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    elif tag == "table":
        open_tag, close_tag = "<table>", "</table>"
    elif tag == "row":
        open_tag, close_tag = "<tr>", "</tr>"
    elif tag == "cell":
        name = "th" if el.get("role") == "head" else "td"
        open_tag, close_tag = f"<{name}>", f"</{name}>"
    elif tag == "del":
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    out.append(open_tag)
    if el.text:
        out.append(html_lib.escape(el.text))
    for child in el:
        _emit_html(child, out)
    out.append(close_tag)
    if el.tail:
        if top and el.tail.strip():
            out.append(f"<p>{html_lib.escape(el.tail.strip())}</p>")
        elif not top:
            out.append(html_lib.escape(el.tail))


_TEXT_BLOCKS = {"p", "head", "item", "quote", "code", "row", "table", "list", "div", "graphic"}
_BREAK = "\x00"
_LINE = "\x01"


def _render_text(body: etree._Element) -> str:
    """Plain text from trafilatura's tree: one block per paragraph, blank lines between."""
    parts: list[str] = []
    _emit_text(body, parts)
    blocks: list[str] = []
    for raw in "".join(parts).split(_BREAK):
        if raw.startswith("\x02"):  # preformatted block
            block = raw[1:].strip("\n")
        else:
            block = "\n".join(_norm(line) for line in raw.split(_LINE))
            block = block.strip()
        if block.strip():
            blocks.append(block)
    return "\n\n".join(blocks)


def _emit_text(el: etree._Element, parts: list[str], in_pre: bool = False) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "del" or tag == "graphic":
        if tag == "graphic" and el.text:
            parts.append(el.text)
        if el.tail:
            parts.append(el.tail)
        return
    block = tag in _TEXT_BLOCKS
    pre = tag == "code" and (
        "\n" in (el.text or "") or el.getparent() is not None and el.getparent().tag == "body"
    )
    if block and not in_pre:
        parts.append(_BREAK)
        if pre:
            parts.append("\x02")
    if tag == "lb":
        parts.append("\n" if in_pre else _LINE)
    elif tag == "cell" and el.getprevious() is not None:
        parts.append(" | ")
    if el.text:
        parts.append(el.text)
    for child in el:
        _emit_text(child, parts, in_pre or pre)
    if block and not in_pre:
        parts.append(_BREAK)
    if el.tail:
        parts.append(el.tail)


def _render_markdown(body: etree._Element) -> str:
    """Markdown from trafilatura's tree (headings, lists, quotes, code, tables, links, images)."""
    blocks: list[str] = []
    loose = _md_inline_text(body.text)
    if loose.strip():
        blocks.append(loose.strip())
    for child in body:
        _md_block(child, blocks, depth=0)
        if child.tail and child.tail.strip():
            blocks.append(_md_inline_text(child.tail).strip())
    return "\n\n".join(b for b in blocks if b.strip())


def _md_inline_text(text: str | None) -> str:
    return _md_escape(_WS.sub(" ", text)) if text else ""


def _md_inline(el: etree._Element, include_tail: bool = True) -> str:
    """Inline Markdown for an element's content (and tail)."""
    out: list[str] = []
    tag = el.tag if isinstance(el.tag, str) else ""
    inner = _md_inline_text(el.text) + "".join(_md_inline(c) for c in el)
    if tag == "hi":
        rend = el.get("rend") or ""
        mark = {"#b": "**", "#i": "*"}.get(rend)
        stripped = inner.strip()
        if rend == "#t" and stripped:
            out.append(_md_code_span(_WS.sub(" ", "".join(el.itertext()))))
        elif mark and stripped:
            out.append(f"{mark}{stripped}{mark}")
        else:
            out.append(inner)
    elif tag == "ref":
        target = el.get("target")
        label = inner.strip()
        if target and _is_http_url(target) and label:
            out.append(f"[{label}](<{target.replace('>', '%3E')}>)")
        else:
            out.append(inner)
    elif tag == "graphic":
        src = el.get("src")
        if src and _is_http_url(src):
            alt = _md_escape(_norm(el.get("alt") or el.get("title") or ""))
            out.append(f"![{alt}](<{src.replace('>', '%3E')}>)")
        out.append(_md_inline_text(el.text))
    elif tag == "lb":
        out.append("  \n")
    elif tag == "code":
        out.append(_md_code_span(_WS.sub(" ", "".join(el.itertext()))))
    elif tag == "del":
        pass
    else:
        out.append(inner)
    if include_tail and el.tail:
        out.append(_md_inline_text(el.tail))
    return "".join(out)


def _md_code_span(code: str) -> str:
    code = code.strip()
    if not code:
        return ""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", code)), default=0) + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


def _md_block(el: etree._Element, blocks: list[str], depth: int) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    rend = el.get("rend") or ""
    if tag == "head":
        level = (
            int(rend[1]) if rend[:1] == "h" and rend[1:] in ("1", "2", "3", "4", "5", "6") else 2
        )
        text = _norm(_md_inline(el, include_tail=False))
        if text:
            blocks.append("#" * level + " " + text)
    elif tag == "list":
        lines: list[str] = []
        _md_list(el, lines, depth)
        if lines:
            blocks.append("\n".join(lines))
    elif tag == "quote":
        inner: list[str] = []
        if el.text and el.text.strip() or any(c.tag not in _TEXT_BLOCKS for c in el):
            text = _md_inline(el, include_tail=False).strip()
            inner.append(text)
        else:
            for child in el:
                _md_block(child, inner, depth)
        quoted = "\n\n".join(b for b in inner if b.strip())
        if quoted:
            blocks.append("\n".join("> " + line if line else ">" for line in quoted.split("\n")))
    elif tag == "code":
        code = "".join(el.itertext()).strip("\n")
        if code.strip():
            fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", code)), default=0) + 1)
            blocks.append(f"{fence}\n{code}\n{fence}")
    elif tag == "table":
        rows = [
            [_norm(_md_inline(c, include_tail=False)).replace("|", "\\|") for c in row.iter("cell")]
            for row in el.iter("row")
        ]
        rows = [r for r in rows if any(r)]
        if rows:
            width = max(len(r) for r in rows)
            rows = [r + [""] * (width - len(r)) for r in rows]
            lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
            lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            blocks.append("\n".join(lines))
    elif tag == "graphic":
        img = _md_inline(el, include_tail=False)
        if img:
            blocks.append(img)
    elif tag in ("div", "body") or (
        tag == "p" and any(c.tag in ("list", "table", "quote") for c in el)
    ):
        if el.text and el.text.strip():
            blocks.append(_md_inline_text(el.text).strip())
        for child in el:
            _md_block(child, blocks, depth)
            if child.tail and child.tail.strip():
                blocks.append(_md_inline_text(child.tail).strip())
    else:
        text = _md_inline(el, include_tail=False).strip()
        if text:
            blocks.append(text)


def _md_list(el: etree._Element, lines: list[str], depth: int) -> None:
    ordered = (el.get("rend") or "") == "ol"
    number = 0
    indent = "   " * depth
    for item in el:
        if item.tag != "item":
            continue
        number += 1
        marker = f"{number}." if ordered else "-"
        text_parts = [_md_inline_text(item.text)]
        nested = []
        for child in item:
            if child.tag == "list":
                nested.append(child)
                if child.tail:
                    text_parts.append(_md_inline_text(child.tail))
            else:
                text_parts.append(_md_inline(child))
        text = _norm("".join(text_parts))
        if text:
            lines.append(f"{indent}{marker} {text}")
        for sub in nested:
            _md_list(sub, lines, depth + 1)


# --------------------------------------------------------------------------- fallback

_BOILERPLATE = (
    "nav",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "form",
    "noscript",
    "template",
    "svg",
    "iframe",
    "button",
    "select",
    "textarea",
    "object",
    "embed",
    "canvas",
    "dialog",
    "menu",
)
_FALLBACK_BLOCKS = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "pre",
    "blockquote",
    "section",
    "article",
    "main",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "td",
    "th",
    "body",
}


def _fallback_blocks(tree: lxml.html.HtmlElement) -> list[str]:
    """Visible body text minus obvious boilerplate, one entry per block."""
    body = tree.find("body")
    if body is None:
        body = tree
    body = copy.deepcopy(body)
    for el in list(body.iter(*_BOILERPLATE)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(body.iterfind(".//*[@role]")):
        if (
            el.get("role") in ("navigation", "banner", "contentinfo", "complementary", "search")
            and el.getparent() is not None
        ):
            el.drop_tree()
    for el in list(body.iterfind(".//*[@hidden]")) + list(
        body.iterfind(".//*[@aria-hidden='true']")
    ):
        if el.getparent() is not None:
            el.drop_tree()
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _FALLBACK_BLOCKS
        if block:
            parts.append(_BREAK)
        if tag == "br":
            parts.append(_LINE)
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if block:
            parts.append(_BREAK)
        if node.tail:
            parts.append(node.tail)

    walk(body)
    blocks = []
    for raw in "".join(parts).split(_BREAK):
        block = "\n".join(x for x in (_norm(line) for line in raw.split(_LINE)) if x)
        if block:
            blocks.append(block)
    return blocks


def _blocks_to_html(blocks: list[str]) -> str:
    return "".join("<p>" + html_lib.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


def _blocks_to_markdown(blocks: list[str]) -> str:
    return "\n\n".join(_md_escape(b).replace("\n", "  \n") for b in blocks)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])(?=\s)", re.M)


def _md_escape(text: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


# --------------------------------------------------------------------------- entry points


def _description_from_text(text: str) -> str:
    for para in text.split("\n\n"):
        para = _norm(para)
        if len(para) >= 40 or (para and _CJK_CHAR.search(para) and len(para) >= 15):
            if len(para) <= 300:
                return para
            cut = para[:300]
            space = cut.rfind(" ")
            return (cut[:space] if space > 200 else cut).rstrip(",;:. ") + "…"
    return ""


def extract_html(html_text: str, url: str | None = None) -> Extracted:
    """Metadata and readable main content of an HTML page (already decoded)."""
    tree = _parse(html_text) if html_text else None
    if tree is None:
        return Extracted(title=_title_from_url(url))

    meta = _collect_meta(tree, url)
    resolve = _Resolver(meta.base)
    title = _pick_title(meta, url)
    page = _LazyText(tree, meta.h1 or title)

    # metadata is read; what follows never needs scripts, styles or inline SVG,
    # and trafilatura would drop them from its own copy anyway
    etree.strip_elements(tree, "script", "style", "noscript", "template", "svg", with_tail=False)
    _absolutize(tree, resolve)
    doc = _run_trafilatura(tree, fast=True)
    text = _render_text(doc.body) if doc is not None and doc.body is not None else ""
    if len(text) < 1500:
        # fast mode sometimes keeps only a fragment (odd layouts, MathJax,
        # hidden nodes): let trafilatura's fallback cascade have a go
        visible = _visible_length(tree)
        if visible > 4 * max(len(text), 50):
            retry = _run_trafilatura(tree, fast=False)
            retry_text = (
                _render_text(retry.body) if retry is not None and retry.body is not None else ""
            )
            if len(retry_text) > 1.5 * len(text):
                doc, text = retry, retry_text

    blocks: list[str] | None = None
    if 0 < len(text) < 500:
        # on short pages trafilatura's own last resort keeps navigation and
        # headers; if the semantic boilerplate filter agrees on a subset, use it
        blocks = _fallback_blocks(tree)
        flat = _norm(text)
        if (
            not blocks
            or not all(_norm(b) in flat for b in blocks)
            or _norm(" ".join(blocks)) == flat
        ):
            blocks = None
    if text.strip() and blocks is None:
        readable = _render_html(doc.body)
        markdown = _render_markdown(doc.body)
    else:
        blocks = blocks if blocks is not None else _fallback_blocks(tree)
        text = "\n\n".join(blocks)
        readable = _blocks_to_html(blocks)
        markdown = _blocks_to_markdown(blocks)

    declared_lang = _normalize_lang(
        meta.html_lang
        or meta.tags.get("content-language", "")
        or meta.tags.get("og:locale", "")
        or meta.tags.get("language", "")
        or meta.tags.get("dc:language", "")
        or _ld_first(meta, "inLanguage")
    )
    language = _choose_language(declared_lang, text or title)
    chinese = language.startswith("zh") or bool(_CJK_CHAR.search(title[:50]))

    if not title:
        title = _title_from_url(url) or _first_line(text)

    image = ""
    for candidate in (
        meta.tags.get("og:image", ""),
        meta.tags.get("og:image:url", ""),
        meta.tags.get("og:image:secure_url", ""),
        meta.tags.get("twitter:image", ""),
        meta.tags.get("twitter:image:src", ""),
        _ld_image(meta),
        meta.link_image,
        meta.tags.get("image", ""),
    ):
        resolved = resolve(html_lib.unescape(candidate)) if candidate else None
        if resolved and _is_http_url(resolved):
            image = resolved
            break
    if not image and doc is not None and doc.body is not None:
        graphic = doc.body.find(".//graphic")
        if graphic is not None and _is_http_url(graphic.get("src")):
            image = graphic.get("src")

    description = ""
    for candidate in (
        meta.tags.get("og:description", ""),
        meta.tags.get("description", ""),
        meta.tags.get("twitter:description", ""),
        _ld_first(meta, "description"),
    ):
        candidate = _norm(html_lib.unescape(candidate))
        if candidate:
            description = candidate[:1000]
            break
    if not description:
        description = _description_from_text(text)

    return Extracted(
        title=title,
        author=_pick_author(
            meta, tree, page, chinese, _site_names(meta, url) + _title_suffix(meta)
        ),
        date=_pick_date(meta, tree, page),
        site_name=_pick_site_name(meta, page, url, chinese),
        language=language,
        description=description,
        image=image,
        text=text,
        html=sanitize_html(readable, meta.base),
        markdown=markdown,
        word_count=word_count(text),
    )


def _title_suffix(meta: _Meta) -> list[str]:
    """The trailing "_网易财经" / "| Site" segment of ``<title>``: usually the site."""
    parts = [p for p in _TITLE_SEPARATORS.split(meta.title_tag) if p.strip()]
    return [parts[-1]] if len(parts) >= 2 else []


def _first_line(text: str, limit: int = 120) -> str:
    for line in text.splitlines():
        line = _norm(line)
        if line:
            if len(line) <= limit:
                return line
            cut = line[:limit]
            space = cut.rfind(" ")
            return (cut[:space] if space > limit // 2 else cut) + "…"
    return ""


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n\n")
    paras = []
    for para in re.split(r"\n[ \t]*\n+", text):
        lines = [line.rstrip() for line in para.split("\n")]
        para = "\n".join(lines).strip("\n")
        if para.strip():
            paras.append(para)
    return paras


def _plain_document(text: str, url: str | None, title: str = "", **meta: str) -> Extracted:
    paras = _paragraphs(text)
    clean = "\n\n".join(paras)
    html = "".join("<p>" + html_lib.escape(p).replace("\n", "<br>") + "</p>" for p in paras)
    return Extracted(
        title=title or _first_line(clean) or _title_from_url(url),
        author=meta.get("author", ""),
        date=meta.get("date", ""),
        site_name=meta.get("site_name", "") or _host(url),
        language=guess_language(clean),
        description=_description_from_text(clean),
        image="",
        text=clean,
        html=sanitize_html(html),
        markdown=_blocks_to_markdown(paras),
        word_count=word_count(clean),
    )


def _host(url: str | None) -> str:
    host = urlsplit(url).hostname if url else None
    if not host:
        return ""
    return host[4:] if host.startswith("www.") else host


def extract_text_document(text: str, url: str | None = None) -> Extracted:
    """A text/plain document: title from its first short line, else from the URL."""
    text = text.lstrip("\ufeff")
    first = _first_line(text, limit=150)
    first_raw = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = first if first and first == _norm(first_raw) else ""
    return _plain_document(text, url, title=title or _title_from_url(url) or first)


_PDF_MAX_PAGES = 500
_PDF_MAX_CHARS = 5_000_000


def extract_pdf(body: bytes, url: str | None = None) -> Extracted:
    """Text and metadata of a PDF; unreadable or encrypted files raise Unsupported."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError
    except ImportError as exc:  # pragma: no cover
        raise Unsupported("PDF support is not installed (pypdf)") from exc

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception as exc:  # missing crypto backend, unknown handler
                raise Unsupported(f"encrypted PDF cannot be opened: {exc}") from exc
            if not unlocked:
                raise Unsupported("encrypted PDF needs a password")
        pages = []
        total = 0
        for page in reader.pages[:_PDF_MAX_PAGES]:
            page_text = page.extract_text() or ""
            pages.append(page_text)
            total += len(page_text)
            if total > _PDF_MAX_CHARS:
                break
        info = reader.metadata
    except Unsupported:
        raise
    except FileNotDecryptedError as exc:
        raise Unsupported("encrypted PDF needs a password") from exc
    except (PdfReadError, Exception) as exc:  # pypdf raises many kinds on broken files
        raise Unsupported(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc

    text = "\n\n".join(p.strip() for p in pages if p and p.strip())
    title = author = date = ""
    if info is not None:
        with contextlib.suppress(Exception):
            title = _norm(str(info.title or ""))
        with contextlib.suppress(Exception):
            author = _norm(str(info.author or ""))
        with contextlib.suppress(Exception):
            created = info.creation_date
            if created is not None:
                date = (
                    created.isoformat()
                    if created.time() != datetime.min.time()
                    else created.date().isoformat()
                )
    title = re.sub(r"^Microsoft (?:Word|PowerPoint|Excel) - ", "", title)
    if title.lower() in ("untitled", "untitled document", "unknown", "title"):
        title = ""
    return _plain_document(
        text,
        url,
        title=title or _first_line(text) or _title_from_url(url),
        author=author,
        date=date,
    )
