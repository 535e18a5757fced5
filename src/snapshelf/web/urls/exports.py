from django.urls import path

from snapshelf.web.views import exports

urlpatterns = [
    path("export/", exports.export_page, name="export"),
    path("s/<int:snapshot_id>/download", exports.snapshot_download, name="snapshot-download"),
]
