from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "snapshelf.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from snapshelf.accounts import signals  # noqa: F401
