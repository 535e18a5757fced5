from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "snapshelf.web"
    label = "web"
