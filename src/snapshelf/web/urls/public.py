"""Pages anyone may see: public profiles and shared (public or unlisted) links."""

from django.urls import path

from snapshelf.web.feeds import PublicLinksFeed
from snapshelf.web.views import public

urlpatterns = [
    path("u/<str:nickname>/", public.profile, name="public-profile"),
    path("u/<str:nickname>/<int:pk>/", public.link_page, name="public-link"),
    path("u/<str:nickname>/feed/", PublicLinksFeed(), name="public-feed"),
]
