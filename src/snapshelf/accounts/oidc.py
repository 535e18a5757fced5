"""Single sign-on with an OpenID Connect provider (mozilla-django-oidc), off by default.

Configured by SNAPSHELF_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET (settings.SNAPSHELF_OIDC);
the provider's endpoints come from its discovery document
(`<issuer>/.well-known/openid-configuration`), fetched when someone signs in and kept for
an hour. The flow is the authorization code flow with PKCE, a state and a nonce kept in
the session, and an RS256-signed ID token checked against the provider's keys, its
issuer and our client id.

Who the signed-in person is, in this order:

1. the account already linked to this provider's subject (`OidcIdentity`);
2. else the one active account whose e-mail address equals the provider's, only when
   the provider says the address is verified (`email_verified: true`): it is linked;
3. else, when SNAPSHELF_OIDC_CREATE_USERS is on (the default), a new account (user name
   from `preferred_username`, else the e-mail's local part, made unique; no password);
4. else nobody: the sign-in is refused.

A user name is never matched on its own: the provider's "admin" is not Snapshelf's.

The requests to the provider do not go through the capture egress guard: the provider is
the operator's own identity server, often on a private network the guard refuses. Its
address comes from the operator's configuration, never from a user.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from snapshelf.accounts.models import OidcIdentity

#: Seconds the provider's discovery document is kept.
DISCOVERY_TTL = 3600
#: Seconds any request to the provider may take.
TIMEOUT = 10
SCOPES = "openid email profile"
CALLBACK = "oidc-callback"

_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


class ProviderError(Exception):
    """The provider's discovery document could not be read or is not usable."""


def config() -> dict[str, Any]:
    return getattr(settings, "SNAPSHELF_OIDC", None) or {}


def enabled() -> bool:
    c = config()
    return bool(c.get("issuer") and c.get("client_id"))


def provider_name() -> str:
    """What the log-in page's button names ("" when single sign-on is off)."""
    return (config().get("name") or "OpenID Connect") if enabled() else ""


