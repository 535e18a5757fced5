"""The overall time budget of one capture, shared by every request it makes."""

from __future__ import annotations

import time

from snapshelf import errors


class Deadline:
    """A point in (monotonic) time after which a capture gives up.

    One object is shared by all requests of a capture, so a slow page cannot
    spend a fresh timeout on each of its resources.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self._end = time.monotonic() + self.seconds

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g}s, {self.remaining():.3f}s left)"

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def check(self) -> None:
        """Raise errors.Timeout once the budget is spent."""
        if self.expired():
            raise errors.Timeout(f"gave up: the {self.seconds:g} s time budget ran out")
