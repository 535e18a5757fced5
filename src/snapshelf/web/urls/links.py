from django.urls import path

from snapshelf.web.views import links
from snapshelf.web.views import suggestions as tag_suggestions

urlpatterns = [
    path("links/<int:pk>/", links.link_detail, name="link"),
    path("links/<int:pk>/status", links.link_status, name="link-status"),
    path("links/<int:pk>/full", links.link_archive_full, name="link-archive-full"),
    path("links/<int:pk>/edit", links.link_edit, name="link-edit"),
    path("links/<int:pk>/read", links.link_read, name="link-read"),
    path("links/<int:pk>/seen", links.link_seen, name="link-seen"),
    path("links/<int:pk>/resnapshot", links.link_resnapshot, name="link-resnapshot"),
    path("links/<int:pk>/watch", links.link_watch, name="link-watch"),
    path("links/<int:pk>/share/new", links.link_share_new, name="link-share-new"),
    path("links/<int:pk>/delete", links.link_delete, name="link-delete"),
    path("links/<int:pk>/diff", links.link_diff, name="link-diff"),
    path(
        "links/<int:pk>/tag-suggestions",
        tag_suggestions.link_tag_suggestions,
        name="link-tag-suggestions",
    ),
    path("links/<int:pk>/tags/add", tag_suggestions.link_tag_accept, name="link-tag-accept"),
    path(
        "links/<int:pk>/v/<int:snapshot_id>/screenshot",
        links.snapshot_screenshot,
        name="snapshot-screenshot",
    ),
    path("links/<int:pk>/v/<int:snapshot_id>/pdf", links.snapshot_pdf, name="snapshot-pdf"),
    path("links/<int:pk>/v/<int:snapshot_id>/delete", links.version_delete, name="version-delete"),
    path("s/<int:snapshot_id>/", links.snapshot_detail, name="snapshot"),
]
