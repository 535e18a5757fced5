"""Markdown from trafilatura's result tree, or from plain text blocks."""

from __future__ import annotations

import re

from lxml import etree

from snapshelf.capture.extract.content import TEXT_BLOCKS
from snapshelf.capture.extract.sanitize import is_http_url
from snapshelf.capture.extract.text import WS, norm


def render_markdown(body: etree._Element) -> str:
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
    if not text:
        return ""
    # printable text without a double space has no whitespace but single spaces (every
    # other whitespace character is a control or separator): nothing to collapse
    if not text.isprintable() or "  " in text:
        text = WS.sub(" ", text)
    return _md_escape(text)


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
            out.append(_md_code_span(WS.sub(" ", "".join(el.itertext()))))
        elif mark and stripped:
            out.append(f"{mark}{stripped}{mark}")
        else:
            out.append(inner)
    elif tag == "ref":
        target = el.get("target")
        label = inner.strip()
        if target and is_http_url(target) and label:
            out.append(f"[{label}](<{target.replace('>', '%3E')}>)")
        else:
            out.append(inner)
    elif tag == "graphic":
        src = el.get("src")
        if src and is_http_url(src):
            alt = _md_escape(norm(el.get("alt") or el.get("title") or ""))
            out.append(f"![{alt}](<{src.replace('>', '%3E')}>)")
        out.append(_md_inline_text(el.text))
    elif tag == "lb":
        out.append("  \n")
    elif tag == "code":
        out.append(_md_code_span(WS.sub(" ", "".join(el.itertext()))))
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
        text = norm(_md_inline(el, include_tail=False))
        if text:
            blocks.append("#" * level + " " + text)
    elif tag == "list":
        lines: list[str] = []
        _md_list(el, lines, depth)
        if lines:
            blocks.append("\n".join(lines))
    elif tag == "quote":
        inner: list[str] = []
        if el.text and el.text.strip() or any(c.tag not in TEXT_BLOCKS for c in el):
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
            [norm(_md_inline(c, include_tail=False)).replace("|", "\\|") for c in row.iter("cell")]
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
        text = norm("".join(text_parts))
        if text:
            lines.append(f"{indent}{marker} {text}")
        for sub in nested:
            _md_list(sub, lines, depth + 1)


def blocks_to_markdown(blocks: list[str]) -> str:
    return "\n\n".join(_md_escape(b).replace("\n", "  \n") for b in blocks)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+[.)])(?=\s)", re.M)


def _md_escape(text: str) -> str:
    # a search first: most texts have nothing to escape, and a substitution with a
    # template costs five times a search even then
    if _MD_SPECIAL.search(text):
        text = _MD_SPECIAL.sub(r"\\\1", text)
    if _MD_LINE_START.search(text):
        text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return text
