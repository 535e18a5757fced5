from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "snapshelf.jobs"
    label = "jobs"

    def ready(self) -> None:
        # The tasks module also frees the blobs of deleted snapshots (a pre_delete hook
        # that hands their bytes to a task), so it is loaded in every process.
        from snapshelf.jobs import tasks  # noqa: F401
