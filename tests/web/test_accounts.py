"""Sign-up, log-in (safe ?next=, rate limit), settings and the bookmarklet."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from snapshelf.accounts import ratelimit
from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link, Snapshot
from snapshelf.web.views.accounts import set_language_and_profile

pytestmark = pytest.mark.django_db

PASSWORD = "alice-password-123"


@pytest.fixture(autouse=True)
def clean_cache():
    """The failure counters live in the cache; no test may inherit or leave any."""
    cache.clear()
    yield
    cache.clear()


def post_login(client, username: str, password: str, next_url: str = "", **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, **extra)


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


# --- sign-up -----------------------------------------------------------------------------


@pytest.fixture
def open_signup(settings):
    """Sign-up is off unless the operator turns it on: these tests turn it on."""
    settings.SNAPSHELF_OPEN_SIGNUP = True
    return settings


def test_by_default_there_is_no_sign_up(client):
    # the test settings are the defaults (nothing sets SNAPSHELF_OPEN_SIGNUP)
    page = client.get(reverse("login")).content.decode()
    assert 'name="username"' in page and reverse("signup") not in page
    assert client.get(reverse("signup")).status_code == 404
    data = {"username": "carol", "password1": "x-Strong-pass-91", "password2": "x-Strong-pass-91"}
    assert client.post(reverse("signup"), data).status_code == 404
    assert not get_user_model().objects.filter(username="carol").exists()


def test_login_page_links_to_signup_only_when_open(client, settings):
    settings.SNAPSHELF_OPEN_SIGNUP = True
    page = client.get(reverse("login")).content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert reverse("signup") in page
    settings.SNAPSHELF_OPEN_SIGNUP = False
    page = client.get(reverse("login")).content.decode()
    assert reverse("signup") not in page


def test_one_address_may_create_only_a_few_accounts_an_hour(open_signup):
    open_signup.SNAPSHELF_SIGNUPS_PER_HOUR = 3
    mint = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(3):
        data = {
            "username": f"bot{i}",
            "password1": "x-Strong-pass-91",
            "password2": "x-Strong-pass-91",
        }
        assert mint.post(reverse("signup"), data).status_code == 302
        mint.logout()
    data = {"username": "bot3", "password1": "x-Strong-pass-91", "password2": "x-Strong-pass-91"}
    response = mint.post(reverse("signup"), data)
    assert response.status_code == 429 and int(response["Retry-After"]) > 3000
    assert "Too many accounts were created from your address" in html.unescape(
        response.content.decode()
    )
    assert not get_user_model().objects.filter(username="bot3").exists()
    # someone else is not held back by that address
    other = Client(REMOTE_ADDR="198.51.100.20")
    assert other.post(reverse("signup"), data).status_code == 302


def test_signup_is_404_when_closed(client, settings):
    settings.SNAPSHELF_OPEN_SIGNUP = False
    assert client.get(reverse("signup")).status_code == 404
    data = {"username": "carol", "password1": "x-Strong-pass-91", "password2": "x-Strong-pass-91"}
    assert client.post(reverse("signup"), data).status_code == 404
    assert not get_user_model().objects.filter(username="carol").exists()


def test_signup_creates_account_logs_in_and_sets_nickname(client, open_signup):
    data = {
        "username": "carol",
        "password1": "x-Strong-pass-91",
        "password2": "x-Strong-pass-91",
        "nickname": "小明_carol-1",
    }
    response = client.post(reverse("signup"), data)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    carol = get_user_model().objects.get(username="carol")
    assert carol.profile.nickname == "小明_carol-1"
    assert int(client.session[SESSION_KEY]) == carol.pk
    assert client.get(reverse("settings")).status_code == 200


def test_signup_blank_nickname_keeps_generated_one(client, open_signup):
    data = {"username": "dave", "password1": "x-Strong-pass-91", "password2": "x-Strong-pass-91"}
    assert client.post(reverse("signup"), data).status_code == 302
    assert re.fullmatch(r"user-[0-9a-f]{8}", Profile.objects.get(user__username="dave").nickname)


@pytest.mark.parametrize("nickname", ["ALICE-nick", "a", "has space", "<b>x</b>", "x" * 41, "a/b"])
def test_signup_refuses_bad_or_taken_nickname(client, user, nickname, open_signup):
    Profile.objects.filter(user=user).update(nickname="alice-nick")
    data = {
        "username": "erin",
        "password1": "x-Strong-pass-91",
        "password2": "x-Strong-pass-91",
        "nickname": nickname,
    }
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["nickname"]
    assert not get_user_model().objects.filter(username="erin").exists()
    assert "<b>x</b>" not in response.content.decode()


def test_signup_applies_django_password_validators(client, open_signup):
    data = {"username": "frank", "password1": "12345678", "password2": "12345678"}
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="frank").exists()


# --- log-in ------------------------------------------------------------------------------


def test_login_next_to_another_site_ends_at_home(client, user):
    response = post_login(client, "alice", PASSWORD, next_url="https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    # the page itself never echoes the foreign target into the form
    client.logout()
    page = client.get(reverse("login") + "?next=https://evil.example/").content.decode()
    login_form = page.split('class="auth"')[1].split("</form>")[0]
    assert '<input type="hidden" name="next" value="">' in login_form


def test_login_next_to_local_path_is_followed(client, user):
    response = post_login(client, "alice", PASSWORD, next_url="/settings/")
    assert response["Location"] == "/settings/"


def test_login_wrong_password_shows_error(client, user):
    response = post_login(client, "alice", "nope")
    assert response.status_code == 200
    assert "status-failed" in response.content.decode()
    assert not logged_in(client)


def test_five_failures_for_a_username_block_that_client_even_with_the_right_password(user):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(ratelimit.MAX_PER_USERNAME):
        post_login(attacker, "alice", "wrong-password")
    response = post_login(attacker, "alice", PASSWORD)
    assert response.status_code == 200
    assert not logged_in(attacker)
    body = html.unescape(response.content.decode())
    assert re.search(r"Too many failed attempts\. Try again in 1[45] minutes\.", body)
    # the real alice, from her own address, is not locked out by someone else's failures
    alice = Client(REMOTE_ADDR="198.51.100.7")
    assert post_login(alice, "alice", PASSWORD).status_code == 302 and logged_in(alice)
    # while the attacker is still held back for that name
    assert post_login(attacker, "alice", PASSWORD).status_code == 200


def test_failures_from_many_addresses_do_not_lock_the_user_out(user):
    for i in range(3 * ratelimit.MAX_PER_USERNAME):
        post_login(Client(REMOTE_ADDR=f"203.0.113.{i + 1}"), "alice", "wrong-password")
    alice = Client(REMOTE_ADDR="198.51.100.7")
    assert post_login(alice, "alice", PASSWORD).status_code == 302


def test_four_failures_do_not_block(client, user):
    for _ in range(ratelimit.MAX_PER_USERNAME - 1):
        post_login(client, "alice", "wrong-password")
    assert post_login(client, "alice", PASSWORD).status_code == 302


def test_success_clears_the_username_counter(client, user):
    for _ in range(ratelimit.MAX_PER_USERNAME - 1):
        post_login(client, "alice", "wrong-password")
    assert post_login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(ratelimit.MAX_PER_USERNAME - 1):
        post_login(client, "alice", "wrong-password")
    assert post_login(client, "alice", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_block_that_address(user):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for i in range(ratelimit.MAX_PER_ADDRESS):
        post_login(attacker, f"guess{i}", "wrong-password")
    response = post_login(attacker, "alice", PASSWORD)
    assert not logged_in(attacker)
    assert "Too many failed attempts" in html.unescape(response.content.decode())
    # alice from her own address is not affected (4 guesses were not hers)
    assert post_login(Client(REMOTE_ADDR="198.51.100.7"), "alice", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for(user, settings):
    """Through one proxy, an attacker's failures must not block another client."""
    settings.SNAPSHELF_TRUSTED_PROXIES = ["10.0.0.0/8"]

    def via_proxy(forwarded_for: str) -> Client:
        return Client(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR=forwarded_for)

    # a forged left-most hop does not change who the proxy saw
    for i in range(ratelimit.MAX_PER_ADDRESS):
        post_login(via_proxy(f"198.51.100.{i}, 203.0.113.5"), f"guess{i}", "wrong-password")
    attacker = via_proxy("203.0.113.5")
    blocked = post_login(attacker, "alice", PASSWORD)
    assert not logged_in(attacker)
    assert "Too many failed attempts" in html.unescape(blocked.content.decode())
    alice = via_proxy("198.51.100.7")
    assert post_login(alice, "alice", PASSWORD).status_code == 302 and logged_in(alice)


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(settings):
    from django.test import RequestFactory

    settings.SNAPSHELF_TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert ratelimit.client_address(request) == "203.0.113.5"
    settings.SNAPSHELF_TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert ratelimit.client_address(request) == "10.1.2.3"
    # two trusted proxies in a row: the client is the first untrusted hop from the right
    settings.SNAPSHELF_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 192.0.2.1"
    )
    assert ratelimit.client_address(request) == "198.51.100.7"


