from django.urls import path

from snapshelf.web.views import replay

urlpatterns = [
    path("healthz", replay.healthz, name="healthz"),
    path("s/<int:snapshot_id>/singlefile", replay.download_singlefile, name="download-singlefile"),
    path("s/<int:snapshot_id>/original", replay.download_original, name="download-original"),
    path("a/<str:token>/", replay.archive_root, name="archive-root"),
    path("a/<str:token>/r/<str:key>", replay.archive_resource, name="archive-resource"),
]
