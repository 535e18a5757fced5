"""Error codes shared by capture, the egress guard and the CLI.

A snapshot that fails records one of these codes plus a human message, so the
user (and retry logic) can tell a permanent refusal from a passing fault.
"""

from __future__ import annotations

#: Codes that will not succeed on retry.
PERMANENT = frozenset({"blocked", "invalid_url", "too_large", "unsupported", "http_error"})


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


class Unsupported(CaptureError):
    code = "unsupported"


class ConnectionFailed(CaptureError):
    code = "connection"
