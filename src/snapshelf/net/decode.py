"""Streaming Content-Encoding decoders with bounded output per step.

We decode ourselves (instead of letting the HTTP library do it) so a compression
bomb is stopped at the byte cap: each step inflates at most ``CHUNK`` bytes, and
the caller counts decoded bytes as they come, so memory never holds much more
than the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from snapshelf import errors

#: Largest piece of decoded output produced per decompression call.
CHUNK = 64 * 1024

_GZIP_MAGIC = b"\x1f\x8b"


def _looks_like_zlib(head: bytes) -> bool:
    """RFC 1950 header check; "deflate" bodies come zlib-wrapped or raw in the wild."""
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _ZlibDecoder:
    """gzip (also multi-member) or deflate (zlib-wrapped or raw), inflated CHUNK at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._obj: zlib._Decompress | None = None
        self._head = b""
        self._finished = False

    def _new(self, head: bytes) -> zlib._Decompress:
        if self.encoding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS if _looks_like_zlib(head) else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._finished or not data:
            return
        if self._obj is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._obj = self._new(data)
        yield from self._inflate(data)

    def flush(self) -> Iterator[bytes]:
        if self._obj is None and self._head and not self._finished:
            self._obj = self._new(self._head)
            data, self._head = self._head, b""
            yield from self._inflate(data)
        if self._obj is not None and not self._finished:
            # Drain what zlib still holds, still CHUNK at a time; never flush() unbounded.
            yield from self._inflate(b"")

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        obj = self._obj
        assert obj is not None
        while True:
            try:
                out = obj.decompress(data, CHUNK)
            except zlib.error as exc:
                raise errors.Unsupported(
                    f"the {self.encoding}-encoded response body is corrupt ({exc})"
                ) from exc
            if out:
                yield out
            if obj.eof:
                rest = obj.unused_data
                if self.encoding == "gzip" and rest[:2] == _GZIP_MAGIC:
                    obj = self._obj = self._new(rest)  # next gzip member
                    data = rest
                    continue
                self._finished = True  # trailing garbage after the stream is ignored
                return
            data = obj.unconsumed_tail
            if not data and len(out) < CHUNK:
                return


class BodyDecoder:
    """Undo a Content-Encoding header value ("gzip", "deflate", "identity", or a list)."""

    SUPPORTED = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}

    def __init__(self, content_encoding: str | Iterable[str] | None) -> None:
        if content_encoding is None:
            values: list[str] = []
        elif isinstance(content_encoding, str):
            values = [content_encoding]
        else:
            values = list(content_encoding)
        tokens = [t.strip().lower() for v in values for t in v.split(",")]
        tokens = [t for t in tokens if t and t != "identity"]
        for token in tokens:
            if token not in self.SUPPORTED:
                raise errors.Unsupported(f"unsupported content-encoding {token!r}")
        # Encodings are listed in the order they were applied; undo them backwards.
        self._chain = [_ZlibDecoder(self.SUPPORTED[t]) for t in reversed(tokens)]

    @property
    def identity(self) -> bool:
        return not self._chain

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._chain):
            if data:
                yield data
            return
        for out in self._chain[index].feed(data):
            yield from self._through(index + 1, out)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces (each at most CHUNK bytes unless identity) for a raw chunk."""
        yield from self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        """Decoded pieces still held back once the raw stream has ended."""
        for index, decoder in enumerate(self._chain):
            for out in decoder.flush():
                yield from self._through(index + 1, out)
