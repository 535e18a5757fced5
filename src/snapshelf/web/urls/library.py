from django.urls import path

from snapshelf.web.views import library

urlpatterns = [
    path("", library.home, name="home"),
]
