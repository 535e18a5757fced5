from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "snapshelf.jobs"
    label = "jobs"

    def ready(self) -> None:
        # Deleted snapshots free their blobs (a pre_delete hook). Only the hook loads
        # here: the queue and its tasks (and through them the capture stack) load where
        # they are used, so a command that lists rows never pays for them.
        from snapshelf.jobs import signals  # noqa: F401
