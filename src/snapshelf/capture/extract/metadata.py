"""Title, author and site name picked from the page's signals (see :mod:`.parse`).

Sources in order of trust: JSON-LD, Open Graph and other ``<meta>`` tags,
``<title>``/``<h1>``, byline markup near the headline, and the labels Chinese
news pages put in their text (作者：, 来源：).
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from snapshelf.capture.extract.parse import LazyText, Meta, Resolver, ld_first, ld_image, ld_text
from snapshelf.capture.extract.sanitize import is_http_url
from snapshelf.capture.extract.text import description_from_text, norm

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:»·•/\\]\s+|\s*[|｜_]\s*|\s+::\s+")


def _clean_title(title: str, site_names: list[str]) -> str:
    """Drop a site-name segment from "Headline | Site" style titles.

    Only segments we can identify (the site's name, its host) are removed;
    otherwise the title is kept whole rather than guessed at.
    """
    title = norm(title)
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


def known_site_names(meta: Meta, url: str | None) -> list[str]:
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


def _ld_publisher(meta: Meta) -> str:
    for obj in meta.jsonld:
        pub = obj.get("publisher")
        if isinstance(pub, list) and pub:
            pub = pub[0]
        if isinstance(pub, dict):
            name = ld_text(pub.get("name"))
            if name:
                return name
    return ""


def _ld_title(meta: Meta) -> str:
    """JSON-LD headline or name, whichever agrees with the page title.

    Some sites put a description in ``headline`` (Wikipedia) or their own
    name in ``name``; the one that shares words with ``<title>`` is right.
    """
    for obj in meta.jsonld:
        headline = ld_text(obj.get("headline"))
        name = ld_text(obj.get("name"))
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


def pick_title(meta: Meta, url: str | None) -> str:
    sites = known_site_names(meta, url)
    candidates = [_ld_title(meta)]
    candidates += [meta.tags.get(key, "") for key in _TITLE_META_KEYS]
    candidates += [meta.title_tag, meta.h1]
    for candidate in candidates:
        # already text: the parser decoded <title> and attributes, ld_text JSON-LD; one
        # more unescape would turn a title about "&amp;amp;" into one about "&"
        cleaned = _clean_title(candidate, sites) if candidate else ""
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
            title = _drop_pipe_suffix(_untruncate(cleaned, meta, sites))
            return _headline(title, meta.h1, sites)[:500]
    return ""


#: a heading's permalink marker (Sphinx's ¶, "#", §) at its end
_PERMALINK = re.compile(r"\s*[¶#§🔗]+\s*$")


def _headline(title: str, h1: str, sites: list[str]) -> str:
    """The page's own ``<h1>`` when it names the same thing as the title tags.

    Titles written for search results and tabs carry extras the page's headline
    leaves out ("[2025]: Yearly Tuition + Fees", "davidbau.com", a forum's section
    path) or drop a number it shows ("8 Recent Trends..."); when most of the h1's words
    are the title's and they make up much of the title, the h1 is what the reader saw.
    A logo or section heading (a site name, one word of a long title) does not pass."""
    h1 = _PERMALINK.sub("", h1)
    if not h1 or h1 == title or len(h1) < 4 or _clean_title(h1, sites) != h1:
        return title
    if h1.isupper() and not title.isupper():
        return title  # a headline set in capitals: the title tags have its casing
    segments = [p.strip().casefold() for p in _TITLE_SEPARATORS.split(title)]
    if h1.casefold() in segments[1:]:
        return title  # "Page — Project": an h1 naming the project or section
    if any(re.sub(r"\W+", "", s.casefold()) == re.sub(r"\W+", "", h1.casefold()) for s in sites):
        return title
    head, tab = _title_words(h1), _title_words(title)
    shared = len(head & tab)
    if not head or not tab or shared < 2:
        return title
    if shared / len(head) >= 0.8 and shared / len(tab) >= 0.5:
        return h1
    return title


_PIPE = re.compile(r"\s+[|｜]\s+")
_ELLIPSIS = re.compile(r"\s*(?:\.{3}|…)$")


def _drop_pipe_suffix(title: str) -> str:
    """ "Headline | Section | Site" -> "Headline".

    A spaced pipe separates a page's own name from where it sits on a site far
    more often than it joins two halves of a headline, even when the trailing
    part is not a name we know; a too-short head is kept whole.
    """
    head = _PIPE.split(title, 1)[0].strip()
    return head if len(head) >= 10 and head != title else title


def _untruncate(title: str, meta: Meta, sites: list[str]) -> str:
    """A title cut short with "..." in a meta tag: the ``<h1>`` or ``<title>`` has it whole."""
    m = _ELLIPSIS.search(title)
    if not m:
        return title
    stem = title[: m.start()].rstrip()
    for fuller in (meta.h1, _clean_title(meta.title_tag, sites)):
        if len(fuller) > len(stem) and fuller.startswith(stem):
            return fuller
    return title


_BY_PREFIX = re.compile(
    r"^(?:(?:written|posted|published|words|story|reported|text|photos?)\s+by|by|von|par|por|"
    r"di|door|av|przez|authors?|autor(?:in)?|auteur|verfasst von|geschrieben von|"
    r"作者|文|记者|撰文|编辑|责任编辑|来源)[\s:：/|]+",
    re.I,
)
# "Author" glued to the name by a page that sets the label in its own element
_GLUED_LABEL = re.compile(r"^(?:Authors?|Written by|Posted by|By|Autor|Von)(?=[A-Z][a-z])")
# page text that bylines pick up around the name
_BYLINE_JUNK = re.compile(
    r"\s*(?:view (?:all|more) (?:posts|articles|stories)|more (?:posts|articles|stories) by|"
    r"(?:see|read) (?:full )?(?:bio|profile)|follow(?: on| me)?\b|contact (?:the )?author|"
    r"all posts by|send email|e-?mail (?:the )?author|\d+\s+(?:posts|articles)\b).*$",
    re.I,
)


_TRAILING_DATE = re.compile(
    r"\s*(?:[|,·•-]\s*)?(?:(?:on|updated|published)\s+)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}).*$",
    re.I,
)


# what follows a name in a byline: "… Last updated on 17 December 2025", "… Sponsored"
_TRAILING_LABEL = re.compile(
    r"\s*(?:[|,·•-]\s*)?\b(?:(?:last\s+)?(?:updated|modified|published|posted|reviewed)\b|"
    r"sponsored$).*$",
    re.I,
)
# a name glued to the next element's text: "Reyan PerumalPublished", "Sofia KondratEdTech
# Content writer": a lowercase run of 4+ letters, then a capital ("McCarthy", "MacDonald"
# and "DeShawn" never match), then a label or several words ("VanderMeer" stays whole)
_GLUED_TAIL = re.compile(r"(?<=[a-z]{4})(?=[A-Z])")
_TAIL_LABEL = re.compile(
    r"(?:published|updated|posted|reviewed|author|editor|writer|staff|contributor)\b", re.I
)
# a value with nothing but a date, time, or number in it ("Sat, 20 Dec, 2025 - 06:36", a
# user id): no name at all ("May", "Julian" are names: a digit is required, words exact)
_NOT_A_NAME = re.compile(
    r"^(?=.*\d)(?:[\d\s.,:/|·–—-]|\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}|jan(?:uary)?|"
    r"feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|am|pm)\b)+$",
    re.I,
)


def _clean_author(value: str) -> str:
    value = norm(html_lib.unescape(value))
    value = _GLUED_LABEL.sub("", value)
    value = _BY_PREFIX.sub("", value)
    value = _BYLINE_JUNK.sub("", value)
    value = _TRAILING_DATE.sub("", value).strip(" ,;|·-–—")
    value = _TRAILING_LABEL.sub("", value).strip(" ,;|·-–—")
    glued = _GLUED_TAIL.search(value)
    if glued and len(value[: glued.start()].split()) >= 2:  # a whole name before the glue
        tail = value[glued.start() :]
        if len(tail.split()) >= 2 or _TAIL_LABEL.match(tail):
            value = value[: glued.start()]
    value = re.sub(r"\s*[-–—|]\s*\d+$", "", value)  # "EcoFlow- 20": a counter after the name
    if (
        not value
        or _NOT_A_NAME.match(value)
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


# "/descendant::*" rather than "//*": libxml2 collects every node for "//" first
_XP_REL_AUTHOR = etree.XPath(
    "/descendant::*[@rel][contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"
)
_XP_ITEMPROP_AUTHOR = etree.XPath("/descendant::*[@itemprop='author']")
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
        text = norm(el.text_content())
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


def pick_author(
    meta: Meta, tree: lxml.html.HtmlElement, page_text: LazyText, chinese: bool, sites: list[str]
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
    if found and not is_site(found) and not (chinese and _CJK_ORGANISATION.search(found)):
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


def _ld_author(meta: Meta) -> str:
    for obj in meta.jsonld:
        if "author" in obj or "creator" in obj:
            value = obj.get("author") or obj.get("creator")
            items = value if isinstance(value, list) else [value]
            names = [n for n in (_clean_author(ld_text(v)) for v in items) if n]
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
#: a declared "author" that names a newspaper, site or column (新京报, 观察者网专栏,
#: 新浪财经-自媒体综合): Chinese pages then name the person with a label in the text
_CJK_ORGANISATION = re.compile(
    r"(?:网|报|社|台|站|综合|专栏|频道|客户端|新闻|周刊|杂志|中心|集团|公司|传媒|媒体|财经)$"
    r"|[\u4e00-\u9fff]\s*[-—]\s*[\u4e00-\u9fff]"
)
_CJK_EDITOR = re.compile(r"(?:责任编辑|责编|编辑)\s*[：:]\s*" + _CJK_NAME)
_CJK_SOURCE = re.compile(r"(?:来源|來源|出处|稿源)\s*[：:]\s*([^\s|｜:：<>\[\]【】()（）]{2,30})")


def _cjk_author(page: LazyText) -> str:
    for region in (page.after_title, page.text[:20000]):
        m = _CJK_AUTHOR.search(region)
        if m:
            return norm(m.group(1) or m.group(2))
    m = _CJK_EDITOR.search(page.text)
    if m:
        return norm(m.group(1))
    return ""


def pick_site_name(meta: Meta, page: LazyText, url: str | None, chinese: bool) -> str:
    for value in (
        meta.tags.get("og:site_name", ""),
        _ld_publisher(meta),
        meta.tags.get("application-name", ""),
    ):
        value = norm(html_lib.unescape(value))
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


def title_suffix(meta: Meta) -> list[str]:
    """The trailing "_网易财经" / "| Site" segment of ``<title>``: usually the site."""
    parts = [p for p in _TITLE_SEPARATORS.split(meta.title_tag) if p.strip()]
    return [parts[-1]] if len(parts) >= 2 else []


def pick_image(meta: Meta, resolve: Resolver, doc: Any) -> str:
    """The lead image: declared ones first, else the first image of the main content."""
    image = ""
    for candidate in (
        meta.tags.get("og:image", ""),
        meta.tags.get("og:image:url", ""),
        meta.tags.get("og:image:secure_url", ""),
        meta.tags.get("twitter:image", ""),
        meta.tags.get("twitter:image:src", ""),
        ld_image(meta),
        meta.link_image,
        meta.tags.get("image", ""),
    ):
        resolved = resolve(html_lib.unescape(candidate)) if candidate else None
        if resolved and is_http_url(resolved):
            image = resolved
            break
    if not image and doc is not None and doc.body is not None:
        graphic = doc.body.find(".//graphic")
        if graphic is not None and is_http_url(graphic.get("src")):
            image = graphic.get("src")
    return image


def pick_description(meta: Meta, text: str) -> str:
    """The declared description, else the first substantial paragraph of the text."""
    description = ""
    for candidate in (
        meta.tags.get("og:description", ""),
        meta.tags.get("description", ""),
        meta.tags.get("twitter:description", ""),
        ld_first(meta, "description"),
    ):
        candidate = norm(html_lib.unescape(candidate))
        if candidate:
            description = candidate[:1000]
            break
    if not description:
        description = description_from_text(text)
    return description
