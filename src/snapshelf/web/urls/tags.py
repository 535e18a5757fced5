from django.urls import path

from snapshelf.web.views import tags

urlpatterns = [
    path("tags/", tags.tag_list, name="tags"),
]
