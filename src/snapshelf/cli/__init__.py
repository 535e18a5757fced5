"""The `snapshelf` command (docs/cli.md).

Output that is data goes to stdout (as JSON with --json); progress and errors go to
stderr. Exit status is 0 on success, non-zero otherwise.

Each command group (instance, links, extract, find, backup) declares its commands'
parsers next to their handlers in its `register(subparsers)`. The group modules import
Django-dependent (and slow) code inside the command functions: the parser is built
before Django is configured, and `snapshelf --help` or `snapshelf extract` never start it.
"""

from __future__ import annotations

import argparse
import sys

from snapshelf.cli import backup, extract, find, instance, links
from snapshelf.cli.common import CLIError, err, setup_django

GROUPS = (instance, links, extract, find, backup)

# The order `snapshelf --help` (and docs/cli.md) lists the commands in, across groups.
ORDER = (
    "init",
    "serve",
    "worker",
    "createuser",
    "add",
    "watch",
    "show",
    "list",
    "extract",
    "download",
    "search",
    "reindex",
    "gc",
    "status",
    "related",
    "suggest",
    "backup",
    "restore",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapshelf", description="Save links as faithful, permanent snapshots."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    # argparse lists subcommands (in --help and "invalid choice") in the order they were
    # added: put them in ORDER, in place (a command missing from it goes last).
    rank = {name: i for i, name in enumerate(ORDER)}
    ordered = sorted(sub.choices.items(), key=lambda item: rank.get(item[0], len(rank)))
    sub.choices.clear()
    sub.choices.update(ordered)
    sub._choices_actions.sort(key=lambda action: rank.get(action.dest, len(rank)))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.django:
            setup_django()
        return args.func(args) or 0
    except CLIError as exc:
        err.print(f"snapshelf: error: {exc}", markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
