from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from snapshelf.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("s/<int:snapshot_id>/", views.snapshot_detail, name="snapshot"),
    path("s/<int:snapshot_id>/singlefile", views.download_singlefile, name="download-singlefile"),
    path("s/<int:snapshot_id>/original", views.download_original, name="download-original"),
    path("a/<str:token>/", views.archive_root, name="archive-root"),
    path("a/<str:token>/r/<str:key>", views.archive_resource, name="archive-resource"),
    path("admin/", admin.site.urls),
]
