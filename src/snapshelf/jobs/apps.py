from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "snapshelf.jobs"
    label = "jobs"
