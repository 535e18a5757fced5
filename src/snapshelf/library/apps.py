from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "snapshelf.library"
    label = "library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from snapshelf.library import stamp  # noqa: F401  (versions libraries for caches)
