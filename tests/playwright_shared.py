"""One Playwright (sync API) per test process.

The sync API runs an event loop in the calling thread, so a second
`sync_playwright()` started while another is alive fails ("Sync API inside the
asyncio loop"). The end-to-end fixtures keep theirs for the whole session, and the
fidelity tests open browsers too: both start them from this one instance, stopped
when the session ends (tests/conftest.py).
"""

from __future__ import annotations

_playwright = None


def playwright():  # -> playwright.sync_api.Playwright
    """The process's Playwright, started on first use."""
    global _playwright
    if _playwright is None:
        from playwright.sync_api import sync_playwright

        _playwright = sync_playwright().start()
    return _playwright


def stop() -> None:
    global _playwright
    if _playwright is not None:
        _playwright.stop()
        _playwright = None
