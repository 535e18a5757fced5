"""Log-in, sign-up, settings (profile, language, password) and the bookmarklet."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.html import escapejs
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from snapshelf.accounts import ratelimit
from snapshelf.accounts.forms import RateLimitedAuthenticationForm
from snapshelf.accounts.models import ApiToken, Feed, Profile
from snapshelf.capture.browser_check import browser_available
from snapshelf.library.models import Link
from snapshelf.services import accounts as account_door
from snapshelf.services import quota
from snapshelf.services.links import save_link, save_page
from snapshelf.web.archive import app_page
from snapshelf.web.forms.accounts import (
    PageSaveForm,
    ProfileForm,
    SignupForm,
)

#: Size of the bookmarklet's popup window.
POPUP_FEATURES = "width=520,height=620,resizable=yes,scrollbars=yes"


@method_decorator(app_page, name="dispatch")
class SnapshelfLoginView(LoginView):
    """Django's log-in (safe ?next= handling) with the failed-attempt limit."""

    authentication_form = RateLimitedAuthenticationForm
    template_name = "registration/login.html"


@app_page
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up, only when the operator opened it (SNAPSHELF_OPEN_SIGNUP=1), else 404; one
    client address may create SNAPSHELF_SIGNUPS_PER_HOUR accounts an hour (then 429)."""
    if not settings.SNAPSHELF_OPEN_SIGNUP:
        raise Http404("sign-up is closed")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    address = ratelimit.client_address(request)
    if request.method == "POST":
        block = ratelimit.signup_blocked(address)
        if block is not None:
            refusal = ngettext(
                "Too many accounts were created from your address. "
                "Try again in %(minutes)d minute.",
                "Too many accounts were created from your address. "
                "Try again in %(minutes)d minutes.",
                block.minutes,
            ) % {"minutes": block.minutes}
            # an empty form: nothing of a refused request is checked (no password hashed)
            context = {"form": SignupForm(), "refusal": refusal}
            response = render(request, "registration/signup.html", context, status=429)
            response["Retry-After"] = str(block.retry_after)
            return response
        if form.is_valid():
            user = form.save()
            ratelimit.record_signup(address)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Snapshelf!"))
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def _language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    """Keep the language cookie in step, so the choice also holds after logging out."""
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def set_language_and_profile(request: HttpRequest) -> HttpResponse:
    """Django's set_language that also stores the choice on a signed-in user's profile.

    UserLanguageMiddleware prefers Profile.language over the cookie, so without this
    the header's language switcher would seem to do nothing for such users.
    """
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    supported = {code for code, _name in settings.LANGUAGES}
    if request.user.is_authenticated and language in supported:
        Profile.objects.filter(user=request.user).update(language=language)
    return response


def public_url(request: HttpRequest, path: str) -> str:
    """An absolute URL to hand out (a bookmarklet, a feed address): from SNAPSHELF_BASE_URL
    when set, else from the request's host, which Django has checked against
    ALLOWED_HOSTS, so a forged Host header is refused rather than copied into it."""
    if settings.SNAPSHELF_BASE_URL:
        return settings.SNAPSHELF_BASE_URL + path
    return request.build_absolute_uri(path)


def page_bookmarklet_href(request: HttpRequest) -> str:
    """Like bookmarklet_href, but the popup also receives the page's HTML as shown (for
    pages behind a login). The HTML goes only to Snapshelf's origin, by postMessage, once
    the popup says it is ready; the popup accepts it only for the page's own origin."""
    save = public_url(request, reverse("bookmarklet-save"))
    target, origin = escapejs(save), escapejs(public_url(request, "/").rstrip("/"))
    return (
        "javascript:(function(){"
        f"var u='{target}?from=page&url='+encodeURIComponent(location.href)"
        "+'&title='+encodeURIComponent(document.title);"
        f"var w=window.open(u,'snapshelf','{POPUP_FEATURES}');"
        "if(!w){alert('Snapshelf: allow pop-ups for this site to save its page.');return;}"
        "var h=document.documentElement.outerHTML;"
        "function s(e){if(e.source===w&&e.data==='snapshelf-ready'){"
        f"w.postMessage({{snapshelf:'page',html:h,url:location.href}},'{origin}');"
        "removeEventListener('message',s);}}"
        "addEventListener('message',s);"
        "})();"
    )


def bookmarklet_href(request: HttpRequest) -> str:
    """The javascript: URL that opens the save page for the current tab in a popup."""
    target = escapejs(public_url(request, reverse("bookmarklet-save")))
    return (
        "javascript:(function(){"
        f"var u='{target}?url='+encodeURIComponent(location.href)"
        "+'&title='+encodeURIComponent(document.title);"
        f"var w=window.open(u,'snapshelf','{POPUP_FEATURES}');"
        "if(!w){location.href=u;}"
        "})();"
    )


#: The hidden `form` values of the token and feed forms on the settings page.
_TOKEN_FORMS = ("token-create", "token-revoke", "feed-create", "feed-rotate", "feed-delete")


def _post_id(request: HttpRequest) -> int:
    raw = request.POST.get("id", "")
    if not raw.isdigit() or len(raw) > 18:
        raise Http404("no such token or feed")
    return int(raw)


