"""First run and the CLI (issue 21.9): the printed links follow the server's real port, a
busy port is one clear line, a scheme-less address is stored as the web stores it, and a
capture refused by the egress guard says where the fix goes, in the library too.

(These drive the real `snapshelf` command against a real server; they live beside the web
tests because they check what the web shows and where the CLI's links lead.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest
from django.urls import reverse

from snapshelf.cli import common
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from tests.test_cli import SNAPSHELF, _free_port, run, run_json
from tests.test_cli import env as env  # noqa: F401, PLW0127 - the CLI's fixture

pytestmark = pytest.mark.django_db


def wait_ready(server, port: int) -> None:
    end = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < end, "server did not become ready"
            time.sleep(0.2)


def test_links_follow_the_real_port_and_a_busy_port_is_one_line(env):  # noqa: F811
    port = _free_port()
    env = {**env, "SNAPSHELF_WORKERS": "0"}
    server = subprocess.Popen(
        [str(SNAPSHELF), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(server, port)
        saved = run_json(env, "add", "example.org/some/page")
        assert saved["url"] == "https://example.org/some/page"
        shown = run_json(env, "show", str(saved["snapshot_id"]))
        assert shown["view_url"] == f"http://127.0.0.1:{port}/s/{saved['snapshot_id']}/"
        with urllib.request.urlopen(shown["view_url"], timeout=10) as answer:
            assert answer.status == 200  # the log-in page the link leads to: a real page
        listed = run_json(env, "list")
        assert [row["url"] for row in listed] == ["https://example.org/some/page"]

        again = run(env, "serve", "--port", str(port), check=False, timeout=60)
        assert again.returncode != 0
        assert "Traceback" not in again.stderr, again.stderr
        errors = [line for line in again.stderr.splitlines() if "error" in line]
        assert len(errors) == 1, again.stderr  # (init's "data directory: …" comes first)
        assert f"port {port}" in errors[0] and "already in use" in errors[0]
        assert "--port" in errors[0] and "SNAPSHELF_PORT" in errors[0]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_base_url_prefers_the_setting_then_the_server_then_host_and_port(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("SNAPSHELF_")]:
        if name not in ("SNAPSHELF_EGRESS_ALLOW",):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SNAPSHELF_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SNAPSHELF_PORT", "8123")
    assert common.base_url() == "http://127.0.0.1:8123"
    (tmp_path / common.SERVER_URL_FILE).write_text("http://127.0.0.1:9999\n")
    assert common.base_url() == "http://127.0.0.1:9999"
    monkeypatch.setenv("SNAPSHELF_BASE_URL", "https://snap.example.org/")
    assert common.base_url() == "https://snap.example.org"
    assert common.local_url("0.0.0.0", 80) == "http://127.0.0.1:80"  # noqa: S104
    assert common.local_url("::1", 80) == "http://[::1]:80"


def test_web_and_cli_store_a_schemeless_address_alike(client, user):
    client.force_login(user)
    client.post(reverse("link-add"), {"url": "example.org/from-web"})
    link, _ = add_link(user, "example.org/from-cli")
    urls = set(user.links.values_list("url", flat=True))
    assert urls == {"https://example.org/from-web", "https://example.org/from-cli"}
    assert link.url == "https://example.org/from-cli"


def test_blocked_capture_says_where_the_setting_goes(client, user):
    link, snap = add_link(user, "http://10.1.2.3/wiki")
    Snapshot.objects.filter(pk=snap.pk).update(
        status="failed",
        error_code="blocked",
        error="10.1.2.3 is a private address (private); add it to SNAPSHELF_EGRESS_ALLOW",
    )
    client.force_login(user)
    for url in (reverse("home"), reverse("link", args=[link.pk]), reverse("jobs")):
        html = client.get(url).content.decode()
        assert "Blocked: private or local address" in html, url
        assert "SNAPSHELF_EGRESS_ALLOW in the environment of the process" in html, url
        assert "worker" in html


def test_failure_badges_say_what_happened(client, user):
    link, snap = add_link(user, "https://example.org/gone")
    Snapshot.objects.filter(pk=snap.pk).update(
        status="failed",
        error_code="http_error",
        error="the server answered HTTP 404 for https://example.org/gone",
    )
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert "Failed: HTTP 404 Not Found" in html
    assert "Failed: http_error" not in html


def test_a_later_success_clears_old_failures_from_captures(client, user):
    link, first = add_link(user, "https://example.org/flaky")
    Snapshot.objects.filter(pk=first.pk).update(
        status="failed", error_code="timeout", error="timed out", finished="2026-01-01T00:00Z"
    )
    client.force_login(user)
    assert "Timed out" in client.get(reverse("jobs")).content.decode()
    link, second = add_link(user, "https://example.org/flaky")
    Snapshot.objects.filter(pk=second.pk).update(status="done", finished="2026-01-02T00:00Z")
    assert "Timed out" not in client.get(reverse("jobs")).content.decode()
