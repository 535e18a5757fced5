"""Encoding labels: the WHATWG label table mapped to the Python codecs we decode with.

Also which codecs are single-byte, which are supersets of which (GB2312 -> GB18030 ...),
and which single-byte ones are Latin.
"""

from __future__ import annotations

import codecs

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


def canonical(codec: str) -> str:
    """Python's own name for a codec (``euc_jp``, ``iso8859-2``, ``cp1252``...)."""
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return codec.lower()


_LABEL_TO_CODEC: dict[str, str] = {
    label: canonical(codec) for codec, labels in _LABELS.items() for label in labels
}

#: Codecs that decode every byte sequence (single-byte tables): they never
#: fail, so only a plausibility check can catch a lying declaration.
SINGLE_BYTE = frozenset(
    canonical(c)
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
SUPERSET = {canonical(k): canonical(v) for k, v in _SUPERSET_NAMES.items()}

#: Single-byte code pages that write Latin-script languages. When detection
#: picks one of these for Western text, windows-1252 is usually what was meant.
LATIN_SINGLE_BYTE = frozenset(
    canonical(c)
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
