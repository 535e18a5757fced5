"""The installable web app: its manifest, and the share target a phone's share sheet
opens ("Share → Snapshelf").

The share target is a GET (the operating system sends no CSRF token, and no GET may
write): it picks the shared address and hands it to the bookmarklet's save page, which
shows it prefilled behind the log-in and saves it through the service door on POST.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

#: Sharing apps often put the address inside the text ("Look at this https://…").
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_MAX = 4000


def shared_url(url: str, text: str) -> str:
    """The address that was shared: the `url` field, else the first one in `text`."""
    url = url.strip()
    if url:
        return url[:_MAX]
    found = _URL_IN_TEXT.search(text)
    return found.group(0).rstrip(".,;:!?)")[:_MAX] if found else ""


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installable, with a share target for links."""
    icon = static("snapshelf/favicon.svg")
    data = {
        "name": "Snapshelf",
        "short_name": "Snapshelf",
        "id": "/",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#ffffff",
        "icons": [
            {"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
        "share_target": {
            "action": reverse("share-target"),
            "method": "GET",
            "params": {"title": "title", "text": "text", "url": "url"},
        },
    }
    response = HttpResponse(json.dumps(data), content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
@require_GET
def share_target(request: HttpRequest) -> HttpResponse:
    """Open the save page with what was shared; nothing is saved until the user confirms."""
    url = shared_url(request.GET.get("url", ""), request.GET.get("text", "")[:_MAX])
    title = " ".join(request.GET.get("title", "").split())[:500]
    query = urlencode({k: v for k, v in {"url": url, "title": title}.items() if v})
    return redirect(reverse("bookmarklet-save") + (f"?{query}" if query else ""))
