from django.urls import path

from snapshelf.web.views import reading

urlpatterns = [
    path("links/<int:pk>/progress", reading.save_progress, name="link-progress"),
    path("settings/reader", reading.reader_settings, name="reader-settings"),
]
