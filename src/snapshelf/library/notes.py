"""Markdown notes: the owner writes Markdown, pages show it as sanitised HTML.

Notes are user input shown on the owner's page and on public pages, so the
Markdown renderer never passes raw HTML through and nh3 removes anything that
is not plain text formatting afterwards (defence in depth).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "del", "s",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_REL = "noopener noreferrer nofollow"


def _image_as_link(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Notes never load images (no tracking pixels); the image becomes a plain link."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt or src)}</a>'


@cache
def _markdown() -> MarkdownIt:
    """One parser per process: building the rule chains is the slow part."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    return md


def render_note(markdown: str) -> str:
    """Safe HTML for a Markdown note; callers may mark the result safe."""
    if not markdown or not markdown.strip():
        return ""
    html = _markdown().render(markdown)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=_REL,
        strip_comments=True,
    )
