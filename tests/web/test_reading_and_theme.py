"""Reading time on each link and the theme choice (issue 21.10)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link

pytestmark = pytest.mark.django_db


def done(user, url: str, **fields) -> int:
    link, snap = add_link(user, url)
    Snapshot.objects.filter(pk=snap.pk).update(status="done", title=url, **fields)
    return link.pk


def test_reading_time_counts_words_for_english_and_characters_for_chinese(client, user):
    english = done(user, "https://example.org/en", word_count=2300, language="en")
    chinese = done(user, "https://example.org/zh", word_count=2000, language="zh")
    tiny = done(user, "https://example.org/tiny", word_count=12, language="en")
    client.force_login(user)
    assert "10 min read" in client.get(reverse("link", args=[english])).content.decode()
    assert "5 min read" in client.get(reverse("link", args=[chinese])).content.decode()
    assert "min read" not in client.get(reverse("link", args=[tiny])).content.decode()
    rows = client.get(reverse("home")).content.decode()
    assert "10 min read" in rows and "5 min read" in rows
    zh = client.get(reverse("link", args=[chinese]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "阅读约 5 分钟" in zh.content.decode()


def test_theme_choice_is_kept_and_rendered(client, user):
    client.force_login(user)
    assert "data-theme=" not in client.get(reverse("home")).content.decode()  # the system's
    r = client.post(reverse("set-theme"), {"theme": "dark", "next": "/tags/"})
    assert r.status_code == 302 and r["Location"] == "/tags/"
    html = client.get(reverse("home")).content.decode()
    assert 'data-theme="dark"' in html and '<option value="dark" selected>' in html
    assert '<meta name="color-scheme" content="dark">' in html
    client.post(reverse("set-theme"), {"theme": "system"})
    assert "data-theme=" not in client.get(reverse("home")).content.decode()


def test_theme_works_logged_out_and_never_redirects_off_site(client):
    r = client.post(reverse("set-theme"), {"theme": "light", "next": "https://evil.example/"})
    assert r["Location"] == reverse("home")
    html = client.get(reverse("login")).content.decode()
    assert 'data-theme="light"' in html
    client.post(reverse("set-theme"), {"theme": "neon"})
    assert "data-theme=" not in client.get(reverse("login")).content.decode()


def test_every_page_has_the_shortcuts_help(client, user):
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert '<dialog id="shortcuts-help"' in html and 'data-key="g t"' in html
