"""Our WARC opens in a real replay tool: pywb builds a collection from it, `wayback`
serves it on 127.0.0.1, and the page's text, stylesheet and images come back.

pywb is installed with pip into its own virtual environment, outside the repository
(~/.cache/snapshelf-tests/pywb-venv, or $SNAPSHELF_PYWB_VENV), on first use; later runs
reuse it. CI's machine reaches PyPI.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from snapshelf.io.warc import snapshot_warc
from snapshelf.storage import get_blob_store
from tests.io.test_warc import capture_mdn

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PYWB = "pywb==2.10.0"
VENV = Path(
    os.environ.get("SNAPSHELF_PYWB_VENV")
    or Path.home() / ".cache" / "snapshelf-tests" / "pywb-venv"
)


def pywb_venv() -> Path:
    """The virtual environment holding pywb, created once (under a lock: parallel test
    workers and runs share it)."""
    ready = VENV / ".installed"
    if ready.exists():
        return VENV
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with (VENV.parent / "pywb-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return VENV
        building = VENV.with_name(VENV.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(building)], check=True, timeout=300)
        subprocess.run(
            [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", PYWB],
            check=True,
            timeout=900,
        )
        shutil.rmtree(VENV, ignore_errors=True)
        building.rename(VENV)  # venv scripts name their interpreter by path: fix them up
        for script in (VENV / "bin").iterdir():
            if script.is_file() and not script.is_symlink():
                try:
                    text = script.read_text()
                except UnicodeDecodeError:
                    continue
                script.write_text(text.replace(str(building), str(VENV)))
        (VENV / "pyvenv.cfg").write_text(
            (VENV / "pyvenv.cfg").read_text().replace(str(building), str(VENV))
        )
        ready.touch()
    return VENV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture(autouse=True)
def fresh_blobs(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"


def test_pywb_replays_our_warc_with_text_stylesheet_and_images(fixture_server, user, tmp_path):
    venv = pywb_venv()
    snap = capture_mdn(fixture_server, user)
    warc = tmp_path / "snapshot.warc.gz"
    with warc.open("wb") as f:
        snapshot_warc(snap, f)
    root = tmp_path / "pywb"
    root.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    run = {"cwd": root, "env": env, "check": True, "timeout": 300, "capture_output": True}
    subprocess.run([str(venv / "bin" / "wb-manager"), "init", "ours"], **run)
    subprocess.run([str(venv / "bin" / "wb-manager"), "add", "ours", str(warc)], **run)
    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "wayback"), "--bind", "127.0.0.1", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}/ours"
        for _ in range(300):  # up to 30 s for the server to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"wayback exited: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        store = get_blob_store()
        # the page, rewritten by pywb for replay: its text is there
        status, _headers, body = get(f"{base}/mp_/{snap.final_url}")
        assert status == 200, body[:500]
        page = body.decode("utf-8", "replace")
        assert snap.title == "Birdwatching" and snap.title in page
        words = [w for w in snap.text.split() if len(w) > 6][:5]
        assert words and all(w in page for w in words)
        # the stylesheet and every image, byte for byte as captured
        stored = list(snap.resources.filter(error_code="").exclude(blob=None))
        kinds = set()
        for res in stored:
            status, headers, body = get(f"{base}/id_/{res.url}")
            assert status == 200, res.url
            assert body == store.get(res.blob_id), res.url
            kinds.add(res.kind)
            if res.kind == "stylesheet":
                assert headers.get("Content-Type", "").startswith("text/css")
        assert {"stylesheet", "image"} <= kinds
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
