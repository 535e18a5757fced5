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

Modules: :mod:`.labels`, :mod:`.prescan` (declarations), :mod:`.checks`,
:mod:`.detect`, :mod:`.document` (the order above). This package's interface is
what it exports here.
"""

from __future__ import annotations

from snapshelf.capture.decode.detect import DETECT_SAMPLE_BYTES, detect_encoding
from snapshelf.capture.decode.document import Decoded, decode_html, decode_text
from snapshelf.capture.decode.labels import normalize_encoding
from snapshelf.capture.decode.prescan import PRESCAN_BYTES, prescan_meta, xml_declared_encoding

__all__ = [
    "DETECT_SAMPLE_BYTES",
    "PRESCAN_BYTES",
    "Decoded",
    "decode_html",
    "decode_text",
    "detect_encoding",
    "normalize_encoding",
    "prescan_meta",
    "xml_declared_encoding",
]
