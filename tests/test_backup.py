"""`snapshelf backup` / `snapshelf restore` as operators run them: real processes, a real
worker capturing fixture pages while the backup runs, SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.webserver import FixtureServer, Reply, instance_env

SNAPSHELF = Path(sys.executable).parent / "snapshelf"
PAGES = 8
STYLE = b"body{font-family:serif}h1{color:#123456}"

ENQUEUE = """
import sys, django; django.setup()
from django.contrib.auth import get_user_model
from snapshelf.jobs.tasks import enqueue_capture
from snapshelf.library.records import add_link
base, pages = sys.argv[1], int(sys.argv[2])
user = get_user_model().objects.get(username="admin")
link, snap = add_link(user, base + "/gate", ["gate", "batch"])
enqueue_capture(snap.pk)
for i in range(pages):
    link, snap = add_link(user, f"{base}/p/{i}", ["batch", f"group{i % 3}"])
    link.note = f"note {i}"
    link.favorite = i % 2 == 0
    link.save()
    enqueue_capture(snap.pk)
"""

#: The library as a user sees it, and whether the store holds every done snapshot's bytes.
DUMP = """
import hashlib, json, django; django.setup()
from django.contrib.auth import get_user_model
from snapshelf.library.models import Blob, Link, Snapshot
from snapshelf.storage import get_blob_store
store = get_blob_store()
links, snaps, bad = [], {}, []
for link in Link.objects.select_related("owner").prefetch_related("tags").order_by("url"):
    links.append({
        "owner": link.owner.username, "url": link.url, "title": link.title, "note": link.note,
        "tags": sorted(t.name for t in link.tags.all()), "unread": link.unread,
        "favorite": link.favorite, "visibility": link.visibility,
    })
for s in Snapshot.objects.select_related("link").prefetch_related("resources"):
    shas = {s.original_blob_id, s.root_blob_id, s.screenshot_blob_id, s.pdf_blob_id}
    for r in s.resources.all():
        shas |= {r.blob_id, r.replay_blob_id}
    shas = sorted(x for x in shas if x)
    if s.status == "done":
        for sha in shas:
            try:
                ok = hashlib.sha256(store.get(sha)).hexdigest() == sha
            except Exception:
                ok = False
            if not ok:
                bad.append(sha)
    snaps[f"{s.link.url} v{s.version}"] = {
        "status": s.status, "title": s.title, "text": s.text, "kind": s.kind,
        "resources": s.resource_count, "bytes": s.total_bytes, "blobs": shas,
    }
print(json.dumps({
    "users": sorted(get_user_model().objects.values_list("username", flat=True)),
    "links": links, "snapshots": snaps, "bad_blobs": bad,
    "blob_rows": Blob.objects.count(),
}))
"""


def page(title: str, words: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="stylesheet" href="/style.css"></head><body><article><h1>{title}</h1>'
        f"<p>{(words + ' ') * 30}</p></article></body></html>"
    )


def make_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = instance_env(
        data_dir,
        SNAPSHELF_BROWSER="off",
        SNAPSHELF_RETRY_BASE_DELAY="0.5",
        DJANGO_SETTINGS_MODULE="snapshelf.settings",
        COLUMNS="200",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(SNAPSHELF), *args], env=env, capture_output=True, text=True, timeout=180
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snapshelf {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def python(env: dict[str, str], script: str, *argv: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", script, *argv], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def dump(env: dict[str, str]) -> dict:
    return json.loads(python(env, DUMP))


def query(env: dict[str, str], sql: str) -> list[tuple]:
    """Read the instance's database directly (fast: no Django start-up per poll)."""
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]
    path = Path(env["SNAPSHELF_DATA_DIR"]) / "snapshelf.sqlite3"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def statuses(env: dict[str, str]) -> list[str]:
    return [row[0] for row in query(env, "SELECT status FROM library_snapshot")]


def rows(env: dict[str, str]) -> dict[str, list[tuple]]:
    """Every row of the tables a restore would replace."""
    tables = ["auth_user", "library_link", "library_tag", "library_snapshot", "library_blob"]
    return {t: query(env, f"SELECT * FROM {t} ORDER BY 1") for t in tables}


