"""PostgreSQL: pg_dump of a snapshot this process exported, pg_restore to put it back.

This process opens a REPEATABLE READ transaction, exports its snapshot and lets pg_dump
dump exactly that snapshot while it keeps reading from it: the dump and what the backup
reads (blob list, counts) are the same rows. The client tools get the connection
settings through the environment, so the password never shows on a command line.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from django.db import connections, transaction

from snapshelf.services.backup.common import BackupError
from snapshelf.services.backup.databases.base import CopyCursor, DatabaseDump


class PostgresDump(DatabaseDump):
    kind = "postgresql"
    file_name = "database.pgdump"

    @contextlib.contextmanager
    def copy(self, dest: Path) -> Iterator[CopyCursor]:
        tool = _pg_tool("pg_dump")
        with (
            transaction.atomic(using=self.connection.alias),
            self.connection.cursor() as cursor,
        ):
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            self._run(
                [tool, "--format=custom", f"--snapshot={snapshot_id}", f"--file={dest}"],
                "pg_dump",
            )
            yield CopyCursor(cursor, "%s")

    def restore(self, file: Path) -> None:
        tool = _pg_tool("pg_restore")
        self._drop_all_tables()
        connections.close_all()
        self._run(
            [
                tool,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={self.connection.settings_dict['NAME']}",
                str(file),
            ],
            "pg_restore",
        )

    def _drop_all_tables(self) -> None:
        """The target was checked empty; `init` may have created the schema (and a user)."""
        quote = self.connection.ops.quote_name
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cursor.fetchall():
                cursor.execute(f"DROP TABLE IF EXISTS {quote(table)} CASCADE")
            cursor.execute(
                "SELECT sequence_name FROM information_schema.sequences "
                "WHERE sequence_schema = current_schema()"
            )
            for (seq,) in cursor.fetchall():
                cursor.execute(f"DROP SEQUENCE IF EXISTS {quote(seq)} CASCADE")

    def _run(self, argv: list[str], name: str) -> None:
        """Run pg_dump / pg_restore with this instance's connection settings."""
        sd = self.connection.settings_dict
        env = dict(os.environ)
        for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
            if sd.get(key):
                env[var] = str(sd[key])
        if sd.get("PASSWORD"):
            env["PGPASSWORD"] = str(sd["PASSWORD"])
        env["PGDATABASE"] = str(sd["NAME"])
        sslmode = (sd.get("OPTIONS") or {}).get("sslmode")
        if sslmode:
            env["PGSSLMODE"] = str(sslmode)
        proc = subprocess.run(
            [*argv, "--no-password"], env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            lines = [line for line in proc.stderr.splitlines() if line.strip()]
            raise BackupError(f"{name} failed: {lines[0] if lines else f'exit {proc.returncode}'}")


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools (Debian: "
            "postgresql-client) of the server's major version or newer"
        )
    return tool
