from django.urls import path

from snapshelf.web.views import links

urlpatterns = [
    path("s/<int:snapshot_id>/", links.snapshot_detail, name="snapshot"),
]
