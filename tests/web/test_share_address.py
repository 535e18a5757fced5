"""Unlisted links have an unguessable address (issue 21.5): counting ids finds nothing,
the owner is shown the address with a copy button, and a new address revokes the old."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from snapshelf.services import links as door

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(user):
    Profile.objects.filter(user=user).update(nickname="alice")
    user.refresh_from_db()
    return user


def make(owner, n: int, visibility: str) -> Link:
    link, _snap = add_link(owner, f"https://example.org/{n}")
    link.title = f"{visibility}-{n}-title"
    link.visibility = visibility
    link.save()
    return link


def test_counting_sequential_addresses_finds_no_unlisted_link(client, alice):
    links = [make(alice, n, v) for n, v in enumerate(["unlisted", "public", "unlisted"] * 3)]
    found = set()
    for pk in range(1, max(link.pk for link in links) + 5):
        response = client.get(reverse("public-link", args=["alice", pk]))
        if response.status_code == 200:
            found.add(pk)
    assert found == {link.pk for link in links if link.visibility == "public"}


def test_unlisted_link_is_read_at_its_secret_address(client, alice):
    link = make(alice, 1, "unlisted")
    assert len(link.share_token) >= 20
    response = client.get(reverse("shared-link", args=[link.share_token]))
    assert response.status_code == 200
    assert link.title in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"
    assert client.get(reverse("shared-link", args=[link.share_token[:-1]])).status_code == 404


def test_tokens_differ_between_links(alice):
    tokens = {make(alice, n, "unlisted").share_token for n in range(20)}
    assert len(tokens) == 20


def test_private_link_has_no_shared_page_even_with_its_token(client, alice):
    link = make(alice, 1, "private")
    assert client.get(reverse("shared-link", args=[link.share_token])).status_code == 404


def test_owner_sees_the_address_and_a_copy_button(client, alice):
    link = make(alice, 1, "unlisted")
    client.force_login(alice)
    body = client.get(reverse("link", args=[link.pk])).content.decode()
    assert f"http://testserver/shared/{link.share_token}/" in body
    assert "data-copy=" in body and "Copy link" in body
    private = make(alice, 2, "private")
    assert "data-copy=" not in client.get(reverse("link", args=[private.pk])).content.decode()
    public = make(alice, 3, "public")
    body = client.get(reverse("link", args=[public.pk])).content.decode()
    assert f"http://testserver/u/alice/{public.pk}/" in body


def test_a_new_address_revokes_the_old_one(client, alice, other_user):
    link = make(alice, 1, "unlisted")
    old = link.share_token
    client.force_login(other_user)
    assert client.post(reverse("link-share-new", args=[link.pk])).status_code == 404
    client.force_login(alice)
    response = client.post(reverse("link-share-new", args=[link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.share_token != old
    client.logout()
    assert client.get(reverse("shared-link", args=[old])).status_code == 404
    assert client.get(reverse("shared-link", args=[link.share_token])).status_code == 200


def test_the_door_checks_the_owner(alice, other_user):
    link = make(alice, 1, "unlisted")
    with pytest.raises(Link.DoesNotExist):
        door.new_share_address(other_user, link)


def test_header_shows_the_user_name_until_a_nickname_is_picked(client, user):
    client.force_login(user)
    assert user.profile.nickname.startswith("user-")
    body = client.get(reverse("home")).content.decode()
    assert f'<span class="muted who">{user.username}</span>' in body
    Profile.objects.filter(user=user).update(nickname="picked")
    body = client.get(reverse("home")).content.decode()
    assert '<span class="muted who">picked</span>' in body
