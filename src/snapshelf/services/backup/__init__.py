"""Backup and restore of a whole instance: its database and every blob the database knows.

A backup is a directory:

    manifest.json          written last, atomically: its presence marks a complete backup
    database.sqlite3       SQLite's online backup of the live database, or
    database.pgdump        `pg_dump --format=custom` on PostgreSQL
    blobs/ab/<sha256>      the raw (uncompressed) bytes of each blob, verifiable with sha256sum

Consistency while the server runs: the database copy is one snapshot (see `databases`),
and the blob list is read from that same snapshot, not from the live database. Captures
store their bytes before any row references them, so every blob the copy knows is in the
store when we read it. Blob bytes are read through the blob-store interface, so the
filesystem and S3 backends both work.

Restore runs with the server stopped, onto an empty instance. It verifies everything
(manifest, database checksum, every blob's SHA-256) before it writes anything, puts the
blobs first (harmless if interrupted: rowless objects the orphan sweep removes) and the
database last, then migrates it (an older backup is upgraded) and queues again the
captures that were in flight when the backup was taken.

The steps above never ask which database they run on: `databases.dump_for` hands them
the dump of the configured one.
"""

from snapshelf.services.backup.backing_up import backup
from snapshelf.services.backup.common import BackupError, Progress
from snapshelf.services.backup.databases import DATABASE_FILES
from snapshelf.services.backup.manifest import FORMAT, FORMAT_VERSION, MANIFEST, read_manifest
from snapshelf.services.backup.restoring import restore

__all__ = [
    "DATABASE_FILES",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "BackupError",
    "Progress",
    "backup",
    "read_manifest",
    "restore",
]
