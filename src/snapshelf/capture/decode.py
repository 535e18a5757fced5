"""Turn fetched bytes into text the way a careful browser would, then some.

Order (WHATWG "encoding sniffing", extended for the real web):

1. byte order mark;
2. the HTTP ``charset`` parameter;
3. an in-document declaration: the ``<meta>`` prescan (over a larger prefix than
   the spec's 1024 bytes, because Chinese portals often declare late) or an XML
   declaration at the very start;
4. detection: strict UTF-8 first (most of the web), then charset-normalizer;
5. a default (UTF-8 for pure ASCII, windows-1252 otherwise).

Declarations lie, so every declared charset is checked before it is trusted: a
multi-byte declaration that produces many decoding errors, a single-byte one
that produces mojibake, or any legacy declaration on bytes that are valid UTF-8
is overruled. GB2312/GBK are decoded as GB18030 (a strict superset), Big5 as
Big5-HKSCS, Shift_JIS as windows-31j (cp932) and EUC-KR as cp949, as browsers do.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Decoded",
    "decode_html",
    "decode_text",
    "detect_encoding",
    "normalize_encoding",
    "prescan_meta",
    "xml_declared_encoding",
]

#: How far the ``<meta>`` prescan looks. The spec says 1024 bytes; real pages
#: (163.com, sina, ifeng) put the declaration after 2 KB of scripts and styles.
PRESCAN_BYTES = 32 * 1024

#: How many bytes charset-normalizer sees. It decodes its input once per
#: candidate codec, so a bounded sample keeps detection in the milliseconds.
DETECT_SAMPLE_BYTES = 64 * 1024


@dataclass
class Decoded:
    """Decoded text plus how we chose the codec (stored with the snapshot)."""

    text: str
    encoding: str  # Python codec name actually used
    source: str  # "bom" | "http" | "meta" | "detected" | "default"


# --------------------------------------------------------------------------- labels

# WHATWG Encoding Standard labels, grouped by the Python codec we decode with.
_LABELS: dict[str, tuple[str, ...]] = {
    "utf-8": (
        "unicode-1-1-utf-8",
        "unicode11utf8",
        "unicode20utf8",
        "utf-8",
        "utf8",
        "x-unicode20utf8",
    ),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": (
        "csisolatin2",
        "iso-8859-2",
        "iso-ir-101",
        "iso8859-2",
        "iso88592",
        "iso_8859-2",
        "iso_8859-2:1987",
        "l2",
        "latin2",
    ),
    "iso8859-3": (
        "csisolatin3",
        "iso-8859-3",
        "iso-ir-109",
        "iso8859-3",
        "iso88593",
        "iso_8859-3",
        "iso_8859-3:1988",
        "l3",
        "latin3",
    ),
    "iso8859-4": (
        "csisolatin4",
        "iso-8859-4",
        "iso-ir-110",
        "iso8859-4",
        "iso88594",
        "iso_8859-4",
        "iso_8859-4:1988",
        "l4",
        "latin4",
    ),
    "iso8859-5": (
        "csisolatincyrillic",
        "cyrillic",
        "iso-8859-5",
        "iso-ir-144",
        "iso8859-5",
        "iso88595",
        "iso_8859-5",
        "iso_8859-5:1988",
    ),
    "iso8859-6": (
        "arabic",
        "asmo-708",
        "csiso88596e",
        "csiso88596i",
        "csisolatinarabic",
        "ecma-114",
        "iso-8859-6",
        "iso-8859-6-e",
        "iso-8859-6-i",
        "iso-ir-127",
        "iso8859-6",
        "iso88596",
        "iso_8859-6",
        "iso_8859-6:1987",
    ),
    "iso8859-7": (
        "csisolatingreek",
        "ecma-118",
        "elot_928",
        "greek",
        "greek8",
        "iso-8859-7",
        "iso-ir-126",
        "iso8859-7",
        "iso88597",
        "iso_8859-7",
        "iso_8859-7:1987",
        "sun_eu_greek",
    ),
    "iso8859-8": (
        "csiso88598e",
        "csisolatinhebrew",
        "hebrew",
        "iso-8859-8",
        "iso-8859-8-e",
        "iso-ir-138",
        "iso8859-8",
        "iso88598",
        "iso_8859-8",
        "iso_8859-8:1988",
        "visual",
        # ISO-8859-8-I: same bytes, logical order
        "csiso88598i",
        "iso-8859-8-i",
        "logical",
    ),
    "iso8859-10": (
        "csisolatin6",
        "iso-8859-10",
        "iso-ir-157",
        "iso8859-10",
        "iso885910",
        "l6",
        "latin6",
    ),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": (
        "ansi_x3.4-1968",
        "ascii",
        "cp1252",
        "cp819",
        "csisolatin1",
        "ibm819",
        "iso-8859-1",
        "iso-ir-100",
        "iso8859-1",
        "iso88591",
        "iso_8859-1",
        "iso_8859-1:1987",
        "l1",
        "latin1",
        "us-ascii",
        "windows-1252",
        "x-cp1252",
        # x-user-defined maps bytes 0x80-0xFF to private-use code points, which
        # helps no reader; the spec's prescan turns it into windows-1252 as well.
        "x-user-defined",
    ),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": (
        "cp1254",
        "csisolatin5",
        "iso-8859-9",
        "iso-ir-148",
        "iso8859-9",
        "iso88599",
        "iso_8859-9",
        "iso_8859-9:1989",
        "l5",
        "latin5",
        "windows-1254",
        "x-cp1254",
    ),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    # GB2312 and GBK are subsets of GB18030: decoding with the superset never
    # loses a character the page meant.
    "gb18030": (
        "chinese",
        "csgb2312",
        "csiso58gb231280",
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "gbk",
        "iso-ir-58",
        "x-gbk",
        "gb18030",
        # common non-WHATWG spellings of the same thing
        "cp936",
        "ms936",
        "windows-936",
        "euc-cn",
        "x-euc-cn",
    ),
    # Big5 pages routinely use the HKSCS extension; WHATWG's Big5 includes it.
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "cp950", "x-big5"),
    "euc-jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022-jp-ext": ("csiso2022jp", "iso-2022-jp"),
    # WHATWG's Shift_JIS index is windows-31j: it has the NEC/IBM extensions
    # (circled digits, roman numerals) that pages labelled Shift_JIS use.
    "cp932": (
        "csshiftjis",
        "ms932",
        "ms_kanji",
        "shift-jis",
        "shift_jis",
        "sjis",
        "windows-31j",
        "x-sjis",
        "cp932",
    ),
    # WHATWG's EUC-KR is windows-949 (Unified Hangul Code), a superset.
    "cp949": (
        "cseuckr",
        "csksc56011987",
        "euc-kr",
        "iso-ir-149",
        "korean",
        "ks_c_5601-1987",
        "ks_c_5601-1989",
        "ksc5601",
        "ksc_5601",
        "windows-949",
        "cp949",
        "uhc",
    ),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": (
        "csunicode",
        "iso-10646-ucs-2",
        "ucs-2",
        "unicode",
        "unicodefeff",
        "utf-16",
        "utf-16le",
    ),
    # WHATWG maps these to the "replacement" decoder to stop script smuggling in
    # browsers. We strip scripts after decoding, so decoding them for real is
    # safe and keeps the content readable.
    "iso2022-kr": ("csiso2022kr", "iso-2022-kr"),
    "hz": ("hz-gb-2312",),
}


def _canonical(codec: str) -> str:
    """Python's own name for a codec (``euc_jp``, ``iso8859-2``, ``cp1252``...)."""
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return codec.lower()


