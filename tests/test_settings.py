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
