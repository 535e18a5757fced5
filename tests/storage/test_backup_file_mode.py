"""A backup's database copy (password hashes, tokens, private links) is readable by its
owner only, whatever the umask."""

from __future__ import annotations

import os
import stat

import pytest
from django.db import connection

from snapshelf.services.backup import backup

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_backup_database_file_is_0600(tmp_path, django_user_model):
    django_user_model.objects.create_user("owner", password="secret-password-1")
    old = os.umask(0o022)
    try:
        backup(tmp_path / "bk")
    finally:
        os.umask(old)
    name = "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"
    mode = stat.S_IMODE((tmp_path / "bk" / name).stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert stat.S_IMODE((tmp_path / "bk").stat().st_mode) == 0o700