_LABEL_TO_CODEC: dict[str, str] = {
    label: _canonical(codec) for codec, labels in _LABELS.items() for label in labels
}

#: Codecs that decode every byte sequence (single-byte tables): they never
#: fail, so only a plausibility check can catch a lying declaration.
_SINGLE_BYTE = frozenset(
    _canonical(c)
    for c in {
        "cp866",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "cp874",
        *(f"cp125{i}" for i in range(9)),
        *(f"iso8859-{i}" for i in range(2, 17)),
    }
)

#: Superset we prefer when detection reports a narrower codec.
_SUPERSET_NAMES = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "shift-jis": "cp932",
    "shift-jis-2004": "cp932",
    "shift-jisx0213": "cp932",
    "euc-jis-2004": "euc-jp",
    "euc-jisx0213": "euc-jp",
    "euc-kr": "cp949",
    "johab": "cp949",
    "utf-8-sig": "utf-8",
}
_SUPERSET = {_canonical(k): _canonical(v) for k, v in _SUPERSET_NAMES.items()}

#: Single-byte code pages that write Latin-script languages. When detection
#: picks one of these for Western text, windows-1252 is usually what was meant.
_LATIN_SINGLE_BYTE = frozenset(
    _canonical(c)
    for c in {
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "cp1258",
        "cp437",
        "cp775",
        "cp850",
        "cp852",
        "cp858",
        "cp860",
        "cp861",
        "cp863",
        "cp865",
        "hp-roman8",
        "mac-roman",
        "mac-latin2",
        "mac-iceland",
        "mac-turkish",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-9",
        "iso8859-10",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
    }
)

