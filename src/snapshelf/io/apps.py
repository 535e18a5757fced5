from django.apps import AppConfig


class IoConfig(AppConfig):
    name = "snapshelf.io"
    label = "transfer"  # "io" would read as the standard library's in migrations
    verbose_name = "Import and export"
    # The task that runs an uploaded import (io.tasks) is not loaded here: the process
    # that queues one imports it, and workers load every task module (cli.instance).
