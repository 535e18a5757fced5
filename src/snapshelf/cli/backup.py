"""Backing up and restoring the whole instance: backup and restore."""

from __future__ import annotations

import argparse

from snapshelf.cli.common import CLIError, command, err, out, print_json


def _phase_progress():
    """A progress bar on stderr for work reported as progress(phase, done, total)."""
    from rich.progress import Progress

    bar = Progress(console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task("", total=None)

    def step(phase: str, done: int, total: int) -> None:
        bar.update(task, description=phase, completed=done, total=total or None)

    return bar, step


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent backup of the whole instance while the server runs."""
    from snapshelf.services.backup import BackupError, backup

    bar, step = _phase_progress()
    try:
        with bar:
            summary = backup(args.path, progress=step)
    except BackupError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print_json(summary)
    else:
        out.print(
            f"backed up {_counts_line(summary['counts'])} "
            f"({summary['blob_bytes']:,} blob bytes) to {summary['path']}",
            markup=False,
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup onto an empty instance (server stopped)."""
    from snapshelf.services.backup import BackupError, restore

    bar, step = _phase_progress()
    try:
        with bar:
            summary = restore(args.path, progress=step)
    except BackupError as exc:
        raise CLIError(str(exc)) from None
    if args.json:
        print_json(summary)
        return 0
    out.print(f"restored {_counts_line(summary['counts'])} from {args.path}", markup=False)
    if summary["replaced_users"]:
        err.print(f"replaced the user(s) {', '.join(summary['replaced_users'])}", markup=False)
    if summary["requeued_captures"]:
        out.print(
            f"{summary['requeued_captures']} capture(s) in flight at backup time are queued "
            "again: a running `snapshelf serve` or `snapshelf worker` will take them",
            markup=False,
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "backup", cmd_backup, "back up the whole instance (while it runs)")
    p.add_argument("path", help="a new or empty directory")
    p.add_argument("--json", action="store_true")

    p = command(
        sub, "restore", cmd_restore, "restore a backup onto an empty instance (server stopped)"
    )
    p.add_argument("path", help="a directory written by `snapshelf backup`")
    p.add_argument("--json", action="store_true")
