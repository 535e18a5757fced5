"""Error codes shared by capture, the egress guard and the CLI.

A snapshot that fails records one of these codes plus a human message, so the
user (and retry logic) can tell a permanent refusal from a passing fault.
"""

from __future__ import annotations


class CaptureError(Exception):
    """A capture step failed for a reason we can name."""

    code = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class InvalidURL(CaptureError):
    code = "invalid_url"


class Blocked(CaptureError):
    """The egress guard refused the destination."""

    code = "blocked"


class Timeout(CaptureError):
    code = "timeout"


class TooLarge(CaptureError):
    code = "too_large"


class TooManyRedirects(CaptureError):
    code = "too_many_redirects"


class HTTPError(CaptureError):
    code = "http_error"

    def __init__(self, message: str, *, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def is_transient(exc: CaptureError) -> bool:
    """Worth retrying: the network or the server may do better later (5xx, 429)."""
    if isinstance(exc, HTTPError):
        return exc.status >= 500 or exc.status == 429
    # "browser": a crashed or hung browser is replaced, so the next try may work. An
    # internal error is a bug: retrying it would only repeat it.
    return exc.code in ("connection", "timeout", "browser")


class Unsupported(CaptureError):
    code = "unsupported"


class ConnectionFailed(CaptureError):
    code = "connection"


class Unresolvable(ConnectionFailed):
    """The host name has no address (or DNS is off): every URL on it fails the same way,
    so a capture need not ask again for each of its resources."""


class TooComplex(CaptureError):
    """Parsing or extracting the page broke its CPU-time or memory limit (or killed the
    process doing it): the same page would do it again, so it is never retried."""

    code = "too_complex"


class TooManyNavigations(CaptureError):
    """The page kept navigating (a script setting `location`, a meta refresh loop) past
    the browser's navigation limit: it would loop again, so it is never retried."""

    code = "too_many_navigations"


class DiskFull(CaptureError):
    """The data directory's disk (or quota) is full: an operator must make room; until
    then every capture would fail the same way."""

    code = "disk_full"


class WorkerLost(CaptureError):
    """The capture's worker stopped (killed, crashed, out of memory) on every try."""

    code = "worker_lost"


class ExtractFailed(CaptureError):
    """Not a failure of the capture: the document is kept as it is, but its text could not
    be read (a malformed or encrypted PDF). A done snapshot carries this code."""

    code = "extract_failed"


class ForbiddenURL(InvalidURL):
    """Refused when submitted: the egress guard forbids the destination (a private
    address, a non-web port). An InvalidURL for every way in; its code says why."""

    code = "blocked"
