"""The tags page: counts, rename, merge, delete."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def tag_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("tags: not built yet", content_type="text/plain")
