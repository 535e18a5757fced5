"""The operator admin renders for a superuser and escapes user-supplied data."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from snapshelf.accounts import ratelimit
from snapshelf.library.models import Link
from snapshelf.library.records import add_link

pytestmark = pytest.mark.django_db

XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def admin_client(client):
    root = get_user_model().objects.create_superuser("root", "", "root-password-123")
    client.force_login(root)
    return client


@pytest.fixture
def link(user):
    link, _snap = add_link(user, "https://example.org/a", ["news"])
    link.title = XSS
    link.save()
    return link


@pytest.mark.parametrize(
    "model", ["auth_user", "accounts_profile", "library_link", "library_snapshot", "library_tag"]
)
def test_changelists_render(admin_client, link, model):
    response = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200
    assert "<img src=x onerror" not in response.content.decode()


def test_link_changelist_shows_and_escapes_the_title(admin_client, link):
    body = admin_client.get(reverse("admin:library_link_changelist")).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "https://example.org/a" in body
    assert "<img src=x onerror" not in body


def test_link_change_page_renders_escaped(admin_client, link):
    response = admin_client.get(reverse("admin:library_link_change", args=[link.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<img src=x onerror" not in body
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body


def test_snapshot_change_page_renders(admin_client, link):
    snap = link.snapshots.get()
    response = admin_client.get(reverse("admin:library_snapshot_change", args=[snap.pk]))
    assert response.status_code == 200


def test_user_change_page_has_the_profile_inline(admin_client, user):
    response = admin_client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="profile-0-nickname"' in body
    assert f'value="{user.profile.nickname}"' in body


def test_profile_inline_saves_from_the_user_page(admin_client, user):
    url = reverse("admin:auth_user_change", args=[user.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": user.username,
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "is_active": "on",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": str(user.profile.pk),
            "profile-0-user": str(user.pk),
            "profile-0-nickname": "renamed-by-admin",
            "profile-0-language": "zh-hans",
        }
    )
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.profile.refresh_from_db()
    assert user.profile.nickname == "renamed-by-admin"
    assert user.profile.language == "zh-hans"


def test_links_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(reverse("admin:library_link_add")).status_code == 403
    assert not Link.objects.exists()


def test_admin_login_is_rate_limited_too(client):
    cache.clear()
    get_user_model().objects.create_superuser("root", "", "root-password-123")
    url = reverse("admin:login")
    try:
        for _ in range(ratelimit.MAX_PER_USERNAME):
            client.post(url, {"username": "root", "password": "wrong"})
        response = client.post(url, {"username": "root", "password": "root-password-123"})
        assert response.status_code == 200
        assert "Too many failed attempts" in response.content.decode()
        assert client.get(reverse("admin:index")).status_code == 302  # still logged out
    finally:
        cache.clear()
