"""URLs in CSS and HTML: cleaning, resolving and classifying references, data: URLs.

Also the shared types of the capture rewriting code: :class:`Ref`, ``Mapper``, ``EMPTY``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, unquote_to_bytes

#: mapper(absolute_url_without_fragment, kind) -> replacement reference.
Mapper = Callable[[str, str], str]

#: What an unfetchable reference becomes: empty, self-contained, never reaches the web.
EMPTY = "data:,"

KINDS = frozenset({"stylesheet", "image", "font", "media", "icon", "document", "other"})


@dataclass(frozen=True)
class Ref:
    """A subresource to fetch: absolute http(s) URL without fragment, and what it is for."""

    url: str
    kind: str
    #: URLs to try in turn if this one fails (the other formats of a font face)
    fallbacks: tuple[str, ...] = ()


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_C0_SPACE = "".join(chr(c) for c in range(0x21))
_SPECIAL = {"http": "80", "https": "443"}
_SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "livescript", "mocha"})


def _encode_set(chars: str) -> re.Pattern[str]:
    """A WHATWG percent-encode set: ``chars`` plus C0 controls, space, DEL and non-ASCII."""
    return re.compile("[\\x00-\\x20\\x7f-\\U0010ffff" + re.escape(chars) + "]")


_PATH_UNSAFE = _encode_set('"#<>?`{}')
_QUERY_UNSAFE = _encode_set("\"#<>'")
_FRAGMENT_UNSAFE = _encode_set('"<>`')
_USERINFO_UNSAFE = _encode_set('"#<>?`{}/;=@[]\\^|')


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8", "surrogatepass"))


def _encode(text: str, unsafe: re.Pattern[str]) -> str:
    return unsafe.sub(_percent, text) if unsafe.search(text) else text


def clean_url(raw: str) -> str:
    """Strip what browsers strip: surrounding C0/space, and every tab or newline inside."""
    return raw.strip(_C0_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")


def url_scheme(raw: str) -> str | None:
    """Lower-case scheme of a (cleaned) reference, or None when it is relative."""
    m = _SCHEME.match(raw)
    return m.group(0)[:-1].lower() if m else None


def is_script_url(raw: str) -> bool:
    """True for javascript:/vbscript: URLs, however they are disguised with whitespace or case."""
    return ":" in raw and url_scheme(clean_url(raw)) in _SCRIPT_SCHEMES


def _host(authority: str) -> str | None:
    """Normalise the host[:port] part; None when invalid."""
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
        userinfo = _encode(userinfo, _USERINFO_UNSAFE) + "@"
    else:
        userinfo = ""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return None
        host, rest = authority[: end + 1].lower(), authority[end + 1 :]
        port = rest[1:] if rest.startswith(":") else None
        if rest and not rest.startswith(":"):
            return None
    else:
        host, sep, port = authority.partition(":")
        port = port if sep else None
        host = unquote(host).lower()
        if not host:
            return None
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                return None
        if any(c in host for c in " #%/:<>?@[\\]^|"):
            return None
    if port:
        if not port.isdigit():
            return None
        port = str(int(port))
    return userinfo + host + (f":{port}" if port else "")


def _remove_dot_segments(path: str) -> str:
    if "/." not in path and "/%2" not in path:
        return path  # no segment can be a dot segment (the common case: keep it fast)
    segments = path.split("/")[1:]
    out: list[str] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        low = seg.lower()
        if low in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if i == last:
                out.append("")
        elif low in (".", "%2e"):
            if i == last:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


@functools.lru_cache(maxsize=1024)
def _split_http(url: str) -> tuple[str, str, str, str | None] | None:
    """Split an absolute http(s) URL into (scheme, authority, path, query); no fragment."""
    m = _SCHEME.match(url)
    if not m:
        return None
    scheme = m.group(0)[:-1].lower()
    if scheme not in _SPECIAL:
        return None
    rest = url[m.end() :].split("#", 1)[0]
    rest = rest.lstrip("/\\")
    end = len(rest)
    for i, c in enumerate(rest):
        if c in "/\\?":
            end = i
            break
    authority, rest = rest[:end], rest[end:]
    path, sep, query = rest.partition("?")
    return scheme, authority, path.replace("\\", "/") or "/", query if sep else None


def resolve_url(base: str, raw: str) -> tuple[str, str | None] | None:
    """Resolve a reference the way a browser does; http(s) only.

    Returns (absolute URL without fragment, fragment or None), or None when the result is
    not an http(s) URL (other scheme, data:, unresolvable against a non-hierarchical base,
    invalid host). Written here rather than with urllib.parse.urljoin because urljoin
    collapses ``//`` in paths and ignores backslashes, so it would fetch different URLs
    than the browser that rendered the page.
    """
    ref = clean_url(raw)
    ref, hash_, fragment = ref.partition("#")
    frag = _encode(fragment, _FRAGMENT_UNSAFE) if hash_ else None
    scheme = url_scheme(ref)
    base_parts = _split_http(base) if base else None
    if scheme is not None:
        rest = ref[len(scheme) + 1 :]
        if scheme not in _SPECIAL:
            return None
        if base_parts and base_parts[0] == scheme and not rest.startswith(("/", "\\")):
            ref = rest  # "http:foo" relative to an http: base is a relative path
        else:
            parts = _split_http(scheme + "://" + rest.lstrip("/\\"))
            if parts is None:
                return None
            return _assemble(*parts, frag)
    if base_parts is None:
        return None
    b_scheme, b_auth, b_path, b_query = base_parts
    path, qsep, query = ref.partition("?")
    q: str | None = query if qsep else None
    path = path.replace("\\", "/")
    if path.startswith("//"):
        parts = _split_http(b_scheme + "://" + ref.lstrip("/\\"))
        if parts is None:
            return None
        return _assemble(*parts, frag)
    if path.startswith("/"):
        new_path = path
    elif not path:
        new_path = b_path
        if q is None:
            q = b_query
    else:
        new_path = b_path[: b_path.rfind("/") + 1] + path
    return _assemble(b_scheme, b_auth, new_path, q, frag)


def _assemble(
    scheme: str, authority: str, path: str, query: str | None, frag: str | None
) -> tuple[str, str | None] | None:
    host = _host(authority)
    if host is None:
        return None
    default = _SPECIAL[scheme]
    if host.endswith(":" + default) and not host.endswith("]"):
        host = host[: -len(default) - 1]
    path = _encode(_remove_dot_segments(path if path.startswith("/") else "/" + path), _PATH_UNSAFE)
    url = f"{scheme}://{host}{path}"
    if query is not None:
        url += "?" + _encode(query, _QUERY_UNSAFE)
    return url, frag


@dataclass(frozen=True)
class Target:
    """What a reference in a page points at, after cleaning and resolution.

    kind: "empty", "fragment" (same-document ``#id``), "data", "about", "script"
    (javascript:/vbscript:), "http" (url/fragment set) or "other" (any other scheme, or
    unresolvable).
    """

    kind: str
    url: str = ""
    fragment: str | None = None


def classify(raw: str, base: str) -> Target:
    """Classify and resolve one reference against the base URL."""
    if len(raw) > 1024:  # data: URLs and the like: cheap to classify, costly to keep
        return _classify(raw, base)
    return _classify_cached(raw, base)


def _classify(raw: str, base: str) -> Target:
    ref = clean_url(raw)
    if not ref:
        return Target("empty")
    if ref.startswith("#"):
        return Target("fragment", fragment=ref[1:])
    scheme = url_scheme(ref)
    if scheme == "data":
        return Target("data", ref)
    if scheme == "about":
        return Target("about", ref)
    if scheme in _SCRIPT_SCHEMES:
        return Target("script")
    resolved = resolve_url(base, ref)
    if resolved is None:
        return Target("other")
    return Target("http", resolved[0], resolved[1])


# Discovery and rewriting resolve the same references, and pages of a site share most.
_classify_cached = functools.lru_cache(maxsize=4096)(_classify)


def with_fragment(replacement: str, fragment: str | None) -> str:
    """Re-append the original fragment (not to the empty placeholder, which has no content)."""
    if fragment is None or replacement == EMPTY:
        return replacement
    return f"{replacement}#{fragment}"


def decode_data_url(url: str) -> tuple[str, str | None, bytes] | None:
    """Decode a data: URL into (mime type, charset or None, bytes); None when malformed."""
    ref = clean_url(url)
    if url_scheme(ref) != "data":
        return None
    header, comma, payload = ref[5:].partition(",")
    if not comma:
        return None
    payload = payload.split("#", 1)[0]
    params = [p.strip() for p in header.split(";")]
    is_base64 = len(params) > 1 and params[-1].lower() == "base64"
    if is_base64:
        params = params[:-1]
    mime = params[0].lower() if params and "/" in params[0] else "text/plain"
    charset = None
    for p in params[1:]:
        name, _, value = p.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    data = unquote_to_bytes(payload)
    if is_base64:
        compact = bytes(b for b in data if b not in b" \t\n\r\f")
        compact += b"=" * (-len(compact) % 4)
        try:
            data = base64.b64decode(compact, validate=False)
        except (binascii.Error, ValueError):
            return None
    return mime, charset, data
