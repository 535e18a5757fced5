"""The installable web app: manifest and share target."""

from django.urls import path

from snapshelf.web.views import share

urlpatterns = [
    path("manifest.webmanifest", share.manifest, name="webmanifest"),
    path("share/", share.share_target, name="share-target"),
]
