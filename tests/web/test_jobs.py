"""The Captures page and `snapshelf status`: queue depth, retries and failures, scoped
to the user on the web."""

from __future__ import annotations

import json

import pytest

from snapshelf.cli import main as cli_main
from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from tests.webserver import Reply

pytestmark = pytest.mark.django_db


def _library(user, other_user, fixture_server):
    fixture_server.route("/ok", lambda r: Reply.html("<title>Fine</title><p>fine page</p>"))
    fixture_server.route("/gone", lambda r: Reply.html("nope", status=404))
    ok = add_link(user, fixture_server.url("/ok"))[1]
    run_capture(ok.pk)
    gone = add_link(user, fixture_server.url("/gone"))[1]
    run_capture(gone.pk)
    waiting = add_link(user, "https://example.org/waiting")[1]
    Snapshot.objects.filter(pk=waiting.pk).update(attempts=1, error="try 1 failed, retrying")
    theirs = add_link(other_user, fixture_server.url("/gone?bob"))[1]
    run_capture(theirs.pk)
    return ok, gone, waiting, theirs


def test_the_captures_page_shows_the_users_own_jobs(client, user, other_user, fixture_server):
    _ok, gone, waiting, theirs = _library(user, other_user, fixture_server)
    client.force_login(user)
    page = client.get("/jobs/").content.decode()
    assert "1 queued (1 waiting to retry), 0 running." in page
    assert "Last 24 hours: 1 done, 1 failed." in page
    assert "https://example.org/waiting" in page and "try 1 failed, retrying" in page
    assert gone.error_code in page and f"/links/{gone.link_id}/resnapshot" in page
    assert "gone?bob" not in page  # bob's failure is his own
    assert 'hx-trigger="every 3s"' in page  # refreshes itself while something is queued
    Snapshot.objects.filter(pk=waiting.pk).update(status=Snapshot.Status.FAILED)
    panel = client.get("/jobs/", HTTP_HX_REQUEST="true").content.decode()
    assert panel.startswith('<div id="jobs-panel">')  # idle: no more polling
    assert "<html" not in panel


def test_status_command_counts_everything_or_one_user(user, other_user, fixture_server, capsys):
    _ok, gone, waiting, theirs = _library(user, other_user, fixture_server)
    assert cli_main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["queued"], status["retrying"], status["done_24h"], status["failed_24h"]) == (
        1,
        1,
        1,
        2,
    )
    assert {f["snapshot_id"] for f in status["recent_failures"]} == {gone.pk, theirs.pk}
    assert status["queue"]["backend"] == "sqlite" and "pending_tasks" in status["queue"]
    assert cli_main(["status", "--json", "--user", "bob"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert mine["queued"] == 0 and [f["snapshot_id"] for f in mine["recent_failures"]] == [
        theirs.pk
    ]
    assert "queue" not in mine
    assert cli_main(["status"]) == 0
    text = capsys.readouterr().out
    assert "queued 1 (retrying 1)" in text and "recent failures:" in text
