"""Shared checks for captured snapshots."""

from __future__ import annotations

import re

import lxml.html

from snapshelf.jobs.capture import run_capture
from snapshelf.library.records import add_link

_URL_ATTRS = ("src", "href", "poster", "background", "data", "srcset")
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]*)""", re.IGNORECASE)


def capture(user, url: str, tags=()):
    _link, snap = add_link(user, url, tags)
    return run_capture(snap.pk).snapshot


def resource_references(html: str) -> list[str]:
    """Every URL the replay document would load (navigation links excluded)."""
    tree = lxml.html.document_fromstring(html)
    refs: list[str] = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower().split("}")[-1]
        for attr, value in el.attrib.items():
            name = attr.lower().split("}")[-1]
            if name == "href" and tag in {"a", "area"}:
                continue
            if name == "srcset":
                refs += srcset_urls(value)
            elif name in _URL_ATTRS:
                refs.append(value.strip())
            elif name == "style":
                refs += _CSS_URL.findall(value)
        if tag == "style" and el.text:
            refs += _CSS_URL.findall(el.text)
    return refs


def srcset_urls(value: str) -> list[str]:
    """URLs of a srcset, split as the HTML spec does (URLs may contain commas)."""
    urls, pos = [], 0
    while pos < len(value):
        while pos < len(value) and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < len(value) and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            while pos < len(value) and value[pos] != ",":
                pos += 1
        if url:
            urls.append(url)
    return urls


def is_local_reference(ref: str) -> bool:
    return ref.startswith(("r/", "data:", "about:blank", "#")) or ref == ""
