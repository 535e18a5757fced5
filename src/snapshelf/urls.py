"""URL layout: one module per UI area under snapshelf.web.urls."""

from django.contrib import admin
from django.urls import include, path

from snapshelf.api.main import api
from snapshelf.web.views.accounts import set_language_and_profile

urlpatterns = [
    path("", include("snapshelf.web.urls.library")),
    path("", include("snapshelf.web.urls.links")),
    path("", include("snapshelf.web.urls.tags")),
    path("", include("snapshelf.web.urls.jobs")),
    path("", include("snapshelf.web.urls.accounts")),
    path("", include("snapshelf.web.urls.public")),
    path("", include("snapshelf.web.urls.replay")),
    path("", include("snapshelf.web.urls.share")),
    path("", include("snapshelf.web.urls.exports")),
    path("", include("snapshelf.web.urls.imports")),
    path("", include("snapshelf.web.urls.highlights")),
    path("", include("snapshelf.web.urls.reading")),
    path("accounts/oidc/", include("snapshelf.accounts.oidc")),
    path("i18n/setlang/", set_language_and_profile, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
