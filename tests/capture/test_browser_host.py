"""What crosses from the browser host to a capture process: errors keep their class and
fields (a pickled CaptureError loses its keyword arguments), and nothing else is built.
The host itself is tested through `snapshelf worker` (tests/jobs/test_workers.py)."""

from __future__ import annotations

import pickle

from snapshelf.capture.browser_host import HostGone, unwire, wire
from snapshelf.capture.browser_service import BrowserFailed
from snapshelf.errors import CaptureError, HTTPError


def crossed(exc: CaptureError) -> CaptureError:
    return unwire(pickle.loads(pickle.dumps(wire(exc))))


def test_an_http_error_keeps_its_status_and_code():
    back = crossed(HTTPError("the server answered HTTP 404", status=404))
    assert type(back) is HTTPError
    assert (str(back), back.status, back.code, back.retry_after) == (
        "the server answered HTTP 404",
        404,
        "http_error",
        None,
    )


def test_a_code_given_by_keyword_survives():
    back = crossed(CaptureError("no response", code="connection"))
    assert (type(back), back.code) == (CaptureError, "connection")
    assert type(crossed(BrowserFailed("hung"))) is BrowserFailed


def test_what_is_not_a_snapshelf_capture_error_is_not_built():
    for value in (
        ("os", "system", "echo", {}),
        ("snapshelf.capture.browser_host", "Address", "x", {}),
        "nonsense",
    ):
        assert type(unwire(value)) is HostGone
