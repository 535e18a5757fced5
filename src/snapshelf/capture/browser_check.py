"""Whether browser capture can work here, and with which executable.

Kept apart from the browser service so `snapshelf status`, `show` and `serve` can say
so without loading Playwright, the HTTP client and the egress proxy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from snapshelf import env

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_detected: tuple[bool, str, str | None] | None = None
_detect_lock = threading.Lock()


def find_browser(setting: str | None = None) -> tuple[str | None, str]:
    """The Chromium executable SNAPSHELF_BROWSER points at (auto|off|path), or why none."""
    value = setting if setting is not None else env.get("SNAPSHELF_BROWSER")
    value = value.strip() or "auto"
    if value.lower() == "off":
        return None, "browser capture is disabled (SNAPSHELF_BROWSER=off)"
    if value.lower() != "auto":
        path = Path(value)
        if not (path.is_file() and os.access(path, os.X_OK)):
            return None, f"SNAPSHELF_BROWSER={value} is not an executable file"
        return str(path), f"using {value}"
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found, f"using {found}"
    return None, "no Chromium found (install the 'chromium' package or set SNAPSHELF_BROWSER)"


def _probe(path: str) -> str | None:
    """None when ``path --version`` runs; else the reason it does not."""
    if importlib.util.find_spec("playwright") is None:  # found, not imported: status stays light
        return "the 'playwright' Python package is not installed"
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, timeout=20, check=False, text=True
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{path} does not start: {exc}"
    if done.returncode != 0:
        return f"{path} --version failed: {done.stderr.strip()[:200]}"
    return None


def browser_available(*, refresh: bool = False) -> tuple[bool, str]:
    """Whether browser capture can work here, and a message saying why (not); cached."""
    global _detected
    with _detect_lock:
        if _detected is None or refresh:
            path, message = find_browser()
            problem = _probe(path) if path else message
            _detected = (problem is None, message if problem is None else problem, path)
        return _detected[0], _detected[1]


def browser_path() -> str | None:
    """The detected executable (after :func:`browser_available`), None when unusable."""
    ok, _ = browser_available()
    assert _detected is not None
    return _detected[2] if ok else None


# -- the answer remembered, for `snapshelf status` -----------------------------------

#: how long a remembered answer stands while nothing it depends on has changed
REMEMBER_FOR = 24 * 3600.0
#: the kernel's switches for unprivileged namespaces, and this boot: the sandbox probe's
#: answer changes with them
_KERNEL_FILES = (
    "/proc/sys/kernel/unprivileged_userns_clone",
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
    "/proc/sys/kernel/random/boot_id",
)


def _conditions() -> list[str]:
    """What the probes' answers depend on: the executable found (and its file), the
    Playwright package, the sandbox launcher, who we are, the kernel's switches."""
    from snapshelf.capture.sandbox import LAUNCHER

    path, _ = find_browser()
    playwright = importlib.util.find_spec("playwright")
    found = [env.get("SNAPSHELF_BROWSER"), path, playwright.origin if playwright else None]
    for name in (path, str(LAUNCHER), sys.executable):
        try:
            stat = os.stat(name) if name else None
        except OSError:
            stat = None
        found.append(f"{stat.st_mtime_ns}:{stat.st_size}" if stat else "-")
    found.append(str(os.geteuid()))
    for name in _KERNEL_FILES:
        try:
            found.append(Path(name).read_text().strip())
        except OSError:
            found.append("-")
    return found


def remembered(path: Path) -> str | None:
    """The answer `remember` wrote, while it is fresh and nothing it depends on changed.

    Only for saying it: running Chromium `--version` and the sandbox probe costs
    `snapshelf status` more CPU than the rest of the command. Whatever launches the
    browser probes for itself (`detect`, `browser_available`)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        fresh = 0 <= time.time() - float(saved["at"]) < REMEMBER_FOR
        return str(saved["answer"]) if fresh and saved["conditions"] == _conditions() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(path: Path, answer: str) -> None:
    """Keep a probe's answer beside the data (best effort: a read-only directory only
    costs the next command a probe)."""
    record = {"at": time.time(), "answer": answer, "conditions": _conditions()}
    try:
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(record), encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass
