from django.urls import path

from snapshelf.web.views import library

urlpatterns = [
    path("", library.home, name="home"),
    path("links/add", library.link_add, name="link-add"),
    path("links/bulk", library.links_bulk, name="links-bulk"),
    path("links/<int:pk>/row", library.link_row, name="link-row"),
    path("links/<int:pk>/favicon", library.link_favicon, name="link-favicon"),
    path("theme", library.set_theme, name="set-theme"),
]
