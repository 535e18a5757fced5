"""CSS for static capture: decode stylesheets, find their subresources, rewrite them for replay.

All URL handling goes through tinycss2 tokens (``url()``, ``url("…")``, ``src()``,
``image-set()``, ``@import``), never through regular expressions, so comments, strings,
escapes and broken CSS are treated exactly as a browser's tokenizer treats them. Rewriting
replaces those tokens in the original text and leaves every other character as it was.

This module is the leaf of the capture rewriting code, so it also holds the shared
reference type (:class:`Ref`) and the URL helpers used by ``html.py`` and ``resources.py``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, unquote_to_bytes

import tinycss2
import webencodings  # hard dependency of tinycss2: the WHATWG encoding label table
from tinycss2.ast import StringToken, URLToken
from tinycss2.serializer import serialize_string_value

#: mapper(absolute_url_without_fragment, kind) -> replacement reference.
Mapper = Callable[[str, str], str]

#: What an unfetchable reference becomes: empty, self-contained, never reaches the web.
EMPTY = "data:,"

KINDS = frozenset({"stylesheet", "image", "font", "media", "icon", "document", "other"})

# Stylesheets nested as data: URLs inside data: URLs: a pathological page could nest forever.
_MAX_DATA_DEPTH = 8


@dataclass(frozen=True)
class Ref:
    """A subresource to fetch: absolute http(s) URL without fragment, and what it is for."""

    url: str
    kind: str


# --------------------------------------------------------------------------- URLs

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


# --------------------------------------------------------------------------- decoding


def _codec(label: str | None) -> Callable[[bytes], str] | None:
    """A decoder for a WHATWG encoding label; GB2312/GBK are read as GB18030 (superset)."""
    if not label:
        return None
    enc = webencodings.lookup(label.strip().strip("\"'"))
    if enc is None or enc.name == "replacement":
        return None
    if enc.name in ("gbk", "gb18030"):
        return lambda b: b.decode("gb18030", "replace")
    info = enc.codec_info
    return lambda b: info.decode(b, "replace")[0]


def _charset_rule(body: bytes) -> str | None:
    # CSS Syntax §3.2: only the exact byte pattern @charset "label"; counts.
    if not body.startswith(b'@charset "'):
        return None
    end = body.find(b'"', 10, 100)
    if end < 0 or not body.startswith(b'";', end):
        return None
    label = body[10:end].decode("latin-1")
    enc = webencodings.lookup(label)
    if enc is not None and enc.name in ("utf-16be", "utf-16le"):
        return "utf-8"
    return label


def decode_css(body: bytes, http_charset: str | None, fallback: str | None = None) -> str:
    """Decode stylesheet bytes in the browser's order, so the archive reads what the page read.

    Order: BOM, HTTP charset, ``@charset``, the referring document's charset (fallback),
    UTF-8. Undecodable bytes become U+FFFD rather than failing the capture.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    if body.startswith(b"\xff\xfe"):
        return body[2:].decode("utf-16-le", "replace")
    if body.startswith(b"\xfe\xff"):
        return body[2:].decode("utf-16-be", "replace")
    for label in (http_charset, _charset_rule(body), fallback):
        decode = _codec(label)
        if decode is not None:
            return decode(body)
    return body.decode("utf-8", "replace")


def _data_stylesheet_text(url: str) -> tuple[str, bytes] | None:
    decoded = decode_data_url(url)
    if decoded is None:
        return None
    _mime, charset, body = decoded
    return decode_css(body, charset), body


# --------------------------------------------------------------------------- token walking

#: callback(raw url value, kind) -> replacement raw value, or None to keep the token.
_Visit = Callable[[str, str], "str | None"]


def _first_significant(nodes: list) -> int | None:
    for i, node in enumerate(nodes):
        if node.type not in ("whitespace", "comment"):
            return i
    return None


def _new_string(old, value: str) -> StringToken:
    return StringToken(
        old.source_line, old.source_column, value, f'"{serialize_string_value(value)}"'
    )


def _new_url(old, value: str) -> URLToken:
    return URLToken(old.source_line, old.source_column, value, f"url({serialize_url(value)})")


