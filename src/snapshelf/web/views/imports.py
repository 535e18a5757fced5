"""The import page: upload a file, follow the import, read its report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from snapshelf.io.models import ImportRun
from snapshelf.io.runs import start_import
from snapshelf.web.archive import app_page
from snapshelf.web.forms.imports import ImportForm


@app_page
@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = start_import(
            request.user,
            form.cleaned_data["file"],
            tags=form.cleaned_data["tags"],
            capture=form.cleaned_data["capture"],
        )
        return redirect("import-run", pk=run.pk)
    runs = ImportRun.objects.filter(owner=request.user)[:10]
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "runs": runs, "nav": "settings"}
    return render(request, "snapshelf/imports/import.html", context, status=status)


@app_page
@login_required
@require_GET
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk, owner=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "snapshelf/imports/_run.html", {"run": run})
    return render(request, "snapshelf/imports/run.html", {"run": run, "nav": "settings"})
