"""Database-facing fixtures: a user and a fresh blob directory per test."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "", "bob-password-123")


@pytest.fixture(autouse=True)
def fresh_blobs(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"
    return settings.SNAPSHELF_BLOB_DIR