_WS = b" \t\n\x0c\r"


def normalize_encoding(label: str | None) -> str | None:
    """Map a charset label (WHATWG set plus common aliases) to a Python codec.

    Returns None for unknown or unusable labels (including WHATWG's
    "replacement" and encodings Python cannot decode, such as ISO-2022-CN).
    """
    if not label:
        return None
    key = label.strip().strip("\"'").strip().lower()
    if not key:
        return None
    codec = _LABEL_TO_CODEC.get(key)
    if codec is None:
        codec = _LABEL_TO_CODEC.get(key.replace("_", "-"))
    return codec


# --------------------------------------------------------------------------- prescan


def _skip_ws(buf: bytes, pos: int) -> int:
    n = len(buf)
    while pos < n and buf[pos] in _WS:
        pos += 1
    return pos


def _get_attribute(buf: bytes, pos: int) -> tuple[str, str, int] | None:
    """WHATWG "get an attribute": returns (name, value, new position) or None."""
    n = len(buf)
    while pos < n and (buf[pos] in _WS or buf[pos] == 0x2F):
        pos += 1
    if pos >= n or buf[pos] == 0x3E:
        return None
    name = bytearray()
    value = bytearray()
    # name
    while True:
        if pos >= n:
            return None
        c = buf[pos]
        if c == 0x3D and name:
            pos += 1
            break
        if c in _WS:
            pos = _skip_ws(buf, pos)
            if pos >= n:
                return None
            if buf[pos] != 0x3D:
                return name.decode("latin-1"), "", pos
            pos += 1
            break
        if c in (0x2F, 0x3E):
            return name.decode("latin-1"), "", pos
        name.append(c + 0x20 if 0x41 <= c <= 0x5A else c)
        pos += 1
    # value
    pos = _skip_ws(buf, pos)
    if pos >= n:
        return None
    c = buf[pos]
    if c in (0x22, 0x27):
        end = buf.find(bytes([c]), pos + 1)
        if end < 0:
            return None
        value = bytearray(buf[pos + 1 : end].lower())
        return name.decode("latin-1"), value.decode("latin-1"), end + 1
    if c == 0x3E:
        return name.decode("latin-1"), "", pos
    while pos < n:
        c = buf[pos]
        if c in _WS or c == 0x3E:
            return name.decode("latin-1"), value.decode("latin-1"), pos
        value.append(c + 0x20 if 0x41 <= c <= 0x5A else c)
        pos += 1
    return None


_CHARSET_IN_CONTENT = re.compile(r"charset\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s;\"']+))", re.I)


def _charset_from_content(content: str) -> str | None:
    """WHATWG "extract a character encoding from a meta element" (simplified)."""
    m = _CHARSET_IN_CONTENT.search(content)
    if not m:
        return None
    return next((g for g in m.groups() if g is not None), None)


_TAG_START = re.compile(rb"<(!--|/?[A-Za-z]|[!/?])")
_META = re.compile(rb"<meta[\s/]", re.I)
_RAW_TEXT_TAGS = (b"script", b"style", b"textarea", b"xmp")


