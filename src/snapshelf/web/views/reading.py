"""The reading side on the web: the reader's progress (a small JSON endpoint the reader
script calls, debounced, while the owner scrolls) and the reader's typography settings
(a plain form, which the reader script also sends in the background)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from snapshelf.library.models import Link
from snapshelf.services import reading
from snapshelf.web.jsonbody import BadRequest, json_body

#: A progress report is two numbers; anything bigger is not one.
MAX_BODY = 1024


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _payload(request: HttpRequest) -> dict:
    """The JSON body ({"fraction": 0.42, "offset": 1234}) or the form fields."""
    if request.content_type == "application/json":
        return json_body(request, MAX_BODY)
    return request.POST.dict()


@login_required
@require_POST
def save_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """Remember how far the owner read link `pk`; 404 for anyone else's link, 400 with a
    message for a value that is not a fraction between 0 and 1."""
    try:
        data = _payload(request)
        saved = reading.save_progress(request.user, pk, data.get("fraction"), data.get("offset", 0))
    except Link.DoesNotExist:
        raise Http404("no such link") from None
    except (BadRequest, reading.BadProgress) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        {"fraction": saved.fraction, "offset": saved.offset, "marked_read": saved.marked_read}
    )


@login_required
@require_POST
def reader_settings(request: HttpRequest) -> HttpResponse:
    """Save the reader's font size, font and line width for this user. The reader's
    script asks for JSON; the settings page's form is sent back where it came from."""
    data = request.POST
    try:
        chosen = reading.set_reader_settings(
            request.user,
            font_size=data.get("font_size") or None,
            font=data.get("font") or None,
            width=data.get("width") or None,
        )
    except reading.BadSettings:
        message = _("Choose a font size, font and line width from the lists.")
        if _wants_json(request):
            return JsonResponse({"error": message}, status=400)
        messages.error(request, message)
        return redirect(_back(request))
    if _wants_json(request):
        return JsonResponse(
            {"font_size": chosen.font_size, "font": chosen.font, "width": chosen.width}
        )
    messages.success(request, _("Your reading settings were saved."))
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("settings") + "#reading"
