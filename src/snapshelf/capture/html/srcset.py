"""``srcset`` attribute values: parse them into candidates and format them back."""

from __future__ import annotations

_WS = " \t\n\r\f"


def parse_srcset(value: str) -> list[tuple[str, str]]:
    """Split a srcset into (url, descriptors) candidates, per the HTML parsing algorithm.

    URLs may contain commas (only a trailing comma ends a URL); descriptors such as
    ``1.5x`` or ``300w`` are returned as written (space-joined).
    """
    out: list[tuple[str, str]] = []
    pos, n = 0, len(value)
    while True:
        while pos < n and (value[pos] in _WS or value[pos] == ","):
            pos += 1
        if pos >= n:
            return out
        start = pos
        while pos < n and value[pos] not in _WS:
            pos += 1
        url = value[start:pos]
        descriptors: list[str] = []
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            current, state = "", "in"
            while pos < n and value[pos] in _WS:
                pos += 1
            while True:
                c = value[pos] if pos < n else ""
                if state == "in":
                    if not c:
                        break
                    if c in _WS:
                        if current:
                            descriptors.append(current)
                            current = ""
                        state = "after"
                    elif c == ",":
                        pos += 1
                        break
                    else:
                        current += c
                        if c == "(":
                            state = "paren"
                elif state == "paren":
                    if not c:
                        break
                    current += c
                    if c == ")":
                        state = "in"
                else:  # after a descriptor
                    if not c:
                        break
                    if c not in _WS:
                        state = "in"
                        continue
                pos += 1
            if current:
                descriptors.append(current)
        if url:
            out.append((url, " ".join(descriptors)))


def format_srcset(candidates: list[tuple[str, str]]) -> str:
    """Inverse of :func:`parse_srcset`."""
    return ", ".join(f"{url} {d}" if d else url for url, d in candidates)
