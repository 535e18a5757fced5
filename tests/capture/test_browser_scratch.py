"""A browser's temporary directories outlive a worker stopped by a signal (nothing runs
on SIGKILL): the next browser service to start removes those of processes that are gone."""

from __future__ import annotations

import os
import subprocess
import sys

from snapshelf.capture.browser_service import scratch_dir, sweep_leftovers


def test_only_the_directories_of_dead_processes_are_removed(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(gone.stdout)
    left = [tmp_path / f"snapshelf-{kind}-{dead}-abc123" for kind in ("browser", "chromium")]
    for path in left:
        (path / "profile").mkdir(parents=True)
    mine = scratch_dir("chromium", tmp_path)
    assert mine.name.startswith(f"snapshelf-chromium-{os.getpid()}-")
    others = [tmp_path / "snapshelf-browser-1y3yug8e", tmp_path / f"unrelated-x-{dead}-y"]
    for path in others:
        path.mkdir()

    assert sweep_leftovers(tmp_path) == 2
    assert not any(path.exists() for path in left)
    assert mine.is_dir() and all(path.is_dir() for path in others)