class _Walk:
    """One pass over a token tree, calling ``visit`` for every URL and applying replacements."""

    def __init__(self, visit: _Visit) -> None:
        self.visit = visit
        self.changed = False

    def _replace(self, nodes: list, i: int, kind: str) -> None:
        node = nodes[i]
        if node.type == "url":
            new = self.visit(node.value, kind)
            if new is not None and new != node.value:
                nodes[i] = _new_url(node, new)
                self.changed = True
        elif node.type == "string":
            new = self.visit(node.value, kind)
            if new is not None and new != node.value:
                nodes[i] = _new_string(node, new)
                self.changed = True
        elif node.type == "function" and node.lower_name in ("url", "src"):
            j = _first_significant(node.arguments)
            if j is not None and node.arguments[j].type == "string":
                self._replace(node.arguments, j, kind)

    def values(self, nodes: list, kind: str) -> None:
        """Component values: declarations, nested blocks and nested rules alike."""
        pending_at: str | None = None
        for i, node in enumerate(nodes):
            t = node.type
            if t == "url":
                self._replace(nodes, i, kind)
            elif t == "function":
                name = node.lower_name
                if name in ("url", "src"):
                    self._replace(nodes, i, kind)
                    continue
                if name in ("image-set", "-webkit-image-set"):
                    # Bare strings in image-set() are image URLs too.
                    for j, arg in enumerate(node.arguments):
                        if arg.type == "string":
                            self._replace(node.arguments, j, "image")
                self.values(node.arguments, kind)
            elif t in ("() block", "[] block"):
                self.values(node.content, kind)
            elif t == "{} block":
                # Nested at-rules (e.g. @font-face inside @media) are plain tokens here.
                self.values(node.content, "font" if pending_at == "font-face" else kind)
                pending_at = None
            elif t == "at-keyword":
                pending_at = node.lower_value
            elif t == "literal" and node.value == ";":
                pending_at = None

    def stylesheet(self, rules: list) -> list:
        out = []
        for rule in rules:
            t = rule.type
            if t == "error":
                # Unparseable top-level rules are ignored by browsers too; drop them.
                self.changed = True
                continue
            if t == "at-rule":
                keyword = rule.lower_at_keyword
                if keyword == "charset":
                    self.changed = True  # output is UTF-8: the declaration would lie
                    continue
                if keyword == "import":
                    j = _first_significant(rule.prelude)
                    if j is not None:
                        self._replace(rule.prelude, j, "stylesheet")
                elif keyword == "namespace":
                    pass  # a namespace name, not a resource
                elif rule.content is not None:
                    self.values(rule.content, "font" if keyword == "font-face" else "image")
            elif t == "qualified-rule":
                self.values(rule.content, "image")
            out.append(rule)
        return out


_URL_MARKERS = ("url(", "@import", "image-set(", "src(", "@charset")


def _may_have_urls(css: str) -> bool:
    """Cheap pre-check so URL-free stylesheets (and rules) skip tokenising (pure Python,
    slow). Any backslash counts as a maybe: CSS escapes can spell ``url(`` (``\\75 rl(``).
    """
    if "\\" in css:
        return True
    low = css.lower()
    return any(marker in low for marker in _URL_MARKERS)


def _parse_sheet(css: str) -> list:
    return tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False)


def _parse_values(css: str) -> list:
    return tinycss2.parse_component_value_list(css, skip_comments=False)


# --------------------------------------------------------------------------- scanning
#
# Tokenising is the slow part (tinycss2 is pure Python), and the same text is looked at
# several times: discovery in resources.collect, rewriting in replay.build_replay, the
# same stylesheet on every page of a site. So a stylesheet is tokenised once into a
# _Scan: where each URL token sits in the text. Rewriting then replaces just those
# tokens in the original text (everything else is kept byte for byte) instead of
# re-serialising a token tree.


class _Recorder(_Walk):
    """A walk that records URL tokens (and what they load) instead of replacing them."""

    def __init__(self) -> None:
        super().__init__(lambda _raw, _kind: None)
        self.found: list[tuple[object, str]] = []

    def _replace(self, nodes: list, i: int, kind: str) -> None:
        node = nodes[i]
        if node.type in ("url", "string"):
            self.found.append((node, kind))
        elif node.type == "function" and node.lower_name in ("url", "src"):
            j = _first_significant(node.arguments)
            if j is not None and node.arguments[j].type == "string":
                self._replace(node.arguments, j, kind)