def prescan_meta(body: bytes, limit: int = PRESCAN_BYTES) -> str | None:
    """Find the charset of the first real ``<meta>`` declaration (WHATWG prescan).

    Attributes of other tags (``<script charset="gbk">``), comments and the
    contents of scripts and styles are skipped, so they cannot fool it. A UTF-16
    declaration means UTF-8 (bytes that reached a prescan are not UTF-16).
    Returns a Python codec name or None.
    """
    buf = body[:limit]
    n = len(buf)
    pos = 0
    while pos < n:
        m = _TAG_START.search(buf, pos)
        if not m:
            return None
        pos = m.start()
        if buf.startswith(b"<!--", pos):
            end = buf.find(b"-->", pos + 2)
            if end < 0:
                return None
            pos = end + 3
            continue
        if _META.match(buf, pos):
            found = _meta_charset(buf, pos + 5)
            if found is None:
                return None
            codec, pos = found
            if codec is not None:
                return codec
            continue
        if buf[pos + 1] == 0x2F or 0x41 <= (buf[pos + 1] | 0x20) <= 0x7A:
            # a start or end tag: skip its name, then its attributes
            tag_start = pos + 1 + (buf[pos + 1] == 0x2F)
            pos = tag_start
            while pos < n and buf[pos] not in _WS and buf[pos] != 0x3E:
                pos += 1
            tag = buf[tag_start:pos].lower()
            while True:
                attr = _get_attribute(buf, pos)
                if attr is None:
                    break
                pos = attr[2]
            if pos >= n:
                return None
            pos += 1  # past ">"
            if buf[m.start() + 1] != 0x2F and tag in _RAW_TEXT_TAGS:
                # not in the spec, but a quoted '<meta charset=...>' inside a
                # script is not a declaration
                close = re.compile(rb"</" + tag + rb"[\s/>]", re.I).search(buf, pos)
                if close is None:
                    return None
                pos = close.start()
            continue
        # <!, </ not followed by a letter, <?: skip to ">"
        end = buf.find(b">", pos + 1)
        if end < 0:
            return None
        pos = end + 1
    return None


def _meta_charset(buf: bytes, pos: int) -> tuple[str | None, int] | None:
    """Parse one ``<meta>`` tag's attributes; return (codec or None, position)."""
    seen: set[str] = set()
    got_pragma = False
    need_pragma: bool | None = None
    charset: str | None = None
    while True:
        attr = _get_attribute(buf, pos)
        if attr is None:
            break
        name, value, pos = attr
        if name in seen:
            continue
        seen.add(name)
        if name == "http-equiv":
            if value == "content-type":
                got_pragma = True
        elif name == "content":
            if charset is None:
                cs = _charset_from_content(value)
                if cs is not None:
                    charset = cs
                    need_pragma = True
        elif name == "charset":
            charset = value
            need_pragma = False
    if pos >= len(buf):
        # the tag is cut off by the prescan window: the spec still uses what it
        # found, but an unterminated tag at the end is too unreliable
        return None
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return None, pos
    codec = normalize_encoding(charset)
    if codec is None:
        return None, pos
    if codec.startswith("utf-16"):
        codec = "utf-8"
    return codec, pos


_XML_DECL = re.compile(
    rb"""\A\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""",
)


def xml_declared_encoding(body: bytes) -> str | None:
    """The ``encoding`` of an XML declaration at the very start, as a codec name."""
    m = _XML_DECL.match(body[:512])
    if not m:
        return None
    codec = normalize_encoding(m.group(1).decode("ascii"))
    if codec and codec.startswith("utf-16"):
        return "utf-8"  # a UTF-16 document would have started with a BOM
    return codec


# --------------------------------------------------------------------------- checks


def _bom(body: bytes) -> tuple[str, int] | None:
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if body.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if body.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    return None


def _is_ascii(body: bytes) -> bool:
    return body.isascii()


def _utf8_status(body: bytes) -> tuple[str, int, int]:
    """(text, error count, good non-ASCII characters) for a UTF-8 reading.

    A multi-byte sequence cut off by the end of the body (a byte cap) does not
    count as an error (it becomes one U+FFFD).
    """
    try:
        text, consumed = codecs.utf_8_decode(body, "strict", False)
    except UnicodeDecodeError:
        pass
    else:
        if consumed >= len(body) - 3:
            if consumed < len(body):
                text += "\ufffd"
            return text, 0, len(text) - len(text.encode("ascii", "ignore"))
    text = body.decode("utf-8", "replace")
    legit = body.count(b"\xef\xbf\xbd")
    errors = text.count("\ufffd") - legit
    nonascii = len(text) - len(text.encode("ascii", "ignore")) - errors - legit
    return text, errors, nonascii


def _is_utf8(body: bytes) -> bool:
    """Valid UTF-8 with real multi-byte text: almost never an accident."""
    if _is_ascii(body):
        return False
    _, errors, good = _utf8_status(body)
    if not errors:
        return True
    # a few corrupt sequences in an otherwise UTF-8 page (bad copy/paste, cut
    # multi-byte characters inside truncated strings)
    return good >= 20 and errors * 50 <= good


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _decode_errors(body: bytes, codec: str) -> tuple[str, int]:
    """Decode with replacement and count how many replacements were needed."""
    text = body.decode(codec, "replace")
    return text, text.count("\ufffd")


