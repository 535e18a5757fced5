"""Tag suggestions for a link: tags the user already uses, from what the link is about.

Two sources, added up:
- the tags of its related links (snapshelf.related.links), each weighted by how
  related that link is: neighbours on the same topic tend to carry the right tags;
- the user's tag names that are among the link's distinctive terms (a page about
  Docker volumes suggests the tag "docker"), weighted by the term's TF-IDF weight.

Only existing tags are suggested (suggestions never invent a vocabulary) and never one
the link already has.
"""

from __future__ import annotations

from collections import defaultdict

from snapshelf.library.models import Link, Tag
from snapshelf.related import vectors
from snapshelf.related.links import related_links
from snapshelf.text.analyzer import analyze

#: How many related links vote.
NEIGHBOURS = 10
#: A tag named by one of the link's own terms counts this much per unit of term weight.
TERM_WEIGHT = 2.0


def link_terms(link: Link) -> dict[str, float]:
    """The link's TF-IDF term vector (unit length); {} without a document.

    The vector related articles store (snapshelf.related.vectors): related_links, called
    just before, has read or weighed it, so this is one small query instead of weighing
    every term of the page again.
    """
    return vectors.vectors_of([link.pk], vectors.cached_count()).get(link.pk, {})


def suggest_tags(link: Link, limit: int = 5) -> list[str]:
    """Up to `limit` of the owner's tag names for `link`, best first."""
    if limit <= 0 or link.pk is None:
        return []
    have = {name.casefold() for name in link.tags.values_list("name", flat=True)}
    scores: dict[str, float] = defaultdict(float)
    related = related_links(link, limit=NEIGHBOURS)
    through = Link.tags.through.objects.filter(link_id__in=[r.link.pk for r in related])
    names_of: dict[int, list[str]] = defaultdict(list)
    for link_id, name in through.values_list("link_id", "tag__name"):
        names_of[link_id].append(name)
    for r in related:
        for name in names_of[r.link.pk]:
            scores[name] += max(r.score, 0.0)
    terms = link_terms(link)
    if terms:
        for name in Tag.objects.filter(owner_id=link.owner_id).values_list("name", flat=True):
            words = analyze(name).split()
            if words and all(w in terms for w in words):
                scores[name] += TERM_WEIGHT * sum(terms[w] for w in words) / len(words)
    ranked = sorted(
        ((score, name) for name, score in scores.items() if name.casefold() not in have),
        key=lambda sn: (-sn[0], sn[1].casefold()),
    )
    return [name for score, name in ranked if score > 0][:limit]
