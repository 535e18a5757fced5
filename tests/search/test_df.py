"""Document frequencies for many terms at once (related articles ask for thousands:
20,000 in one UNION ALL overflowed PostgreSQL's parser stack)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from snapshelf.search import index
from tests.search.test_versions import capture_text

pytestmark = pytest.mark.django_db


def test_df_of_thousands_of_terms(db):
    user = get_user_model().objects.create_user("carol", "", "carol-password-123")
    capture_text(user, "https://example.org/a", "alpha beta")
    capture_text(user, "https://example.org/b", "alpha gamma")
    terms = ["alpha", "beta", *(f"w{i}" for i in range(20000)), "gamma"]
    got = index.df(terms)
    assert len(got) == len(terms)
    assert (got["alpha"], got["beta"], got["gamma"], got["w17"]) == (2, 1, 1, 0)
