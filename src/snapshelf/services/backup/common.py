"""What every step of a backup or restore shares, database backends included."""

from __future__ import annotations

from collections.abc import Callable

#: progress(phase, done, total): long work reports how far it is (the CLI draws a bar).
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot go on, explained in one line."""


def no_progress(phase: str, done: int, total: int) -> None:
    pass
