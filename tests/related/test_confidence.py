"""Related articles and tag suggestions say nothing rather than noise (issue 21.7), on
real labelled posts: an unrelated small library gets an empty panel, a labelled one
gets right answers, and the reasons shown are words, in the reader's language."""

from __future__ import annotations

import random
import sys
from functools import cache

import pytest
from django.core.cache import cache as django_cache
from django.utils import translation

from snapshelf.related.links import related_links
from snapshelf.related.suggest import suggest_tags
from snapshelf.text.analyzer import is_cjk
from snapshelf.text.stopwords import CHINESE
from tests.library.conftest import user  # noqa: F401
from tests.paths import PROJECT_ROOT
from tests.search.test_related import page

pytestmark = pytest.mark.django_db

CSS = (
    "A CSS selector picks the elements a rule applies to. The ::first-line pseudo-element "
    "styles the first line of a paragraph; combine it with a class selector to style only "
    "some paragraphs. Like other pseudo-elements it takes a limited set of properties: "
    "font, color, background and spacing. "
) * 3


@cache
def corpus(name: str) -> dict[str, list[tuple[str, str, str]]]:
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    import related_quality

    docs = related_quality.newsgroups() if name == "20ng" else related_quality.sina()
    by_label: dict[str, list] = {}
    for doc in docs:
        by_label.setdefault(doc[0], []).append(doc)
    return by_label


def test_an_unrelated_small_library_gets_no_related_and_no_suggestions(user):  # noqa: F811
    css = page(user, "css", "CSS selectors: styling the first line of a paragraph", CSS)
    rng = random.Random(3)
    for n, (label, posts) in enumerate(sorted(corpus("20ng").items())):
        _label, title, body = rng.choice(posts)
        page(user, f"ng{n}", title, body, tags=(label.rsplit(".", 1)[-1],))
    assert related_links(css) == []
    assert suggest_tags(css) == []


def test_a_labelled_small_library_gets_right_answers_and_word_reasons(user):  # noqa: F811
    rng = random.Random(5)
    links = []
    for label, posts in sorted(corpus("sina").items())[:3]:
        for n, (_label, title, body) in enumerate(rng.sample(posts, 12)):
            links.append((label, page(user, f"{label}-{n}", title, body[:3000])))
    label_of = {link.pk: label for label, link in links}
    right = shown = answered = 0
    reasons = []
    for label, link in links:
        found = related_links(link)
        answered += bool(found)
        shown += len(found)
        right += sum(label_of[r.link.pk] == label for r in found)
        reasons += [r.reason for r in found]
    assert answered >= 0.75 * len(links)
    assert right / shown >= 0.85
    terms = [
        t.strip()
        for reason in reasons
        for part in reason.split(" · ")
        if part.startswith("Shared terms: ")
        for t in part.removeprefix("Shared terms: ").split(",")
    ]
    assert terms
    for term in terms:
        assert not any(c.isdigit() for c in term), term
        if is_cjk(term[0]):
            assert len(term) >= 2 and term[0] not in CHINESE and term[-1] not in CHINESE, term


def test_reasons_are_written_in_the_readers_language(user):  # noqa: F811
    a = page(user, "a", "Docker volumes", "Docker volumes keep container data safe. " * 5)
    page(user, "b", "Docker volume backup", "Back up a docker volume of container data. " * 5)
    page(user, "c", "Sourdough", "Flour, water and salt make a sourdough loaf. " * 5)
    page(user, "d", "Rockets", "The rocket launch was delayed by high winds. " * 5)
    django_cache.clear()
    with translation.override("en"):
        assert related_links(a)[0].reason.startswith("Shared terms: ")
    with translation.override("zh-hans"):  # the cached result, shown to a Chinese reader
        reason = related_links(a)[0].reason
    assert "Shared terms" not in reason and "docker" in reason