def wait_for(env: dict[str, str], test, what: str, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while not test(statuses(env)):
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.3)


@contextlib.contextmanager
def worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [str(SNAPSHELF), "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Gate:
    """A page whose response waits until the test opens the gate: a capture held running."""

    def __init__(self, server: FixtureServer) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()
        server.route("/gate", self._reply)

    def _reply(self, request) -> Reply:
        self.entered.set()
        self.open.wait(60)
        return Reply.html(page("The gated page", "gatekeeper words"))


def slow_html(body: str) -> Reply:
    reply = Reply.html(body)
    reply.delay = 0.1
    return reply


def serve_pages(server: FixtureServer) -> Gate:
    server.route("/style.css", lambda req: Reply(200, {"Content-Type": "text/css"}, STYLE))
    for i in range(PAGES):
        body = page(f"Page {i}", f"backup restore words about page{i} number {i}")
        # a little slower than instant, so captures keep committing while the backup runs
        server.route(f"/p/{i}", lambda req, body=body: slow_html(body))
    return Gate(server)


def roundtrip_during_captures(
    server: FixtureServer, src: dict[str, str], dst: dict[str, str], backup_dir: Path
) -> None:
    """Back up `src` while its worker captures (one capture held open), restore onto `dst`,
    and check that the restored library is the library at backup time, blobs and all."""
    gate = serve_pages(server)
    run(src, "init")
    python(src, ENQUEUE, server.url("").rstrip("/"), str(PAGES))
    try:
        with worker(src):
            assert gate.entered.wait(60), "the worker never fetched the gated page"
            wait_for(src, lambda s: s.count("done") >= 3, "the first captures")
            summary = json.loads(run(src, "backup", str(backup_dir), "--json").stdout)
            gate.open.set()
            wait_for(src, lambda s: all(x == "done" for x in s), "every capture")
    finally:
        gate.open.set()
    source = dump(src)
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert summary["counts"]["links"] == PAGES + 1
    assert manifest["counts"] == summary["counts"]
    assert {b["sha256"] for b in manifest["blobs"]}, "the backup holds no blob"

    restored_summary = json.loads(run(dst, "restore", str(backup_dir), "--json").stdout)
    restored = dump(dst)
    assert restored_summary["counts"]["links"] == PAGES + 1
    assert restored["users"] == source["users"] == ["admin"]
    assert restored["links"] == source["links"]  # every link, tag, note and flag
    assert restored["bad_blobs"] == []  # every done snapshot's bytes, hashes verified
    assert set(restored["snapshots"]) == set(source["snapshots"])
    done = {k: v for k, v in restored["snapshots"].items() if v["status"] == "done"}
    in_flight = {k: v for k, v in restored["snapshots"].items() if v["status"] != "done"}
    assert len(done) >= 3
    for key, snap in done.items():  # captured before the backup: exactly as in the source
        assert snap == source["snapshots"][key], key
    gated = f"{server.url('/gate')} v1"
    assert gated in in_flight  # held open during the whole backup
    assert {v["status"] for v in in_flight.values()} == {"queued"}
    assert restored_summary["requeued_captures"] == len(in_flight)

    # The captures in flight at backup time were queued again: a worker finishes them and
    # the restored library catches up with the source.
    with worker(dst):
        wait_for(dst, lambda s: all(x == "done" for x in s), "the restored queue")
    final = dump(dst)
    assert final["bad_blobs"] == []
    for key, snap in final["snapshots"].items():
        theirs = source["snapshots"][key]
        assert (snap["status"], snap["title"], snap["text"]) == (
            theirs["status"],
            theirs["title"],
            theirs["text"],
        )
    hits = json.loads(run(dst, "search", "page7", "--json").stdout)
    assert [h["title"] for h in hits] == ["Page 7"]  # the search index came along


def test_backup_during_captures_restores_an_identical_library(fixture_server, tmp_path):
    roundtrip_during_captures(
        fixture_server, make_env(tmp_path / "src"), make_env(tmp_path / "dst"), tmp_path / "bk"
    )


@pytest.mark.django_db
def test_postgresql_backup_during_captures_restores_an_identical_library(fixture_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the suite's PostgreSQL leg runs it)")
    import psycopg

    sd = connection.settings_dict
    params = {
        "host": sd.get("HOST") or "127.0.0.1",
        "port": sd.get("PORT") or 5432,
        "user": sd.get("USER") or "postgres",
        "password": sd.get("PASSWORD") or None,
    }
    names = [f"{sd['NAME']}_backup_src", f"{sd['NAME']}_backup_dst"]

    def url(name: str) -> str:
        auth = params["user"] + (f":{params['password']}" if params["password"] else "")
        return f"postgres://{auth}@{params['host']}:{params['port']}/{name}"

    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        src = make_env(tmp_path / "src", url(names[0]))
        dst = make_env(tmp_path / "dst", url(names[1]))
        roundtrip_during_captures(fixture_server, src, dst, tmp_path / "bk")
        assert (tmp_path / "bk" / "database.pgdump").is_file()
        assert not (tmp_path / "dst" / "snapshelf.sqlite3").exists()
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------------- refusals (SQLite)


@pytest.fixture(scope="module")
def small(fixture_server_session, tmp_path_factory) -> tuple[dict[str, str], Path]:
    """An instance with one captured link, and its backup."""
    fixture_server_session.reset()
    serve_pages(fixture_server_session)
    root = tmp_path_factory.mktemp("small")
    env = make_env(root / "data")
    run(env, "init")
    added = json.loads(
        run(
            env, "add", fixture_server_session.url("/p/1"), "--tag", "kept", "--wait", "--json"
        ).stdout
    )
    assert added["status"] == "done"
    run(env, "backup", str(root / "bk"))
    return env, root / "bk"


def blob_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "blobs").rglob("*") if p.is_file())


