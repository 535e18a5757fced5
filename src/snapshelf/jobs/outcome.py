"""What one run of a capture came to (`Captured`), in a module of its own: the door and
the waiting side name it without loading the capture stack that produces it."""

from __future__ import annotations

from dataclasses import dataclass

from snapshelf.library.models import Snapshot


@dataclass(frozen=True)
class Captured:
    """What one run of a capture came to, beside the snapshot row itself."""

    #: the snapshot as it stands now; when `unchanged`, the kept earlier version
    snapshot: Snapshot
    #: seconds until the next try (a transient failure with tries left), else None
    retry_in: float | None = None
    #: the text equalled the previous version's: the new row is gone, that one answers
    unchanged: bool = False
    #: the id of the snapshot row that was dropped when `unchanged`
    discarded_id: int | None = None
