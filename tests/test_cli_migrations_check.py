"""Commands skip Django's migration plan when every migration file is recorded as
applied (cli.common._every_migration_file_applied), and still find pending work."""

from __future__ import annotations

import pytest
from django.db import connection

from snapshelf.cli.common import _every_migration_file_applied, ensure_database

pytestmark = pytest.mark.django_db


def test_a_migrated_database_needs_no_plan():
    assert _every_migration_file_applied()


def test_a_file_not_recorded_as_applied_means_look_properly():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app, name FROM django_migrations WHERE app = 'library' ORDER BY name DESC"
        )
        app, name = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])
    assert not _every_migration_file_applied()


@pytest.mark.django_db(transaction=True)
def test_pending_migrations_are_still_applied():
    """The newest migration of an app forgotten (its row gone) is pending again, and
    ensure_database applies it: the fast path did not hide it."""
    from django.core.management import call_command

    call_command("migrate", "sessions", "zero", verbosity=0)  # a small app: undone for real
    assert not _every_migration_file_applied()
    ensure_database()
    assert _every_migration_file_applied()
    assert "django_session" in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)
def test_the_command_that_migrates_an_upgrade_refills_an_emptied_index(django_user_model):
    """An upgrade whose migration rebuilt the index's tables left search empty until
    `init` or `reindex` ran; whichever command applies the migrations now refills it."""
    from django.core.management import call_command

    from snapshelf.library.records import add_link
    from snapshelf.search import index

    owner = django_user_model.objects.create_user("alice", "", "alice-password-123")
    link, _snapshot = add_link(owner, "https://example.org/kept")
    link.title = "Quarterly harvest report"
    link.save()
    index.clear()  # what the upgrade's migration left
    assert index.doc_count() == 0
    call_command("migrate", "sessions", "zero", verbosity=0)  # and it is pending

    ensure_database()

    assert index.doc_count() == 1
    assert [h.link_id for h in index.search(owner, "harvest").hits] == [link.pk]


def test_a_migration_file_with_any_name_counts(tmp_path, settings):
    """Django's loader takes any module of the package not named _private or ~backup:
    a migration named without a number must not be missed by the fast check."""
    from django.db.migrations.loader import MigrationLoader

    package = tmp_path / "extra_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "add_something.py").write_text("")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        settings.MIGRATION_MODULES = {"sessions": "extra_migrations"}
        assert MigrationLoader.migrations_module("sessions")[0] == "extra_migrations"
        assert not _every_migration_file_applied()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("extra_migrations", None)
