from django.apps import AppConfig


class RelatedConfig(AppConfig):
    """Related articles as a Django app: no tables of its own (its vectors and topic
    model live in the search app's tables); it keeps them in step with the index."""

    name = "snapshelf.related"
    label = "related"

    def ready(self) -> None:
        from snapshelf.related import hooks
        from snapshelf.search.hooks import on_rebuilt, on_reindexed

        # an index write drops the rewritten links' vectors in its own transaction;
        # a rebuild weighs every vector again and fits a new topic model
        on_reindexed(hooks.reindexed)
        on_rebuilt(hooks.rebuilt)
