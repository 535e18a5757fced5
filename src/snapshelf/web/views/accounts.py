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
from django.utils.html import escapejs
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from snapshelf.accounts.forms import RateLimitedAuthenticationForm
from snapshelf.accounts.models import Profile
from snapshelf.capture.browser_service import browser_available
from snapshelf.library.models import Link
from snapshelf.services import quota
from snapshelf.services.links import save_link, save_page
from snapshelf.web.forms.accounts import (
    PageSaveForm,
    ProfileForm,
    SignupForm,
)

#: Size of the bookmarklet's popup window.
POPUP_FEATURES = "width=520,height=620,resizable=yes,scrollbars=yes"


class SnapshelfLoginView(LoginView):
    """Django's log-in (safe ?next= handling) with the failed-attempt limit."""

    authentication_form = RateLimitedAuthenticationForm
    template_name = "registration/login.html"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Open sign-up; 404 when the operator closed it (SNAPSHELF_OPEN_SIGNUP=0)."""
    if not settings.SNAPSHELF_OPEN_SIGNUP:
        raise Http404("sign-up is closed")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
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


def page_bookmarklet_href(request: HttpRequest) -> str:
    """Like bookmarklet_href, but the popup also receives the page's HTML as shown (for
    pages behind a login). The HTML goes only to Snapshelf's origin, by postMessage, once
    the popup says it is ready; the popup accepts it only for the page's own origin."""
    save = request.build_absolute_uri(reverse("bookmarklet-save"))
    target, origin = escapejs(save), escapejs(request.build_absolute_uri("/").rstrip("/"))
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
    target = escapejs(request.build_absolute_uri(reverse("bookmarklet-save")))
    return (
        "javascript:(function(){"
        f"var u='{target}?url='+encodeURIComponent(location.href)"
        "+'&title='+encodeURIComponent(document.title);"
        f"var w=window.open(u,'snapshelf','{POPUP_FEATURES}');"
        "if(!w){location.href=u;}"
        "})();"
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Profile, language and password; each form posts on its own (hidden `form` field)."""
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
    context = {
        "nav": "settings",
        "profile_form": profile_form,
        "password_form": password_form,
        "bookmarklet": bookmarklet_href(request),
        "page_bookmarklet": page_bookmarklet_href(request),
        "profile_url": reverse("public-profile", args=[profile.nickname]),
        "browser": browser_available(),
    }
    return render(request, "snapshelf/accounts/settings.html", context)


def _save_from_bookmarklet(request: HttpRequest, form: PageSaveForm) -> Link:
    data = form.cleaned_data
    fields = {"tags": data["tags"], "title": data["title"]}
    if data["html"]:  # the page as the user's browser has it (behind a login, say)
        return save_page(request.user, data["url"], data["html"], **fields).link
    return save_link(request.user, data["url"], **fields).link


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
