"""The library (home): add box, list, filters, bulk actions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from snapshelf.library.services import links_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    links = links_for(request.user).select_related("latest_snapshot").prefetch_related("tags")[:200]
    return render(request, "snapshelf/home.html", {"links": links})
