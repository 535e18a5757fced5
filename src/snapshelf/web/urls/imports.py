from django.urls import path

from snapshelf.web.views import imports

urlpatterns = [
    path("import/", imports.import_page, name="import"),
    path("import/<int:pk>/", imports.import_run, name="import-run"),
]
