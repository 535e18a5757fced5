"""Every application page carries the app's Content-Security-Policy (issue 21.1): nothing
on it may load from, or send what is read to, another origin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.web.archive import page_policy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name", ["home", "tags", "jobs", "settings", "import", "export", "bookmarklet-save"]
)
def test_pages_of_a_signed_in_user_send_the_policy(client, user, name):
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == page_policy()


def test_the_login_and_sign_up_pages_send_it_too(client, settings):
    settings.SNAPSHELF_OPEN_SIGNUP = True
    for url in (reverse("login"), reverse("signup")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "default-src 'self'" in response["Content-Security-Policy"]
