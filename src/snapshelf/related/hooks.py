"""What the search index calls after its writes, registered by RelatedConfig.ready().

Light on purpose: every process registers these at start, and the modules they call
load NumPy and SciPy (half a second), so those load on the first write instead of at
every start of a command or web process.
"""

from __future__ import annotations


def reindexed(link_ids: list[int]) -> None:
    """The rewritten links' term vectors are stale: they go, in the index's transaction.

    Links that have none (an import's merges, links never asked for related articles)
    cost one indexed probe each table, and the modules behind the vectors stay unloaded."""
    from snapshelf.search.models import RelatedVector, TopicVector

    if not any(
        m.objects.filter(link_id__in=link_ids).exists() for m in (RelatedVector, TopicVector)
    ):
        return
    from snapshelf.related import vectors

    vectors.indexed(link_ids)


def rebuilt() -> None:
    """A rebuilt index: every vector is weighed again and the topic model refitted."""
    from snapshelf.related import topic_store

    topic_store.refit_after_rebuild()
