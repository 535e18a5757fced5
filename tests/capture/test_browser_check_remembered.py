"""`snapshelf status` says what the last browser probe found while nothing it depends on
changed (capture.browser_check.remembered), instead of running Chromium and the sandbox
probe on every call."""

from __future__ import annotations

import json
import os
import stat
import time

from snapshelf.capture import browser_check


def fake_browser(folder, name="chromium"):
    path = folder / name
    path.write_text("#!/bin/sh\necho Chromium 1.0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_answer_stands_while_its_conditions_hold(tmp_path, monkeypatch):
    browser = fake_browser(tmp_path)
    monkeypatch.setenv("SNAPSHELF_BROWSER", str(browser))
    record = tmp_path / "browser-status.json"

    assert browser_check.remembered(record) is None  # nothing probed yet
    browser_check.remember(record, "available, using it")
    assert browser_check.remembered(record) == "available, using it"


def test_a_changed_browser_file_or_setting_is_probed_again(tmp_path, monkeypatch):
    browser = fake_browser(tmp_path)
    monkeypatch.setenv("SNAPSHELF_BROWSER", str(browser))
    record = tmp_path / "browser-status.json"
    browser_check.remember(record, "available")

    browser.write_text(browser.read_text() + "# upgraded\n")  # a new size
    assert browser_check.remembered(record) is None

    browser_check.remember(record, "available")
    monkeypatch.setenv("SNAPSHELF_BROWSER", str(fake_browser(tmp_path, "other")))
    assert browser_check.remembered(record) is None

    browser_check.remember(record, "available")
    monkeypatch.setenv("SNAPSHELF_BROWSER", "off")
    assert browser_check.remembered(record) is None


def test_an_old_or_broken_record_is_probed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("SNAPSHELF_BROWSER", str(fake_browser(tmp_path)))
    record = tmp_path / "browser-status.json"
    browser_check.remember(record, "available")
    saved = json.loads(record.read_text())
    saved["at"] = time.time() - browser_check.REMEMBER_FOR - 1
    record.write_text(json.dumps(saved))
    assert browser_check.remembered(record) is None

    record.write_text("{not json")
    assert browser_check.remembered(record) is None


def test_an_unwritable_directory_costs_only_the_next_probe(tmp_path, monkeypatch):
    if os.geteuid() == 0:  # root writes anywhere: use a path under a file instead
        record = tmp_path / "a-file" / "browser-status.json"
        (tmp_path / "a-file").write_text("")
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        record = tmp_path / "ro" / "browser-status.json"
    monkeypatch.setenv("SNAPSHELF_BROWSER", str(fake_browser(tmp_path)))
    browser_check.remember(record, "available")  # no exception
    assert browser_check.remembered(record) is None
