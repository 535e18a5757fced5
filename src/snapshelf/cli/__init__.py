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

from snapshelf.cli import backup, exporting, extract, find, importing, instance, links
from snapshelf.cli.common import CLIError, err, setup_django

GROUPS = (instance, links, importing, exporting, extract, find, backup)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapshelf", description="Save links as faithful, permanent snapshots."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:  # --help lists the commands group by group
        group.register(sub)
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