# --- settings ----------------------------------------------------------------------------


def test_settings_requires_login(client):
    response = client.get(reverse("settings"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_settings_page_renders_three_sections(client, user):
    client.force_login(user)
    body = client.get(reverse("settings")).content.decode()
    assert 'aria-current="page">Settings' in body
    for form in ("profile", "password"):
        assert f'name="form" value="{form}"' in body
    assert 'value="zh-hans"' in body and "简体中文" in body and "Browser default" in body


def test_profile_form_saves_nickname(client, user):
    client.force_login(user)
    data = {"form": "profile", "nickname": "愛麗絲", "language": ""}
    response = client.post(reverse("settings"), data)
    assert response.status_code == 302 and response["Location"] == reverse("settings")
    user.profile.refresh_from_db()
    assert user.profile.nickname == "愛麗絲"
    assert "Your profile was saved." in client.get(reverse("settings")).content.decode()


def test_profile_form_refuses_nickname_taken_case_insensitively(client, user, other_user):
    Profile.objects.filter(user=other_user).update(nickname="Bobby")
    client.force_login(user)
    before = Profile.objects.get(user=user).nickname
    response = client.post(reverse("settings"), {"form": "profile", "nickname": "bobby"})
    assert response.status_code == 200
    assert response.context["profile_form"].errors["nickname"]
    assert Profile.objects.get(user=user).nickname == before


def test_language_choice_applies_to_the_next_response(client, user):
    client.force_login(user)
    nickname = user.profile.nickname
    response = client.post(
        reverse("settings"), {"form": "profile", "nickname": nickname, "language": "zh-hans"}
    )
    assert response.cookies["django_language"].value == "zh-hans"
    page = client.get(reverse("settings"), HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "zh-hans"
    body = page.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "旧密码" in body  # Django's own translation of the password form's label
    # back to the browser's language: the cookie goes, Accept-Language rules again
    response = client.post(reverse("settings"), {"form": "profile", "nickname": nickname})
    assert response.cookies["django_language"].value == ""
    assert client.get(reverse("settings"), HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"


def test_password_change_keeps_the_session(client, user):
    client.force_login(user)
    data = {
        "form": "password",
        "old_password": PASSWORD,
        "new_password1": "n3w-Password-xyz",
        "new_password2": "n3w-Password-xyz",
    }
    response = client.post(reverse("settings"), data)
    assert response.status_code == 302
    assert client.get(reverse("settings")).status_code == 200  # still logged in
    user.refresh_from_db()
    assert user.check_password("n3w-Password-xyz")


def test_password_change_needs_the_old_password(client, user):
    client.force_login(user)
    data = {
        "form": "password",
        "old_password": "not-it",
        "new_password1": "n3w-Password-xyz",
        "new_password2": "n3w-Password-xyz",
    }
    response = client.post(reverse("settings"), data)
    assert response.status_code == 200
    assert response.context["password_form"].errors["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_settings_post_needs_csrf(user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(reverse("settings"), {"form": "profile", "nickname": "zzz-new"})
    assert response.status_code == 403
    assert Profile.objects.get(user=user).nickname != "zzz-new"


def test_bookmarklet_link_opens_the_save_page_in_a_popup(client, user):
    client.force_login(user)
    body = client.get(reverse("settings")).content.decode()
    match = re.search(r'<a class="bookmarklet[^"]*" href="([^"]*)"', body)
    assert match
    href = html.unescape(match.group(1))
    assert href.startswith("javascript:")
    assert "http://testserver/save/?url=" in href
    assert "encodeURIComponent(location.href)" in href
    assert "encodeURIComponent(document.title)" in href
    assert re.search(r"window\.open\(u,'[^']*','width=\d+,height=\d+", href)
    assert '"' not in href  # only single quotes inside the attribute


# --- bookmarklet save page ---------------------------------------------------------------


SAVE_QUERY = "?url=https%3A%2F%2Fexample.org%2Fpost%3Fa%3D1&title=A%20%3Cb%3Etitle%3C%2Fb%3E"


def test_save_page_sends_anonymous_visitors_to_login_and_back(client):
    response = client.get(reverse("bookmarklet-save") + SAVE_QUERY)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("login")
    assert parse_qs(location.query)["next"] == [reverse("bookmarklet-save") + SAVE_QUERY]


def test_save_page_get_prefills_and_changes_nothing(client, user):
    client.force_login(user)
    response = client.get(reverse("bookmarklet-save") + SAVE_QUERY)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="https://example.org/post?a=1"' in body
    assert "A &lt;b&gt;title&lt;/b&gt;" in body and "<b>title" not in body
    assert not Link.objects.exists() and not Snapshot.objects.exists()


def test_save_page_post_saves_titles_tags_and_queues(
    client, user, django_capture_on_commit_callbacks
):
    client.force_login(user)
    data = {"url": "https://example.org/post?a=1", "title": "  A   page ", "tags": "news, 读书"}
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("bookmarklet-save"), data)
    assert response.status_code == 200
    assert "Saved ✓" in response.content.decode()
    assert reverse("home") in response.content.decode()
    assert "data-close-window" in response.content.decode()
    link = Link.objects.get(owner=user)
    assert link.title == "A page"
    assert sorted(t.name for t in link.tags.all()) == ["news", "读书"]
    assert link.snapshots.get().status == Snapshot.Status.QUEUED
    assert len(queued) == 1  # the capture job is enqueued once the transaction commits


def test_save_page_keeps_an_existing_title(client, user):
    client.force_login(user)
    data = {"url": "https://example.org/x", "title": "First"}
    client.post(reverse("bookmarklet-save"), data)
    # captured meanwhile: while it is queued, another save joins it (one capture at a time)
    Link.objects.get(owner=user).snapshots.update(status="done")
    client.post(reverse("bookmarklet-save"), {**data, "title": "Second"})
    link = Link.objects.get(owner=user)
    assert link.title == "First"
    assert link.snapshots.count() == 2


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "not a url at all", ""])
def test_save_page_refuses_bad_urls(client, user, bad):
    client.force_login(user)
    response = client.post(reverse("bookmarklet-save"), {"url": bad, "title": "t"})
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert "errorlist" in response.content.decode()
    assert not Link.objects.exists()


def test_save_page_post_needs_csrf(user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(reverse("bookmarklet-save"), {"url": "https://example.org/"})
    assert response.status_code == 403
    assert not Link.objects.exists()


def test_header_language_switch_also_updates_the_profile(rf, user):
    """For snapshelf/urls.py to route i18n/setlang/ to (see the helper's report)."""

    Profile.objects.filter(user=user).update(language="en")
    request = rf.post("/i18n/setlang/", {"language": "zh-hans", "next": "/settings/"})
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = user
    response = set_language_and_profile(request)
    assert response.status_code == 302 and response["Location"] == "/settings/"
    assert response.cookies["django_language"].value == "zh-hans"
    assert Profile.objects.get(user=user).language == "zh-hans"
    bad = rf.post("/i18n/setlang/", {"language": "xx"})
    bad.user = user
    set_language_and_profile(bad)
    assert Profile.objects.get(user=user).language == "zh-hans"


# --- host names ---------------------------------------------------------------------------


def test_a_forged_host_is_refused_not_reflected_into_the_bookmarklet(client, user):
    # the default settings (tests add only Django's "testserver") answer to no other name
    client.force_login(user)
    forged = client.get(reverse("settings"), HTTP_HOST="evil.example")
    assert forged.status_code == 400
    assert b"evil.example" not in forged.content
    page = client.get(reverse("settings"), HTTP_HOST="localhost:8000").content.decode()
    assert "http://localhost:8000/save/" in html.unescape(page)


def test_handed_out_addresses_follow_the_base_url(client, user, settings):
    settings.SNAPSHELF_BASE_URL = "https://shelf.example.org"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "internal.lan"]
    client.force_login(user)
    page = html.unescape(client.get(reverse("settings"), HTTP_HOST="internal.lan").content.decode())
    assert "https://shelf.example.org/save/" in page and "internal.lan" not in page
