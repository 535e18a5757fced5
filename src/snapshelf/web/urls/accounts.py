from django.contrib.auth import views as auth_views
from django.urls import path

from snapshelf.web.views import accounts

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", accounts.settings_page, name="settings"),
]
