"""Log-in/out, sign-up, settings and the bookmarklet's save page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from snapshelf.web.views import accounts

urlpatterns = [
    path("accounts/login/", accounts.SnapshelfLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("settings/", accounts.settings_page, name="settings"),
    path("save/", accounts.bookmarklet_save, name="bookmarklet-save"),
]
