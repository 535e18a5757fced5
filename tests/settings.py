"""Test settings: a throw-away data directory per test process, fixture hosts allowed."""

import atexit
import os
import shutil
import tempfile

_data = tempfile.mkdtemp(prefix="snapshelf-test-")
atexit.register(shutil.rmtree, _data, ignore_errors=True)
os.environ["SNAPSHELF_DATA_DIR"] = _data
os.environ.pop("SNAPSHELF_SECRET_KEY", None)

from tests.webserver import TEST_ALLOW, TEST_HOSTS  # noqa: E402

os.environ["SNAPSHELF_EGRESS_ALLOW"] = TEST_ALLOW
os.environ["SNAPSHELF_HOSTS"] = TEST_HOSTS
os.environ["SNAPSHELF_DNS"] = "off"  # tests never send a DNS query
# Captures in tests are static unless a test turns the browser on (tests/capture/test_browser.py,
# tests/library/test_capture_modes.py): fast, and independent of the machine's Chromium.
os.environ.setdefault("SNAPSHELF_BROWSER", "off")

from snapshelf.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared in-memory database: tests that capture from several
    # threads at once see the same WAL locking as a deployment, not shared-cache table locks.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_data, "test.sqlite3")}  # noqa: F405
