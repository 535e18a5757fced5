"""text/plain documents (and the plain-text form PDFs are reduced to)."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urlsplit

from snapshelf.capture.extract.markdown import blocks_to_markdown
from snapshelf.capture.extract.parse import title_from_url
from snapshelf.capture.extract.sanitize import sanitize_html
from snapshelf.capture.extract.text import (
    description_from_text,
    first_line,
    guess_language,
    norm,
    word_count,
)
from snapshelf.capture.types import Extracted


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n\n")
    paras = []
    for para in re.split(r"\n[ \t]*\n+", text):
        lines = [line.rstrip() for line in para.split("\n")]
        para = "\n".join(lines).strip("\n")
        if para.strip():
            paras.append(para)
    return paras


def plain_document(text: str, url: str | None, title: str = "", **meta: str) -> Extracted:
    paras = _paragraphs(text)
    clean = "\n\n".join(paras)
    html = "".join("<p>" + html_lib.escape(p).replace("\n", "<br>") + "</p>" for p in paras)
    return Extracted(
        title=title or first_line(clean) or title_from_url(url),
        author=meta.get("author", ""),
        date=meta.get("date", ""),
        site_name=meta.get("site_name", "") or _host(url),
        language=guess_language(clean),
        description=description_from_text(clean),
        image="",
        text=clean,
        html=sanitize_html(html),
        markdown=blocks_to_markdown(paras),
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
    first = first_line(text, limit=150)
    first_raw = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = first if first and first == norm(first_raw) else ""
    return plain_document(text, url, title=title or title_from_url(url) or first)
