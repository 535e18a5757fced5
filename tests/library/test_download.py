"""`snapshelf download`: the browser's screenshot and PDF of a snapshot, written as they
were stored, to the owner only; a snapshot without them says so in one line."""

from __future__ import annotations

import pytest

from snapshelf import cli
from snapshelf.library.models import Blob, Snapshot
from snapshelf.library.records import add_link
from snapshelf.storage import get_blob_store

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"stream of a page\n" * 50 + b"%%EOF\n"


def _blob(data: bytes) -> str:
    info = get_blob_store().put(data)
    Blob.objects.get_or_create(
        sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
    )
    return info.sha256


def _done(owner, url: str, **artefacts: bytes) -> Snapshot:
    """A finished snapshot holding these browser artefacts (as a browser capture stores them)."""
    _link, snap = add_link(owner, url)
    fields = {f"{name}_blob_id": _blob(data) for name, data in artefacts.items()}
    original = _blob(b"<title>page</title><p>text</p>")
    Snapshot.objects.filter(pk=snap.pk).update(status="done", original_blob_id=original, **fields)
    return snap


@pytest.fixture
def out(tmp_path):
    """Where the downloads go (tmp_path also holds this test's blob store)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _download(snap: Snapshot, fmt: str, out, owner) -> int:
    argv = ["download", str(snap.pk), "--format", fmt, "-o", str(out), "--user", owner.username]
    return cli.main(argv)


def test_screenshot_and_pdf_are_written_as_stored(user, out):
    snap = _done(user, "https://example.org/shot", screenshot=PNG, pdf=PDF)
    assert _download(snap, "screenshot", out / "page.png", user) == 0
    assert _download(snap, "pdf", out / "page.pdf", user) == 0
    assert (out / "page.png").read_bytes() == PNG
    assert (out / "page.pdf").read_bytes() == PDF
    assert not list(out.glob("*.part"))


def test_a_static_capture_has_none_and_says_so(user, out, capsys):
    snap = _done(user, "https://example.org/static")
    assert _download(snap, "screenshot", out / "x.png", user) == 1
    assert "has no screenshot: only a browser capture makes one" in capsys.readouterr().err
    assert _download(snap, "pdf", out / "x.pdf", user) == 1
    assert "has no pdf: only a browser capture makes one" in capsys.readouterr().err
    assert not list(out.iterdir())


def test_someone_elses_snapshot_is_not_found(user, other_user, out, capsys):
    snap = _done(user, "https://example.org/mine", screenshot=PNG)
    assert _download(snap, "screenshot", out / "x.png", other_user) == 1
    assert f"no snapshot {snap.pk}" in capsys.readouterr().err
    assert not list(out.iterdir())
