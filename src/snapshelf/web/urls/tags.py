from django.urls import path

from snapshelf.web.views import tags

urlpatterns = [
    path("tags/", tags.tag_list, name="tags"),
    path("tags/suggest", tags.tag_suggest, name="tag-suggest"),
    path("tags/merge", tags.tags_merge, name="tags-merge"),
    path("tags/<int:pk>/rename", tags.tag_rename, name="tag-rename"),
    path("tags/<int:pk>/delete", tags.tag_delete, name="tag-delete"),
]
