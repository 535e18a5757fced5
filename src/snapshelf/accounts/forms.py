"""Log-in forms under the failed-attempt limit: the site's and the admin's."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import ngettext

from snapshelf.accounts import ratelimit


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Refuses attempts without checking the password once too many failed."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        address = ratelimit.client_address(self.request)
        block = ratelimit.blocked(username, address)
        if block is not None:
            raise forms.ValidationError(
                ngettext(
                    "Too many failed attempts. Try again in %(minutes)d minute.",
                    "Too many failed attempts. Try again in %(minutes)d minutes.",
                    block.minutes,
                )
                % {"minutes": block.minutes},
                code="rate_limited",
            )
        try:
            data = super().clean()
        except forms.ValidationError:
            ratelimit.record_failure(username, address)
            raise
        ratelimit.clear_username(username, address)
        return data


class RateLimitedAdminAuthenticationForm(RateLimitedAuthenticationForm, AdminAuthenticationForm):
    """The admin's log-in (staff only) under the same limit, so /admin/ is no way around it."""
