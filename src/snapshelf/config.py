"""Where Snapshelf keeps its data and its secret key, read from the environment.

Kept apart from Django settings so the CLI can create the data directory
before Django starts, and so nothing ever resolves the path through symlinks
(a mounted volume or a symlinked folder must be used exactly as given).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from snapshelf import env


def data_dir() -> Path:
    """The data directory as given: absolute, but never symlink-resolved."""
    raw = env.get("SNAPSHELF_DATA_DIR")
    if raw:
        return Path(os.path.abspath(os.path.expanduser(raw)))
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(os.path.abspath(base)) / "snapshelf"


def ensure_data_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "blobs").mkdir(exist_ok=True)
    return path


def secret_key(path: Path) -> str:
    """Generated once per instance and kept in the data directory (mode 0600)."""
    given = env.get("SNAPSHELF_SECRET_KEY")
    if given:
        return given
    key_file = path / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    ensure_data_dir(path)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
