from django.apps import AppConfig


class IoConfig(AppConfig):
    name = "snapshelf.io"
    label = "transfer"  # "io" would read as the standard library's in migrations
    verbose_name = "Import and export"

    def ready(self) -> None:
        # the task that runs an uploaded import on a worker
        from snapshelf.io import tasks  # noqa: F401
