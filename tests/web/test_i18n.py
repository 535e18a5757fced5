"""Every string the UI marks for translation has a Chinese translation, and pages use it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import snapshelf

PACKAGE = Path(snapshelf.__file__).parent
DJANGO_ADMIN = Path(sys.executable).with_name("django-admin")


def po_entries(path: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstrs, fuzzy) for each entry of a .po written with --no-wrap."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n")[1:]:
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        if msgid and not block.lstrip().startswith("#~"):
            strs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)
            entries.append((msgid.group(1), strs, "fuzzy" in block))
    return entries


def test_catalogue_covers_every_marked_string(tmp_path):
    """Re-extract the strings from a copy of the code: nothing new, nothing untranslated."""
    if not shutil.which("xgettext"):
        pytest.fail("gettext is missing: run `make setup` (installs Debian's gettext)")
    copy = tmp_path / "snapshelf"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [DJANGO_ADMIN, "makemessages", "-l", "zh_Hans", "--no-location", "--no-wrap", "-v", "0"],
        cwd=copy,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        check=True,
    )
    entries = po_entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 150
    untranslated = [msgid for msgid, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert untranslated == []


@pytest.mark.django_db
def test_pages_follow_accept_language(client, user):
    client.force_login(user)
    for name in ("home", "tags", "settings"):
        zh = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
        assert '<html lang="zh-hans">' in zh and "资料库" in zh and "标签" in zh
        en = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
        assert '<html lang="en">' in en and "Library" in en
