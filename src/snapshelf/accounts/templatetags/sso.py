"""{% load sso %}{% sso_provider as name %}: the single sign-on provider's name for the
log-in page's button ("" when single sign-on is off)."""

from django import template

from snapshelf.accounts import oidc

register = template.Library()


@register.simple_tag
def sso_provider() -> str:
    return oidc.provider_name()
