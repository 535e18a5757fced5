"""Who keeps data derived from the index documents (related articles' term vectors and
topic model) registers here, from an AppConfig.ready().

Apart from the index itself so that registering loads nothing: the index (its
backends, analyzer and writers) loads on the first write, not in every process's
start-up. snapshelf.search.writing calls the hooks in the transaction of the write.
"""

from __future__ import annotations

from collections.abc import Callable

ReindexHook = Callable[[list[int]], None]
RebuildHook = Callable[[], None]
reindexed: list[ReindexHook] = []
rebuilt: list[RebuildHook] = []


def on_reindexed(hook: ReindexHook) -> None:
    """Call `hook(link_ids)` after these links' documents were rewritten, in the same
    transaction (registered once)."""
    if hook not in reindexed:
        reindexed.append(hook)


def on_rebuilt(hook: RebuildHook) -> None:
    """Call `hook()` after `rebuild`, once every document is in (final statistics)."""
    if hook not in rebuilt:
        rebuilt.append(hook)