@dataclass(frozen=True)
class _Url:
    start: int  # offsets in _Scan.text
    end: int
    value: str  # the URL as written (unescaped token value)
    kind: str
    quoted: bool  # a string token (else a url() token)


@dataclass(frozen=True)
class _Scan:
    text: str  # the text after CSS input preprocessing (what the offsets refer to)
    urls: tuple[_Url, ...]
    charset_end: int  # length of a leading @charset rule to drop, else 0


# tinycss2's input preprocessing (CSS Syntax §3.3); offsets refer to the result.
def _preprocess(css: str) -> str:
    if "\r" in css or "\f" in css or "\0" in css:
        css = css.replace("\0", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
        css = css.replace("\f", "\n")
    return css


def _string_end(text: str, pos: int) -> int:
    quote, pos, n = text[pos], pos + 1, len(text)
    while pos < n:
        c = text[pos]
        if c == quote:
            return pos + 1
        pos += 2 if c == "\\" else 1
    return n


def _url_end(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] != "(":  # the "url" name, possibly escaped
        pos += 2 if text[pos] == "\\" else 1
    pos += 1
    while pos < n:
        c = text[pos]
        if c == ")":
            return pos + 1
        pos += 2 if c == "\\" else 1
    return n


def _token_at(text: str, start: int, end: int, node) -> bool:
    """Whether ``text[start:end]`` is exactly the token ``node`` (guards the offsets)."""
    tokens = tinycss2.parse_component_value_list(text[start:end])
    if not tokens or tokens[0].type != node.type or tokens[0].value != node.value:
        return False
    return all(t.type == "error" and t.kind.startswith("eof") for t in tokens[1:])


_CHARSET_RULE = re.compile(r'@charset "[^"]*";')


# The few things that decide where a top-level rule ends: comments, strings (a newline
# ends a bad one), unquoted url(...) tokens (which swallow brackets and semicolons up to
# ")"), escapes, and brackets. "url(" counts only as a whole name (not the end of "xurl(").
_RULE_TOKENS = re.compile(
    r"""/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*(?:"|\n|\Z)|'(?:[^'\\\n]|\\.)*(?:'|\n|\Z)"""
    r"""|(?<![\w\-\u0080-\U0010ffff])url\([ \t\n]*(?!["' \t\n])(?:[^)\\]|\\.)*(?:\)|\Z)"""
    r"|\\.|[{}()\[\];]",
    re.DOTALL | re.IGNORECASE,
)
# An at-keyword first (after whitespace and comments): the rule may also end at ";".
# Atomic and possessive, so a long run of blanks cannot backtrack.
_AT_RULE_START = re.compile(
    r"(?>[ \t\n]+|/\*.*?(?:\*/|\Z))*+@(?:-?[a-zA-Z_\u0080-\U0010ffff]|--)", re.DOTALL
)
# From an escape to the end of the name it is in: name characters and escapes (a hex
# escape takes one whitespace after it, as in CSS). Possessive, as a CSS tokeniser
# consumes a name: no backtracking on long junk names.
_ESCAPED_NAME = re.compile(
    r"(?:\\(?:[0-9a-fA-F]{1,6}+[ \t\n]?|[^\n0-9a-fA-F])|[\w\-\u0080-\U0010ffff])*+"
)
_CLOSER = {"{": "}", "(": ")", "[": "]"}


def _rules_with_urls(text: str) -> list[tuple[int, int]]:
    """Spans of the top-level rules that may hold a URL, so only those get tokenised.

    A rule ends where CSS ends it: an at-rule at its ";" or its block, a qualified rule
    at its block, each counted only outside nested brackets, strings and comments.
    Ending a span later than CSS would is harmless (two rules parse as two rules).
    """
    spans = []
    start = 0
    stack: list[str] = []
    at_rule = bool(_AT_RULE_START.match(text))

    def close(end: int) -> None:
        nonlocal start, at_rule
        if _may_have_urls(text[start:end]):
            spans.append((start, end))
        start = end
        at_rule = bool(_AT_RULE_START.match(text, end))

    name_end = 0  # where the name holding the last escaped letter or digit ends
    for match in _RULE_TOKENS.finditer(text):
        mark = match.group()
        if mark[0] == "\\":
            if (mark[1:].isalnum() or mark[1:] >= "\x80") and match.start() >= name_end:
                name_end = _ESCAPED_NAME.match(text, match.start()).end()
                if text.startswith("(", name_end):
                    # An escaped letter or digit in a function name could spell "url(" (as
                    # in "\75 rl("), whose contents this scan would misread: tokenise it
                    # all. Elsewhere ("width: auto\9", "content: \f101") it is in a name.
                    return [(0, len(text))]
            continue  # an escaped punctuation mark ("md\:flex"): part of a name
        if len(mark) != 1:
            continue
        if mark in _CLOSER:
            stack.append(_CLOSER[mark])
        elif stack and mark == stack[-1]:
            stack.pop()
            if not stack and mark == "}":
                close(match.end())
        elif mark == ";" and not stack and at_rule:
            close(match.end())
    if start < len(text):
        close(len(text))
    return spans


def _scan_whole(css: str) -> _Scan | None:
    """A stylesheet's scan from tokenising all of it (what the split scan must equal)."""
    return _scan_uncached(css, False, split=False)


def _scan_uncached(css: str, inline: bool, split: bool = True) -> _Scan | None:
    text = _preprocess(css)
    spans = _rules_with_urls(text) if split and not inline else [(0, len(text))]
    urls: list[_Url] = []
    for first, last in spans:
        part = text[first:last]
        recorder = _Recorder()
        if inline:
            recorder.values(_parse_values(part), "image")
        else:
            recorder.stylesheet(_parse_sheet(part))
        line_starts = [0]
        if recorder.found:
            index = part.find("\n")
            while index >= 0:
                line_starts.append(index + 1)
                index = part.find("\n", index + 1)
        for node, kind in recorder.found:
            start = first + line_starts[node.source_line - 1] + node.source_column - 1
            quoted = node.type == "string"
            end = _string_end(text, start) if quoted else _url_end(text, start)
            if not _token_at(text, start, end, node):
                return None  # never expected; the caller then rewrites the token tree
            urls.append(_Url(start, end, node.value, kind, quoted))
    urls.sort(key=lambda u: u.start)
    charset = _CHARSET_RULE.match(text) if not inline else None
    return _Scan(text, tuple(urls), charset.end() if charset else 0)


_SCAN_CACHE: OrderedDict[tuple[bool, str], _Scan | None] = OrderedDict()
_SCAN_LOCK = threading.Lock()
# Total text kept (bounded memory), least recently used out. A single text may take a
# quarter: sites inline style blocks of 500 kB+, which take tinycss2 half a second.
_SCAN_CACHE_CHARS = 8_000_000
_scan_cache_size = 0


def _scan(css: str, inline: bool = False) -> _Scan | None:
    """Where the URLs of a stylesheet (or ``style=""`` value) are; None: use a token tree."""
    global _scan_cache_size
    key = (inline, css)
    with _SCAN_LOCK:
        if key in _SCAN_CACHE:
            _SCAN_CACHE.move_to_end(key)
            return _SCAN_CACHE[key]
    scan = _scan_uncached(css, inline)
    if len(css) <= _SCAN_CACHE_CHARS // 4:
        with _SCAN_LOCK:
            if key not in _SCAN_CACHE:
                _SCAN_CACHE[key] = scan
                _scan_cache_size += _cached_chars(css, scan)
                while _scan_cache_size > _SCAN_CACHE_CHARS:
                    (_inline, old), old_scan = _SCAN_CACHE.popitem(last=False)
                    _scan_cache_size -= _cached_chars(old, old_scan)
    return scan


def _cached_chars(css: str, scan: _Scan | None) -> int:
    return len(css) + (len(scan.text) if scan is not None and scan.text is not css else 0)


# tinycss2.serializer.serialize_url's escapes, applied by str.translate: that one joins
# a generator over every character, and inlined data: URLs run to megabytes.
_URL_ESCAPES = str.maketrans(
    {
        "'": "\\'",
        '"': '\\"',
        "\\": "\\\\",
        " ": "\\ ",
        "\t": "\\9 ",
        "\n": "\\A ",
        "\r": "\\D ",
        "\f": "\\C ",
        "(": "\\(",
        ")": "\\)",
    }
)


def serialize_url(value: str) -> str:
    """The body of an unquoted ``url()`` token for ``value``."""
    return value.translate(_URL_ESCAPES)


def _token_text(url: _Url, value: str) -> str:
    if url.quoted:
        return f'"{serialize_string_value(value)}"'
    return f"url({serialize_url(value)})"


def _transform(css: str, visit: _Visit, inline: bool) -> str:
    """Apply ``visit`` to every URL; unchanged text comes back as it was."""
    if not _may_have_urls(css):
        return css
    scan = _scan(css, inline)
    if scan is None:  # fallback: rewrite and re-serialise the token tree
        walk = _Walk(visit)
        if inline:
            nodes = _parse_values(css)
            walk.values(nodes, "image")
        else:
            nodes = walk.stylesheet(_parse_sheet(css))
        return _safe_serialize(nodes) if walk.changed else css
    text = scan.text
    # The output is UTF-8: a leading @charset rule would lie about it.
    pieces: list[str] = []
    last = scan.charset_end
    for url in scan.urls:
        new = visit(url.value, url.kind)
        if new is not None and new != url.value:
            pieces += (text[last : url.start], _token_text(url, new))
            last = url.end
    if not pieces and not last:
        return css
    pieces.append(text[last:])
    return "".join(pieces)


# --------------------------------------------------------------------------- public API


def _finder(base_url: str, found: list[Ref], seen: set[str], depth: int) -> _Visit:
    def visit(raw: str, kind: str) -> None:
        target = classify(raw, base_url)
        if target.kind == "http":
            if target.url not in seen:
                seen.add(target.url)
                found.append(Ref(target.url, kind))
        elif target.kind == "data" and kind == "stylesheet" and depth < _MAX_DATA_DEPTH:
            # A data: stylesheet is processed inline; its own absolute references count.
            decoded = _data_stylesheet_text(target.url)
            if decoded is not None:
                _transform(decoded[0], _finder(target.url, found, seen, depth + 1), False)
        return None

    return visit


def find_css_resources(css: str, base_url: str) -> list[Ref]:
    """Every subresource a stylesheet loads: @import -> stylesheet, @font-face -> font, else image.

    Relative URLs resolve against ``base_url`` (the stylesheet's own final URL, or the
    document base for ``<style>``). ``@import`` of a data: URL stylesheet is looked into.
    """
    found: list[Ref] = []
    _transform(css, _finder(base_url, found, set(), 0), False)
    return found


def find_inline_style_resources(style_attr: str, base_url: str) -> list[Ref]:
    """Subresources of a ``style=""`` attribute (or any CSS value, e.g. SVG ``fill``)."""
    found: list[Ref] = []
    _transform(style_attr, _finder(base_url, found, set(), 0), True)
    return found


def _rewriter(base_url: str, mapper: Mapper) -> _Visit:
    def visit(raw: str, kind: str) -> str | None:
        target = classify(raw, base_url)
        if target.kind in ("empty", "fragment"):
            return None
        if target.kind == "data":
            # data: stylesheets are handed to the mapper so their references get processed
            # (except the empty placeholder, which references nothing).
            if kind == "stylesheet" and target.url != EMPTY:
                return mapper(target.url, "stylesheet")
            return None
        if target.kind == "http":
            return with_fragment(mapper(target.url, kind), target.fragment)
        return EMPTY  # script:, about:, other schemes, unresolvable: never leave the archive

    return visit


def rewrite_css(css: str, base_url: str, mapper: Mapper) -> str:
    """Rewrite every URL of a stylesheet through ``mapper``; drops a leading ``@charset``.

    Only the URL tokens change (written as ``url(…)`` or ``"…"``); the rest of the text is
    kept exactly, comments and rules browsers skip included, so the archive's stylesheet
    parses as the original did. The output is UTF-8, so the ``@charset`` rule browsers
    honour (``@charset "…";`` at the very start) is removed.
    """
    return _transform(css, _rewriter(base_url, mapper), False)


def rewrite_inline_style(style_attr: str, base_url: str, mapper: Mapper) -> str:
    """Rewrite the URLs of a ``style=""`` attribute value (or any CSS value)."""
    return _transform(style_attr, _rewriter(base_url, mapper), True)


def transform_css_urls(css: str, visit: _Visit, *, inline: bool = False) -> str:
    """Low-level hook: call ``visit(raw_url, kind)`` for every URL as written (unresolved).

    ``visit`` returns a replacement or None. Used by the single-file inliner to rename
    same-document fragment references; ``inline`` selects value-list parsing (style="").
    """
    return _transform(css, visit, inline)


_GROUPING_RULES = frozenset(
    {"media", "supports", "layer", "container", "document", "-moz-document"}
)
_LEGACY_PSEUDO_ELEMENTS = frozenset({"before", "after", "first-line", "first-letter"})
_COMBINATORS = frozenset({">", "+", "~"})


def scope_selectors(css: str, rename: Callable[[str], str], marker: str) -> str:
    """Confine a stylesheet to elements copied with renamed classes and ids.

    Every class and id selector is renamed with ``rename``, and every selector's subject
    must also have the class ``marker``, so the rules reach only the copied elements (the
    copies of an external SVG file's elements, see ``html.SvgSprites``). Keyframes,
    font faces and other non-selector rules are left as they are.
    """
    try:
        rules = tinycss2.parse_stylesheet(css, skip_comments=True)
    except Exception:
        return ""
    _scope_rules(rules, rename, marker)
    return _safe_serialize(rules)


def _scope_rules(rules: list, rename: Callable[[str], str], marker: str) -> None:
    for rule in rules:
        if rule.type == "qualified-rule":
            rule.prelude = _scope_selector_list(rule.prelude, rename, marker)
        elif (
            rule.type == "at-rule"
            and rule.lower_at_keyword in _GROUPING_RULES
            and rule.content is not None
        ):
            inner = tinycss2.parse_rule_list(rule.content)
            _scope_rules(inner, rename, marker)
            rule.content = inner


def _scope_selector_list(prelude: list, rename: Callable[[str], str], marker: str) -> list:
    selectors: list[list] = [[]]
    for node in prelude:
        if node.type == "literal" and node.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(node)
    out: list = []
    for i, selector in enumerate(selectors):
        if i:
            out.append(tinycss2.ast.LiteralToken(0, 0, ","))
        _rename_selector(selector, rename)
        out += _mark_subject(selector, marker)
    return out


def _rename_selector(nodes: list, rename: Callable[[str], str]) -> None:
    for i, node in enumerate(nodes):
        if node.type == "hash" and node.is_identifier:
            nodes[i] = tinycss2.ast.HashToken(
                node.source_line, node.source_column, rename(node.value), True
            )
        elif (
            node.type == "ident"
            and i
            and nodes[i - 1].type == "literal"
            and nodes[i - 1].value == "."
        ):
            nodes[i] = tinycss2.ast.IdentToken(
                node.source_line, node.source_column, rename(node.value)
            )
        elif node.type == "function":  # :not(.a), :is(#b), :has(> .c) ...
            _rename_selector(node.arguments, rename)


def _mark_subject(nodes: list, marker: str) -> list:
    """``nodes`` with ``.marker`` added to the last compound (before any pseudo-element)."""
    end = len(nodes)
    while end and nodes[end - 1].type in ("whitespace", "comment"):
        end -= 1
    if not end:
        return nodes
    start = end
    while start and not (
        nodes[start - 1].type == "whitespace"
        or (nodes[start - 1].type == "literal" and nodes[start - 1].value in _COMBINATORS)
    ):
        start -= 1
    at = end
    for j in range(start, end):
        node = nodes[j]
        if node.type == "literal" and node.value == ":" and j + 1 < end:
            following = nodes[j + 1]
            if (following.type == "literal" and following.value == ":") or (
                following.type == "ident" and following.lower_value in _LEGACY_PSEUDO_ELEMENTS
            ):
                at = j
                break
    mark = [tinycss2.ast.LiteralToken(0, 0, "."), tinycss2.ast.IdentToken(0, 0, marker)]
    return nodes[:at] + mark + nodes[at:]


def _safe_serialize(nodes: list) -> str:
    try:
        return tinycss2.serialize(nodes)
    except TypeError:  # an error node tinycss2 cannot write: drop error nodes and retry
        return tinycss2.serialize(_without_errors(nodes))


def _without_errors(nodes: list) -> list:
    out = []
    for node in nodes:
        if node.type == "error":
            continue
        for attr in ("content", "prelude", "arguments"):
            value = getattr(node, attr, None)
            if isinstance(value, list):
                setattr(node, attr, _without_errors(value))
        out.append(node)
    return out


def data_stylesheet(url: str) -> tuple[str, bytes] | None:
    """(decoded text, raw bytes) of a data: URL stylesheet, or None when malformed."""
    return _data_stylesheet_text(url)