def _mess(text: str) -> float:
    """How much decoded text looks like mojibake (0 = clean, > 0.2 = garbage)."""
    sample = _nonascii_sample(text)
    if not sample:
        return 0.0
    try:
        from charset_normalizer.md import mess_ratio
    except ImportError:  # pragma: no cover - API moved: fall back to a crude score
        odd = sum(1 for ch in sample if _CONTROL.match(ch) or ch in "ÃÂ¤¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿")
        return odd / max(1, len(sample))
    return float(mess_ratio(sample, maximum_threshold=1.0))


def _nonascii_sample(text: str, budget: int = 8000) -> str:
    """Windows of text around non-ASCII characters: what a wrong codec garbles."""
    out: list[str] = []
    size = 0
    pos = 0
    n = len(text)
    while size < budget and pos < n:
        m = _NONASCII.search(text, pos)
        if not m:
            break
        start = max(0, m.start() - 20)
        end = min(n, m.start() + 200)
        out.append(text[start:end])
        size += end - start
        pos = end
    return "\n".join(out)


_NONASCII = re.compile(r"[^\x00-\x7f]")


def _acceptable(body: bytes, codec: str) -> str | None:
    """Decode with a declared codec if the bytes agree with it, else None."""
    if codec == "utf-8":
        text, errors, good = _utf8_status(body)
        if errors <= 2 or errors * 200 <= good:
            return text
        return None
    if codec.startswith("utf-16"):
        # a UTF-16 label on bytes without NULs (markup is ASCII, so real UTF-16
        # HTML is full of them) is a lie that would decode as CJK noise
        if body.count(b"\x00") * 8 < len(body):
            return None
        text, errors = _decode_errors(body, codec)
        if errors * 100 > len(text) + 1 or len(_CONTROL.findall(text[:4096])) > 40:
            return None
        return text
    if _is_ascii(body):
        return body.decode(codec, "replace")
    if _is_utf8(body):
        # legacy label on bytes that are valid UTF-8 (qq.com, 163.com...): the
        # label was copied from an old template, the bytes were re-encoded
        return None
    text, errors = _decode_errors(body, codec)
    nonascii = len(text) - len(text.encode("ascii", "ignore"))
    if errors > 3 and errors * 100 > nonascii:
        return None
    if codec in _SINGLE_BYTE:
        controls = len(_CONTROL.findall(text))
        if controls > 3 and controls * 50 > nonascii:
            return None
        if _mess(text) > 0.2:
            return None
    return text


# --------------------------------------------------------------------------- detection


def detect_encoding(body: bytes) -> str | None:
    """Guess a codec from the bytes alone (no declarations); None for pure ASCII.

    Strict UTF-8 first, then charset-normalizer on a bounded sample, then a
    small CJK fallback for pages charset-normalizer gives up on (a few invalid
    bytes make it discard every multi-byte candidate).
    """
    if _is_ascii(body):
        # 7-bit ISO-2022-JP announces itself with escape sequences
        if b"\x1b$B" in body or b"\x1b$@" in body or b"\x1b(J" in body:
            return "iso2022_jp_ext"
        return None
    if _is_utf8(body):
        return "utf-8"
    sample = _sample(body)
    found = _charset_normalizer(sample)
    if found is not None:
        return found
    return _cjk_fallback(sample)


def _sample(body: bytes) -> bytes:
    if len(body) <= DETECT_SAMPLE_BYTES:
        return body
    cut = body.rfind(b"\n", 0, DETECT_SAMPLE_BYTES)
    if cut < DETECT_SAMPLE_BYTES // 2:
        cut = body.rfind(b"<", 0, DETECT_SAMPLE_BYTES)
    if cut < DETECT_SAMPLE_BYTES // 2:
        cut = DETECT_SAMPLE_BYTES
    return body[:cut]


