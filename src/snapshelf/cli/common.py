"""What every command group shares: the consoles, the one-line error, Django start-up,
the acting user, JSON output and the helpers that declare a command's parser."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from snapshelf import env


class LazyConsole:
    """A rich Console made on first use: a command that prints JSON, or nothing, never
    loads rich (~60 ms of a light command's start-up)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


err = LazyConsole(stderr=True, highlight=False)
out = LazyConsole(highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """rich's markup escaping (a title may hold "[/bold]"), loading rich on first use."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class CLIError(Exception):
    """A failure we can explain in one line."""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "snapshelf.settings")
    from snapshelf import config

    config.ensure_data_dir(config.data_dir())
    import django

    django.setup()
    from django.conf import settings

    from snapshelf.cli.lean import skip_unused_imports

    skip_unused_imports(redis_queue=bool(settings.SNAPSHELF_REDIS_URL))


def ensure_database() -> None:
    """Apply pending migrations (cheap when there are none).

    Two commands started together on a new version (a worker and `serve`, say) would
    both migrate and one would fail half-way ("duplicate column"): the one that finds
    work to do takes a lock in the data directory, looks again, and migrates alone."""
    import fcntl

    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from snapshelf import config

    def pending() -> bool:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))

    if _every_migration_file_applied() or not pending():
        return
    try:
        folder = config.data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / ".migrate.lock", "a")  # noqa: SIM115 - closed below
    except OSError:  # a read-only data directory (PostgreSQL + S3): migrate unlocked
        call_command("migrate", interactive=False, verbosity=0)
        index_existing_links()
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if pending():  # another process may have migrated while this one waited
            call_command("migrate", interactive=False, verbosity=0)
            index_existing_links()  # an upgrade may have rebuilt the index's tables


def index_existing_links() -> None:
    """Links saved before the search index existed, or whose index an upgrade's
    migration emptied, are indexed once (by `init`, and by whichever command migrates)."""
    from snapshelf.library.models import Link
    from snapshelf.search import index

    if index.doc_count() == 0 and Link.objects.exists():
        err.print("building the search index for existing links (once)…")
        err.print(f"indexed {index.rebuild()} links")
    elif index.versions_missing():
        err.print("indexing older versions for in:versions searches (once)…")
        err.print(f"indexed {index.index_versions()} older versions")


def _every_migration_file_applied() -> bool:
    """Whether every migration file on disk is recorded as applied: then nothing is
    pending, and Django's own check (which imports every migration, ~50 ms of a light
    command) is not needed. False means "look properly" (a new file, a squashed
    migration, no table yet), never "nothing to do" by mistake."""
    import importlib.util
    from pathlib import Path

    from django.apps import apps
    from django.db import DatabaseError, connection
    from django.db.migrations.loader import MigrationLoader

    on_disk = set()
    for app in apps.get_app_configs():
        module, _explicit = MigrationLoader.migrations_module(app.label)
        if module is None:
            continue
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            on_disk |= {  # the modules Django's loader takes: any but _private and ~backup
                (app.label, path.stem)
                for path in Path(folder).glob("*.py")
                if not path.name.startswith(("_", "~"))
            }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError:
        return False
    return on_disk <= applied


def resolve_user(name: str | None):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if name:
        try:
            return User.objects.get(username=name)
        except User.DoesNotExist:
            raise CLIError(f"no user named {name!r}") from None
    users = list(User.objects.order_by("id")[:2])
    if not users:
        raise CLIError("no user exists yet: run `snapshelf init` first")
    if len(users) > 1:
        raise CLIError("several users exist: pass --user NAME")
    return users[0]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


#: Where `snapshelf serve` writes the address it listens on, in the data directory.
SERVER_URL_FILE = "server-url"


def local_url(host: str, port: int) -> str:
    """The address a browser on this machine uses for a server listening on host:port
    (a wildcard address is reached through the loopback)."""
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - naming it, not binding it
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def base_url() -> str:
    """The web UI's address in links the CLI prints: SNAPSHELF_BASE_URL when set, else
    where `snapshelf serve` last listened with this data directory (its --port may differ
    from SNAPSHELF_PORT), else SNAPSHELF_HOST and SNAPSHELF_PORT."""
    from snapshelf import config

    configured = env.get("SNAPSHELF_BASE_URL")
    if configured:
        return configured
    try:
        recorded = (config.data_dir() / SERVER_URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    if recorded.startswith(("http://", "https://")):
        return recorded.rstrip("/")
    return local_url(env.get("SNAPSHELF_HOST"), env.get("SNAPSHELF_PORT"))


#: the last probe's answer (capture.browser_check.remember), in the data directory
BROWSER_STATUS_FILE = "browser-status.json"


def browser_status(*, remembered: bool = False) -> str:
    """ "available, using /usr/bin/chromium; sandboxed ..." or "off: <why>", as serve,
    status and show say it: whether the browser runs sandboxed is the operator's to know.

    `remembered`: the answer of the last probe, while nothing it depends on has changed
    (`snapshelf status`); else the probes run, and their answer is remembered."""
    from snapshelf import config
    from snapshelf.capture import browser_check
    from snapshelf.capture.sandbox import detect

    path = config.data_dir() / BROWSER_STATUS_FILE
    if remembered and (answer := browser_check.remembered(path)):
        return answer
    ok, why = browser_check.browser_available()
    answer = f"available, {why}; {detect().describe()}" if ok else f"off: {why}"
    browser_check.remember(path, answer)
    return answer


def command(
    sub: argparse._SubParsersAction, name: str, func: Callable, help_text: str, django: bool = True
) -> argparse.ArgumentParser:
    """A subcommand running `func(args)`; `django=False` for one that never starts Django."""
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(func=func, django=django)
    return p


def user_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="act as this user (needed when several users exist)")
