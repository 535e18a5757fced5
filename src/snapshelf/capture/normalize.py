"""URL normalisation: the key that makes one link per page per user."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from snapshelf.errors import InvalidURL

_TRACKING = re.compile(
    r"^(utm_[a-z0-9_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid"
    r"|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|spm|share_source|scm)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEMELESS = re.compile(r"^[\w.-]+\.[a-z]{2,}(:\d+)?(/|$)", re.IGNORECASE)

#: Characters `quote` leaves alone in a path (its safe set, letters, digits, "_.-~") and
#: in a query value (the same without "&+=%?": those parsing splits or decodes).
_PATH_CHARS = "A-Za-z0-9/%:@!$&'()*+,;=~._-"
_QUERY_CHARS = "A-Za-z0-9/:@!$'()*,;~._-"
#: The shape most saved URLs have: http(s), an ASCII host name of valid labels (no port,
#: no user, no IDNA), a path and a query of characters normalisation leaves as they are.
_PLAIN = re.compile(
    r"(https?)://([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*)"
    rf"(/[{_PATH_CHARS}]*)?(?:\?([^#]*))?(?:#.*)?",
    re.IGNORECASE | re.DOTALL | re.ASCII,
)
_PLAIN_PAIR = re.compile(rf"([{_QUERY_CHARS}]+)=[{_QUERY_CHARS}]*", re.ASCII)


def normalize_url(raw: str) -> str:
    """Canonical form: lower-case scheme/host, IDNA host, no default port/fragment/tracking."""
    text = (raw or "").strip()
    return _plain(text) or _normalize(raw, text)


def _plain(text: str) -> str | None:
    """The canonical form of a URL of the common shape (_PLAIN), without parsing it into
    parts and re-encoding them; None for any other URL. An import normalises 100,000 of
    these; the result is exactly what _normalize gives (tests/capture/test_normalize_fast)."""
    m = _PLAIN.fullmatch(text)
    if m is None:
        return None
    scheme, host, path, query = m.groups()
    if "xn--" in host.lower():
        return None
    kept = ""
    if query:
        pairs = query.split("&")
        for pair in pairs:
            found = _PLAIN_PAIR.fullmatch(pair)
            if found is None:
                return None
            if not _TRACKING.match(found.group(1)):
                kept = f"{kept}&{pair}" if kept else pair
    url = f"{scheme.lower()}://{host.lower()}{path or '/'}"
    return f"{url}?{kept}" if kept else url


def _check_a_labels(netloc: str) -> None:
    """ValueError unless httpx (the fetcher) decodes the host's A-labels too. httpx is
    imported here, not at the top: every command normalises URLs, few see an A-label."""
    import httpx

    try:
        _ = httpx.URL(f"http://{netloc}/").host
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None


def _normalize(raw: str, text: str) -> str:
    if not text:
        raise InvalidURL("empty URL")
    if "://" not in text and _SCHEMELESS.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"not a valid URL: {raw!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"only http and https links can be saved, not {scheme or 'this'}: {raw!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL(f"the URL has no host: {raw!r}")
    if any(c.isspace() for c in host):
        raise InvalidURL(f"the host contains spaces: {raw!r}")
    if ":" in host:  # IPv6 literal
        netloc = f"[{host.lower()}]"
    else:
        try:
            netloc = host.encode("idna").decode("ascii").lower()
            if "xn--" in netloc:  # A-labels must decode as the fetcher decodes them
                _check_a_labels(netloc)
        except (UnicodeError, ValueError):
            raise InvalidURL(f"the host name is not valid: {host!r}") from None
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    query = urlencode(query_pairs, quote_via=quote, safe="/:@!$'()*,;~") if query_pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))
