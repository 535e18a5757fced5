"""Single sign-on with OpenID Connect against a real provider on 127.0.0.1
(tests/accounts/oidc_provider.py): the log-in page offers it only when configured; a
first sign-in creates the account (or links the one with the provider's verified
e-mail) and lands in the library; the next one finds the same account by its subject;
a wrong state, a wrong nonce or another issuer's token signs nobody in."""

from __future__ import annotations

import urllib.parse

import pytest
import requests
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client

from snapshelf.accounts import oidc
from snapshelf.accounts.models import OidcIdentity
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture(scope="module")
def provider():
    p = Provider()
    yield p
    p.stop()


@pytest.fixture
def sso(provider, settings):
    """Single sign-on configured against the test provider."""
    settings.SNAPSHELF_OIDC = {
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "name": "Acme ID",
        "create_users": True,
    }
    oidc.forget_discovery()
    provider.wrong_nonce = provider.wrong_issuer = False
    provider.user = {
        "sub": "u-1001",
        "preferred_username": "hana",
        "email": "hana@example.org",
        "email_verified": True,
        "name": "Hana Sato",
    }
    yield provider
    oidc.forget_discovery()


def sign_in(client: Client, next_url: str = ""):
    """Start at Snapshelf, sign in at the provider (it answers at once), come back."""
    start = client.get("/accounts/oidc/start/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urllib.parse.urlsplit(at_provider.headers["Location"])
    assert back.path == "/accounts/oidc/callback/"
    return client.get(back.path + "?" + back.query)


def signed_in_user(client: Client):
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def test_off_by_default(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"Sign in with" not in page.content
    assert client.get("/accounts/oidc/start/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_first_sign_in_creates_the_account_and_lands_in_the_library(sso, client):
    page = client.get("/accounts/login/?next=/tags/").content.decode()
    assert "Sign in with Acme ID" in page and "/accounts/oidc/start/?next=/tags/" in page

    done = sign_in(client)
    assert done.status_code == 302 and done["Location"] == "/"
    user = signed_in_user(client)
    assert user is not None and user.username == "hana" and user.email == "hana@example.org"
    assert not user.has_usable_password()
    assert user.profile.nickname  # a profile like every account
    assert OidcIdentity.objects.get(user=user).subject == "u-1001"
    library = client.get("/")
    assert library.status_code == 200 and b'id="add-form"' in library.content
    # the authorize request carried PKCE, state and nonce; the token was fetched with the code
    assert {"/.well-known/openid-configuration", "/token", "/jwks", "/userinfo"} <= set(
        sso.requests
    )

    # the next sign-in finds the same account by its subject, whatever the e-mail says now
    client.logout()
    sso.user = {**sso.user, "email": "hana@new.example", "preferred_username": "hana2"}
    assert sign_in(client, next_url="/tags/")["Location"] == "/tags/"
    assert signed_in_user(client) == user and User.objects.count() == 1


def test_an_existing_account_is_linked_by_verified_email_never_by_user_name(sso, client):
    kim = User.objects.create_user("kim", "Kim@Example.org", "pw-123456789")
    admin = User.objects.create_user("admin", "root@example.org", "pw-123456789")
    sso.user = {
        "sub": "k-7",
        "preferred_username": "admin",
        "email": "kim@example.org",
        "email_verified": True,
    }
    sign_in(client)
    assert signed_in_user(client) == kim
    assert OidcIdentity.objects.get(subject="k-7").user == kim

    # an unverified address links nothing: a new account, and not the local "admin"
    other = Client()
    sso.user = {
        "sub": "x-9",
        "preferred_username": "admin",
        "email": "root@example.org",
        "email_verified": False,
    }
    sign_in(other)
    made = signed_in_user(other)
    assert made not in (None, admin, kim) and made.username == "admin-2" and made.email == ""


def test_without_account_creation_only_existing_accounts_sign_in(sso, client, settings):
    settings.SNAPSHELF_OIDC = {**settings.SNAPSHELF_OIDC, "create_users": False}
    done = sign_in(client)
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None and not User.objects.exists()
    page = client.get("/accounts/login/").content.decode()
    assert "Signing in with Acme ID did not work" in page

    User.objects.create_user("hana-local", "hana@example.org", "pw-123456789")
    sign_in(client)
    assert signed_in_user(client).username == "hana-local"


def test_a_state_the_session_did_not_start_is_refused(sso, client):
    start = client.get("/accounts/oidc/start/")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urllib.parse.urlsplit(at_provider.headers["Location"])
    query = dict(urllib.parse.parse_qsl(back.query))
    forged = urllib.parse.urlencode({**query, "state": "forged-state"})
    r = client.get(back.path + "?" + forged)
    assert r.status_code == 400
    # and a browser with no sign-in under way at all
    r = Client().get(back.path + "?" + back.query)
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None and not User.objects.exists()


@pytest.mark.parametrize("knob", ["wrong_nonce", "wrong_issuer"])
def test_an_id_token_with_a_wrong_nonce_or_issuer_is_refused(sso, client, knob):
    setattr(sso, knob, True)
    r = sign_in(client)
    assert r.status_code == 400
    assert signed_in_user(client) is None and not User.objects.exists()


def test_password_log_in_never_asks_the_provider(sso, client):
    User.objects.create_user("lee", "", "pw-123456789")
    sso.requests.clear()
    r = client.post("/accounts/login/", {"username": "lee", "password": "pw-123456789"})
    assert r.status_code == 302 and signed_in_user(client).username == "lee"
    assert sso.requests == []
