"""The reader-view HTML policy: untrusted HTML reduced to a small safe subset (nh3)."""

from __future__ import annotations

import nh3

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


def is_http_url(url: str | None) -> bool:
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
    if base_url and is_http_url(base_url):
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
