"""A nickname change keeps shared /u/<old>/ addresses working (issue 21.5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.accounts.models import FormerNickname, Profile
from snapshelf.library.records import add_link

pytestmark = pytest.mark.django_db


def rename(user, nickname: str) -> None:
    profile = Profile.objects.get(user=user)
    profile.nickname = nickname
    profile.save()


def test_old_addresses_redirect_to_the_new_nickname(client, user):
    rename(user, "alice")
    link, _ = add_link(user, "https://example.org/shared")
    link.visibility = "public"
    link.save()
    rename(user, "alice2")
    r = client.get(reverse("public-profile", args=["alice"]) + "?page=1")
    assert r.status_code == 301 and r["Location"] == "/u/alice2/?page=1"
    r = client.get(reverse("public-link", args=["Alice", link.pk]))
    assert r.status_code == 301 and r["Location"] == f"/u/alice2/{link.pk}/"
    assert client.get(r["Location"]).status_code == 200


def test_a_nickname_taken_since_belongs_to_its_new_owner(client, user, other_user):
    rename(user, "sam")
    rename(user, "samuel")
    rename(other_user, "sam")
    assert client.get(reverse("public-profile", args=["sam"])).status_code == 200
    assert b"samuel" not in client.get(reverse("public-profile", args=["sam"])).content
    rename(user, "sam-again")
    assert FormerNickname.objects.get(nickname="samuel").profile.user == user
    r = client.get(reverse("public-profile", args=["samuel"]))
    assert r["Location"] == "/u/sam-again/"


def test_going_back_to_an_old_nickname_forgets_it_as_former(user):
    rename(user, "one")
    rename(user, "two")
    rename(user, "one")
    assert set(FormerNickname.objects.values_list("nickname", flat=True)) >= {"two"}
    assert not FormerNickname.objects.filter(nickname="one").exists()


def test_unknown_nicknames_are_still_404(client):
    assert client.get(reverse("public-profile", args=["nobody"])).status_code == 404