def test_restore_refuses_an_instance_that_is_not_empty(small):
    env, backup_dir = small  # restoring onto the instance that was backed up: not empty
    data_dir = Path(env["SNAPSHELF_DATA_DIR"])
    before, files = rows(env), blob_files(data_dir)
    assert before["library_link"] and files

    refused = run(env, "restore", str(backup_dir), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert rows(env) == before  # nothing changed
    assert blob_files(data_dir) == files


def test_restore_onto_a_new_instance_replaces_only_the_init_admin(small, tmp_path):
    source_env, backup_dir = small
    env = make_env(tmp_path / "data")
    run(env, "init")  # creates `admin` with a password of its own
    summary = json.loads(run(env, "restore", str(backup_dir), "--json").stdout)
    assert summary["replaced_users"] == ["admin"]
    restored = rows(env)
    assert restored == rows(source_env)  # the source's password hash came along too
    stored = {p.name.removesuffix(".zst") for p in blob_files(tmp_path / "data")}
    assert stored == {row[0] for row in restored["library_blob"]}


def test_restore_refuses_a_damaged_backup_and_writes_nothing(small, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(small[1], damaged)
    victim = next(p for p in sorted((damaged / "blobs").rglob("*")) if p.is_file())
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    env = make_env(tmp_path / "data")
    run(env, "init")
    before = rows(env)

    refused = run(env, "restore", str(damaged), check=False)
    assert refused.returncode != 0
    assert victim.name in refused.stderr and "damaged" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert rows(env) == before
    assert blob_files(tmp_path / "data") == []  # not one blob put

    (damaged / "manifest.json").unlink()  # an unfinished backup
    refused = run(env, "restore", str(damaged), check=False)
    assert refused.returncode != 0 and "not a complete backup" in refused.stderr
    assert rows(env) == before


def test_backup_refuses_a_directory_that_is_not_empty(small, tmp_path):
    env = small[0]
    target = tmp_path / "bk"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    refused = run(env, "backup", str(target), check=False)
    assert refused.returncode != 0 and "not empty" in refused.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
