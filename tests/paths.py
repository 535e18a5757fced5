"""Where the shared corpora are: beside the project (../shared/corpora), or $SNAPSHELF_CORPORA."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("SNAPSHELF_CORPORA") or PROJECT_ROOT.parent / "shared" / "corpora")
FULL_CORPORA = os.environ.get("SNAPSHELF_FULL_CORPORA") == "1"


def sample(items: list, every: int) -> list:
    """All items in full mode, else a deterministic sample (every n-th, always the first)."""
    items = sorted(items)
    return items if FULL_CORPORA else items[::every]
