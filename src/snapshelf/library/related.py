"""Related articles (相关文章推荐): the interface the link page and public pages call.

The search issue replaces the scoring with its index (DESIGN.md §8); callers and
tests depend only on `related_links` and `RelatedLink`.
"""

from __future__ import annotations

from dataclasses import dataclass

from snapshelf.library.models import Link


@dataclass(frozen=True)
class RelatedLink:
    link: Link
    score: float
    reason: str  # short, human-readable: shared tags or distinctive terms


def related_links(link: Link, *, public_only: bool = False, limit: int = 5) -> list[RelatedLink]:
    """Other links of the same owner most related to `link`, best first.

    With `public_only`, only the owner's public links are candidates (public pages).
    """
    return []