def discovery() -> dict[str, Any]:
    """The provider's discovery document (cached); ProviderError when unusable."""
    issuer = config()["issuer"].rstrip("/")
    with _lock:
        cached = _discovered.get(issuer)
        if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
            return cached[1]
    try:
        response = requests.get(
            issuer + "/.well-known/openid-configuration", timeout=TIMEOUT, allow_redirects=False
        )
        response.raise_for_status()
        doc = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"cannot read the discovery document of {issuer}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("issuer", "").rstrip("/") != issuer:
        raise ProviderError(f"the discovery document of {issuer} names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        if not isinstance(doc.get(key), str) or not doc[key].startswith(("https://", "http://")):
            raise ProviderError(f"the discovery document of {issuer} has no {key}")
    with _lock:
        _discovered[issuer] = (time.monotonic(), doc)
    return doc


def forget_discovery() -> None:
    with _lock:
        _discovered.clear()


_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, answered from SNAPSHELF_OIDC and discovery."""
    if name in _ENDPOINTS:
        return discovery()[_ENDPOINTS[name]]
    fixed = {
        "OIDC_RP_CLIENT_ID": config().get("client_id", ""),
        "OIDC_RP_CLIENT_SECRET": config().get("client_secret", ""),
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": SCOPES,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": TIMEOUT,
        "OIDC_VERIFY_SSL": True,
        "OIDC_PROXY": None,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_CREATE_USER": bool(config().get("create_users", True)),
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK,
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_VERIFY_KID": True,
        "OIDC_RP_IDP_SIGN_KEY": None,
    }
    if name in fixed:
        return fixed[name]
    return import_from_settings(name, *default)


def _username_from(claims: dict[str, Any]) -> str:
    """A free user name from the provider's preferred_username or e-mail."""
    User = get_user_model()
    wanted = str(claims.get("preferred_username") or "")
    if not wanted and claims.get("email"):
        wanted = str(claims["email"]).split("@", 1)[0]
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class Backend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with Snapshelf's rules (see the module's docstring).

    Endpoints are read only when someone signs in with the provider, so the password
    log-in (which asks every backend) never waits on the provider."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    def __getattr__(self, name: str) -> Any:  # the OIDC_* the parent reads from self
        if name.startswith("OIDC_"):
            return oidc_setting(name, None)
        raise AttributeError(name)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not enabled() or "nonce" not in kwargs:
            return None  # not the callback (a password log-in, say)
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The parent checks the signature (the provider's key, RS256) and the nonce; the
        token must also come from our issuer and be meant for our client."""
        payload = super().verify_token(token, **kwargs)
        if "nonce" not in kwargs:
            return payload  # a signed userinfo answer: no iss/aud to check
        issuer = config()["issuer"].rstrip("/")
        if str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if config()["client_id"] not in audiences:
            raise SuspiciousOperation("ID token for another client")
        if not payload.get("sub"):
            raise SuspiciousOperation("ID token without a subject")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]):
        claims = self.get_userinfo(access_token, id_token, payload)
        subject = str(payload["sub"])
        if str(claims.get("sub", subject)) != subject:
            raise SuspiciousOperation("userinfo is about another subject")
        issuer = config()["issuer"].rstrip("/")
        with transaction.atomic():
            identity = (
                OidcIdentity.objects.select_related("user")
                .filter(issuer=issuer, subject=subject)
                .first()
            )
            user = identity.user if identity else self._link_or_create(claims)
            if user is None or not user.is_active:
                return None
            if identity is None:
                try:
                    with transaction.atomic():
                        identity = OidcIdentity.objects.create(
                            user=user, issuer=issuer, subject=subject
                        )
                except IntegrityError:  # a second callback won the race
                    return None
            identity.last_login = timezone.now()
            identity.save(update_fields=["last_login"])
        return user

    def _link_or_create(self, claims: dict[str, Any]):
        email = str(claims.get("email") or "").strip()
        verified = claims.get("email_verified") is True
        if email and verified:
            same = list(self.UserModel.objects.filter(email__iexact=email, is_active=True)[:2])
            if len(same) == 1:
                return same[0]
            if len(same) > 1:
                return None  # which one? refuse rather than guess
        if not config().get("create_users", True):
            return None
        user = self.UserModel.objects.create_user(
            _username_from(claims), email=email if verified else ""
        )
        return user  # create_user without a password: it cannot log in with one


class StartView(OIDCAuthenticationRequestView):
    """GET /accounts/oidc/start/?next=…: off to the provider (404 when not configured)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("single sign-on is off")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderError:
            messages.error(request, _("The sign-in service cannot be reached; try again later."))
            return HttpResponseRedirect(reverse("login"))
        self.OIDC_RP_CLIENT_ID = config()["client_id"]
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """GET /accounts/oidc/callback/: the provider sends the browser back here. A state
    the session did not start is refused (400); so is an ID token with a wrong nonce."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("single sign-on is off")
        try:
            return super().get(request)
        except (ProviderError, requests.RequestException):
            messages.error(request, _("The sign-in service cannot be reached; try again later."))
            return HttpResponseRedirect(reverse("login"))

    @property
    def success_url(self) -> str:
        return self.request.session.get("oidc_login_next") or resolve_url(
            settings.LOGIN_REDIRECT_URL
        )

    def login_failure(self) -> HttpResponse:
        name = {"name": provider_name()}
        if self.request.GET.get("error"):
            text = _("%(name)s did not sign you in.") % name
        else:
            text = _("Signing in with %(name)s did not work: no account here matches yours.") % name
        messages.error(self.request, text)
        return HttpResponseRedirect(reverse("login"))


def start_url(next_url: str = "") -> str:
    url = reverse("oidc-start")
    return url + ("?next=" + quote(next_url, safe="/") if next_url else "")


urlpatterns = [
    path("start/", StartView.as_view(), name="oidc-start"),
    path("callback/", CallbackView.as_view(), name=CALLBACK),
]
