"""URL normalisation: the key that makes one link per page per user."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx

from snapshelf.errors import InvalidURL

_TRACKING = re.compile(
    r"^(utm_[a-z0-9_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid"
    r"|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|spm|share_source|scm)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEMELESS = re.compile(r"^[\w.-]+\.[a-z]{2,}(:\d+)?(/|$)", re.IGNORECASE)


def normalize_url(raw: str) -> str:
    """Canonical form: lower-case scheme/host, IDNA host, no default port/fragment/tracking."""
    text = (raw or "").strip()
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
                _ = httpx.URL(f"http://{netloc}/").host
        except (UnicodeError, ValueError, httpx.InvalidURL):
            raise InvalidURL(f"the host name is not valid: {host!r}") from None
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    query = urlencode(query_pairs, quote_via=quote, safe="/:@!$'()*,;~") if query_pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))
