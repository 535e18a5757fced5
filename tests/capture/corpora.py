"""Where the shared test corpora live, and how much of them a run uses.

The corpora sit beside the project (``<project>/../shared/corpora``), in CI as
well; ``SNAPSHELF_CORPORA`` overrides the location. Corpus-wide tests use a
deterministic sample (every Nth item) unless ``SNAPSHELF_FULL_CORPORA=1``.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("SNAPSHELF_FULL_CORPORA") == "1"

T = TypeVar("T")


def corpora_root() -> Path:
    override = os.environ.get("SNAPSHELF_CORPORA")
    return Path(override) if override else PROJECT_ROOT.parent / "shared" / "corpora"


def corpus(name: str) -> Path:
    """A corpus folder; skips the test when the corpora are not present."""
    path = corpora_root() / name
    if not path.is_dir():
        pytest.skip(f"corpus {name} not found under {corpora_root()}")
    return path


def sample(items: Sequence[T], step: int = 5) -> list[T]:
    """Every ``step``-th item (all of them with SNAPSHELF_FULL_CORPORA=1)."""
    return list(items) if FULL else list(items[::step])


def read_bytes(path: Path) -> bytes:
    """File bytes, transparently gunzipping ``*.gz`` corpus files."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data
