"""The reader's highlight endpoints (JSON); every route is under its link."""

from django.urls import path

from snapshelf.web.views import highlights

urlpatterns = [
    path("links/<int:pk>/highlights/", highlights.link_highlights, name="link-highlights"),
    path("links/<int:pk>/highlights/edit", highlights.highlight_edit, name="highlight-edit"),
    path("links/<int:pk>/highlights/delete", highlights.highlight_delete, name="highlight-delete"),
]
