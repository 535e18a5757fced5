from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The search index as a Django app: its tables come from migrations, its upkeep
    from signals (see snapshelf.search.index)."""

    name = "snapshelf.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from snapshelf.search import signals  # noqa: F401
