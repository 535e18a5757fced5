"""URL layout: one module per UI area under snapshelf.web.urls."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("snapshelf.web.urls.library")),
    path("", include("snapshelf.web.urls.links")),
    path("", include("snapshelf.web.urls.tags")),
    path("", include("snapshelf.web.urls.accounts")),
    path("", include("snapshelf.web.urls.public")),
    path("", include("snapshelf.web.urls.replay")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