def _token_or_feed_action(request: HttpRequest, which: str) -> tuple[str | None, str | None]:
    """Run one token or feed form; returns (new token secret, error). Someone else's id
    is a 404, like a missing one."""
    user = request.user
    try:
        if which == "token-create":
            made = account_door.create_token(
                user, request.POST.get("name", ""), request.POST.get("scope", "")
            )
            return made.secret, None
        if which == "token-revoke":
            token = account_door.revoke_token(user, _post_id(request))
            messages.success(request, _("Revoked the token “%(name)s”.") % {"name": token.name})
        elif which == "feed-create":
            account_door.create_feed(
                user, request.POST.get("kind", ""), request.POST.get("value", "")
            )
            messages.success(request, _("Feed created."))
        elif which == "feed-rotate":
            account_door.rotate_feed(user, _post_id(request))
            messages.success(request, _("The feed has a new address; the old one stopped working."))
        elif which == "feed-delete":
            account_door.delete_feed(user, _post_id(request))
            messages.success(request, _("Feed deleted."))
    except account_door.AccountInputError as exc:
        return None, exc.message
    except (ApiToken.DoesNotExist, Feed.DoesNotExist):
        raise Http404("no such token or feed") from None
    return None, None


def _feeds(request: HttpRequest) -> list[dict]:
    return [
        {
            "feed": feed,
            "url": public_url(
                request, reverse("private-feed", args=[feed.pk, account_door.feed_secret(feed)])
            ),
        }
        for feed in account_door.list_feeds(request.user)
    ]


@app_page
@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Profile, language, password, API tokens and private feeds; each form posts on its
    own (hidden `form` field). A new token's secret is shown once, in the answer to the
    POST that made it (never stored, never put in a cookie or a redirect)."""
    profile = request.user.profile
    which = request.POST.get("form") if request.method == "POST" else None
    profile_form = ProfileForm(request.POST if which == "profile" else None, instance=profile)
    password_form = PasswordChangeForm(request.user, request.POST if which == "password" else None)
    password_form.fields["old_password"].widget.attrs.pop("autofocus", None)  # not first on page
    if which == "profile" and profile_form.is_valid():
        profile_form.save()
        language = profile_form.cleaned_data["language"]
        with translation.override(language or translation.get_language()):
            messages.success(request, _("Your profile was saved."))
        return _language_cookie(redirect("settings"), language)
    if which == "password" and password_form.is_valid():
        user = password_form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("settings")
    new_secret, account_error = None, None
    if which in _TOKEN_FORMS:
        new_secret, account_error = _token_or_feed_action(request, which)
        if new_secret is None and account_error is None:
            anchor = "#feeds" if which.startswith("feed") else "#tokens"
            return redirect(reverse("settings") + anchor)
    context = {
        "nav": "settings",
        "profile_form": profile_form,
        "password_form": password_form,
        "bookmarklet": bookmarklet_href(request),
        "page_bookmarklet": page_bookmarklet_href(request),
        "profile_url": reverse("public-profile", args=[profile.nickname]),
        "browser": browser_available(),
        "tokens": account_door.list_tokens(request.user),
        "token_scopes": ApiToken.Scope.choices,
        "new_secret": new_secret,
        "account_error": account_error,
        "account_form": which if account_error else None,
        "feeds": _feeds(request),
        "feed_kinds": Feed.Kind.choices,
        "api_docs": reverse("api-v1:openapi-view"),
    }
    response = render(
        request, "snapshelf/accounts/settings.html", context, status=400 if account_error else 200
    )
    if new_secret:
        response["Cache-Control"] = "no-store"
    return response


def _save_from_bookmarklet(request: HttpRequest, form: PageSaveForm) -> Link:
    data = form.cleaned_data
    fields = {"tags": data["tags"], "title": data["title"]}
    if data["html"]:  # the page as the user's browser has it (behind a login, say)
        return save_page(request.user, data["url"], data["html"], **fields).link
    return save_link(request.user, data["url"], **fields).link


@app_page
@login_required
@require_http_methods(["GET", "POST"])
def bookmarklet_save(request: HttpRequest) -> HttpResponse:
    """The bookmarklet's popup: GET only shows the prefilled form, POST saves."""
    if request.method == "POST":
        form = PageSaveForm(request.POST)
        if form.is_valid():
            try:
                link = _save_from_bookmarklet(request, form)
            except quota.QuotaExceeded as exc:
                form.add_error(None, exc.message)
            else:
                context = {"link": link}
                return render(request, "snapshelf/accounts/bookmarklet_saved.html", context)
    else:
        initial = {k: request.GET.get(k, "")[:4000] for k in ("url", "title", "tags")}
        form = PageSaveForm(initial=initial)
    wants_page = request.GET.get("from") == "page" or bool(request.POST.get("html"))
    response = render(
        request, "snapshelf/accounts/bookmarklet_save.html", {"form": form, "page": wants_page}
    )
    if wants_page:
        # The page that opened this popup must keep its window reference to post its HTML
        # here; Django's default COOP (same-origin) would cut it. Only this page relaxes it.
        response["Cross-Origin-Opener-Policy"] = "unsafe-none"
    return response
