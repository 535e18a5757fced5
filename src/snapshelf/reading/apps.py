from django.apps import AppConfig


class ReadingConfig(AppConfig):
    name = "snapshelf.reading"
    label = "reading"
    default_auto_field = "django.db.models.BigAutoField"