def _charset_normalizer(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover
        return None
    results = from_bytes(sample, preemptive_behaviour=False)
    best = results.best()
    if best is None:
        return None
    codec = _canonical(best.encoding)
    if codec in ("utf-7", "utf_7") or codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        # UTF-7 is a script-smuggling vector and never sniffed by browsers;
        # UTF-16/32 without a BOM is not something HTML arrives in
        return None
    codec = _prefer_superset(sample, codec)
    if codec in _LATIN_SINGLE_BYTE and codec != "cp1252":
        # Western text fits several Latin code pages equally well; windows-1252
        # is by far the most common, so keep it unless it reads worse.
        try:
            as_1252 = sample.decode("cp1252")
        except UnicodeDecodeError:
            return codec
        if _mess(as_1252) <= best.chaos + 0.03:
            return "cp1252"
    return codec


def _prefer_superset(sample: bytes, codec: str) -> str:
    wider = _SUPERSET.get(codec)
    if wider is None:
        return codec
    if sample.decode(wider, "replace").count("\ufffd") <= sample.decode(codec, "replace").count(
        "\ufffd"
    ):
        return wider
    return codec


@lru_cache(maxsize=65536)
def _is_common(ch: str, family: str) -> bool:
    """Is this character in the frequent core of the family's national standard?

    Text decoded with the wrong CJK codec still "decodes", but lands on rare
    characters; text decoded with the right one is dominated by common ones.
    """
    try:
        if family == "zh-hans":
            ch.encode("gb2312")  # GB2312: the 6,763 common hanzi plus symbols
            return True
        if family == "zh-hant":
            return 0xA1 <= ch.encode("big5")[0] <= 0xC6  # symbols + level-1 hanzi
        if family == "ja":
            lead = ch.encode("euc_jp")[0]
            return lead in (0x8E, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5) or 0xB0 <= lead <= 0xCF
        if family == "ko":
            ch.encode("euc_kr")  # KS X 1001: 2,350 hangul syllables, hanja, symbols
            return True
    except UnicodeEncodeError:
        return False
    return False


_CJK_CODECS = (
    ("gb18030", "zh-hans"),
    ("big5hkscs", "zh-hant"),
    ("cp932", "ja"),
    ("euc_jp", "ja"),
    ("cp949", "ko"),
)


def _cjk_fallback(sample: bytes) -> str | None:
    """Pick the CJK codec that decodes cleanly into the most common characters.

    Kana tells Japanese from Chinese where the byte ranges overlap (GB2312 and
    EUC-JP share rows), so kana lowers a Chinese reading and its absence halves
    a Japanese one.
    """
    best: tuple[float, str] | None = None
    for codec, family in _CJK_CODECS:
        text, errors = _decode_errors(sample, codec)
        counts = Counter(ch for ch in text if ch > "\x7f" and ch != "\ufffd")
        total = sum(counts.values())
        if not total or errors > total * 0.02:
            continue
        common = sum(k for ch, k in counts.items() if _is_common(ch, family)) / total
        kana = (
            sum(
                k
                for ch, k in counts.items()
                if "\u3040" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f"
            )
            / total
        )
        score = common - 5 * errors / total
        if family.startswith("zh"):
            score -= kana
        elif family == "ja" and kana < 0.05:
            score /= 2
        if score >= 0.3 and (best is None or score > best[0]):
            best = (score, codec)
    return best[1] if best else None


# --------------------------------------------------------------------------- entry points


def _decode(
    body: bytes, http_charset: str | None, declared: Callable[[], list[str | None]]
) -> Decoded:
    bom = _bom(body)
    if bom is not None:
        codec, skip = bom
        return Decoded(body[skip:].decode(codec, "replace"), codec, "bom")

    http_codec = normalize_encoding(http_charset)
    tried: set[str] = set()
    if http_codec is not None:
        tried.add(http_codec)
        text = _acceptable(body, http_codec)
        if text is not None:
            return Decoded(text, http_codec, "http")
    # the HTTP label was missing or lied: an in-document declaration is the
    # next best witness
    for codec in declared():
        if codec is not None and codec not in tried:
            tried.add(codec)
            text = _acceptable(body, codec)
            if text is not None:
                return Decoded(text, codec, "meta")

    detected = detect_encoding(body)
    if detected is not None:
        return Decoded(body.decode(detected, "replace"), detected, "detected")
    if _is_ascii(body):
        return Decoded(body.decode("ascii"), "utf-8", "default")
    return Decoded(body.decode("cp1252", "replace"), "cp1252", "default")


def decode_html(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode an HTML document: BOM, HTTP charset, ``<meta>``/XML declaration, detection."""

    def declared() -> list[str | None]:
        head = body[:PRESCAN_BYTES]
        return [xml_declared_encoding(head), prescan_meta(head)]

    return _decode(body, http_charset, declared)


def decode_text(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode a non-HTML text document (no ``<meta>`` prescan; XML declarations count)."""
    return _decode(body, http_charset, lambda: [xml_declared_encoding(body)])
