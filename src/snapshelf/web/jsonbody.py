"""The JSON body of the small endpoints the page scripts call (highlights, reading
progress): one size cap and one error, so each view answers a bad body alike (400)."""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.utils.translation import gettext as _


class BadRequest(ValueError):
    """The body is not what the endpoint takes; the message is for the user."""


def json_body(request: HttpRequest, max_bytes: int) -> dict:
    """The request's JSON object ({} for an empty body)."""
    if len(request.body) > max_bytes:
        raise BadRequest(_("The request is too large."))
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(_("The request is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BadRequest(_("The request is not valid JSON."))
    return data
