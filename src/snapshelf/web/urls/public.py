"""Pages anyone may see: public profiles, public links, and links at their secret share
address (unlisted or public)."""

from django.urls import path

from snapshelf.web.feeds import PublicLinksFeed
from snapshelf.web.views import public

urlpatterns = [
    path("u/<str:nickname>/", public.profile, name="public-profile"),
    path("u/<str:nickname>/<int:pk>/", public.link_page, name="public-link"),
    path("u/<str:nickname>/feed/", PublicLinksFeed(), name="public-feed"),
    path("shared/<str:secret>/", public.shared_link, name="shared-link"),
]
