"""PDF documents: text and metadata read with pypdf."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from datetime import datetime

from snapshelf.capture.extract.parse import title_from_url
from snapshelf.capture.extract.plain import plain_document
from snapshelf.capture.extract.text import first_line, norm
from snapshelf.capture.types import Extracted
from snapshelf.errors import Unsupported

_PDF_MAX_PAGES = 500
_PDF_MAX_CHARS = 5_000_000


def extract_pdf(body: bytes, url: str | None = None) -> Extracted:
    """Text and metadata of a PDF; unreadable or encrypted files raise Unsupported."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError
    except ImportError as exc:  # pragma: no cover
        raise Unsupported("PDF support is not installed (pypdf)") from exc

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception as exc:  # missing crypto backend, unknown handler
                raise Unsupported(f"encrypted PDF cannot be opened: {exc}") from exc
            if not unlocked:
                raise Unsupported("encrypted PDF needs a password")
        pages = []
        total = 0
        for page in reader.pages[:_PDF_MAX_PAGES]:
            try:
                page_text = page.extract_text() or ""
            except Exception:  # noqa: BLE001 - one broken page: the others still count
                page_text = ""
            pages.append(page_text)
            total += len(page_text)
            if total > _PDF_MAX_CHARS:
                break
        info = reader.metadata
    except Unsupported:
        raise
    except FileNotDecryptedError as exc:
        raise Unsupported("encrypted PDF needs a password") from exc
    except (PdfReadError, Exception) as exc:  # pypdf raises many kinds on broken files
        raise Unsupported(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc

    text = "\n\n".join(p.strip() for p in pages if p and p.strip())
    title = author = date = ""
    if info is not None:
        with contextlib.suppress(Exception):
            title = norm(str(info.title or ""))
        with contextlib.suppress(Exception):
            author = norm(str(info.author or ""))
        with contextlib.suppress(Exception):
            created = info.creation_date
            if created is not None:
                date = (
                    created.isoformat()
                    if created.time() != datetime.min.time()
                    else created.date().isoformat()
                )
    title = re.sub(r"^Microsoft (?:Word|PowerPoint|Excel) - ", "", title)
    if title.lower() in ("untitled", "untitled document", "unknown", "title"):
        title = ""
    return plain_document(
        text,
        url,
        title=title or first_line(text) or title_from_url(url),
        author=author,
        date=date,
    )
