"""Deployment switches in settings, read in a fresh interpreter as `snapshelf serve` would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
    "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER]))"
)


def probe(tmp_path, **env) -> list:
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "snapshelf.settings",
        "SNAPSHELF_DATA_DIR": str(tmp_path),
        **env,
    }
    environ.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_https_switch_secures_cookies_and_transport(tmp_path):
    assert probe(tmp_path) == [False, False, False, 0, None]
    secure, csrf, redirect, hsts, proxy = probe(tmp_path, SNAPSHELF_HTTPS="1")
    assert secure and csrf and redirect and hsts >= 31536000
    assert proxy == ["HTTP_X_FORWARDED_PROTO", "https"]


DEFAULTS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SNAPSHELF_OPEN_SIGNUP, s.ALLOWED_HOSTS, s.SNAPSHELF_USER_STORAGE_BYTES]))"
)


def test_defaults_are_safe_for_an_exposed_server(tmp_path):
    def defaults(**env):
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("SNAPSHELF_", "DATABASE_URL"))
        }
        environ.update(
            DJANGO_SETTINGS_MODULE="snapshelf.settings", SNAPSHELF_DATA_DIR=str(tmp_path), **env
        )
        out = subprocess.run(
            [sys.executable, "-c", DEFAULTS], env=environ, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    signup, hosts, storage = defaults()
    assert signup is False  # nobody may sign up unless the operator opens it
    assert "*" not in hosts and set(hosts) == {"localhost", "127.0.0.1", "[::1]"}
    assert storage == 0  # the operator made every account: their disk, no quota
    signup, hosts, storage = defaults(
        SNAPSHELF_OPEN_SIGNUP="1", SNAPSHELF_ALLOWED_HOSTS="shelf.example.org"
    )
    assert signup is True and "shelf.example.org" in hosts
    assert storage == 2048 * 2**20  # strangers get accounts: each has a quota
    assert defaults(SNAPSHELF_OPEN_SIGNUP="1", SNAPSHELF_USER_STORAGE_MB="0")[2] == 0
    assert defaults(SNAPSHELF_USER_STORAGE_MB="10")[2] == 10 * 2**20
