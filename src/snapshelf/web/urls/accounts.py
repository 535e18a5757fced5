"""Log-in/out, sign-up, settings (API tokens, private feeds), the bookmarklet's save page
and the private feeds themselves."""

from django.contrib.auth import views as auth_views
from django.urls import path

from snapshelf.web.feeds import PrivateLinksFeed
from snapshelf.web.views import accounts

urlpatterns = [
    path("accounts/login/", accounts.SnapshelfLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("settings/", accounts.settings_page, name="settings"),
    path("save/", accounts.bookmarklet_save, name="bookmarklet-save"),
    path("feeds/<int:feed_id>/<str:secret>/", PrivateLinksFeed(), name="private-feed"),
]
