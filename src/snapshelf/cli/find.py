"""Finding things in the library: search, related and suggest."""

from __future__ import annotations

import argparse

from snapshelf.cli.common import (
    CLIError,
    command,
    ensure_database,
    err,
    escape,
    out,
    print_json,
    resolve_user,
    user_option,
)


def own_link(user, link_id: int):
    """The user's link `link_id` (related, suggest); another user's answers as a missing one."""
    from snapshelf.library.models import Link

    link = Link.objects.filter(pk=link_id, owner=user).first()
    if link is None:
        raise CLIError(f"no link {link_id} for user {user.get_username()!r}")
    return link


def print_links(column: str, rows: list[dict], detail: str) -> None:
    """A table of links with their score; `detail` names the row's third line."""
    from rich.table import Table

    table = Table("id", column, "score")
    for r in rows:
        table.add_row(
            str(r["link_id"]),
            f"[bold]{escape(r['title'])}[/bold]\n[dim]{escape(r['url'])}[/dim]\n"
            f"{escape(r[detail])}",
            f"{r['score']:.3g}",
        )
    out.print(table)


def cmd_search(args: argparse.Namespace) -> int:
    from snapshelf.search.index import search

    ensure_database()
    user = resolve_user(args.user)
    page = search(
        user, args.query, limit=max(1, min(args.limit, 1000)), all_versions=args.all_versions
    )
    rows = [
        {
            "link_id": h.link_id,
            "snapshot_id": h.snapshot_id,
            "title": h.title,
            "url": h.url,
            "score": h.score,
            "snippet": h.snippet_text,
            "version": h.version,  # the older version the snippet is from (--all-versions)
            "matched_snapshot_id": h.matched_snapshot_id,
        }
        for h in page.hits
    ]
    if args.json:
        print_json(rows)
        return 0
    for hint in page.hints:
        err.print(f"[yellow]{hint}[/yellow]", markup=True)
    print_links("result", rows, "snippet")
    return 0


def cmd_related(args: argparse.Namespace) -> int:
    """Related articles of one of the user's links (docs/cli.md)."""
    from snapshelf.related.links import related_links

    ensure_database()
    user = resolve_user(args.user)
    link = own_link(user, args.link_id)
    rows = [
        {
            "link_id": r.link.pk,
            "title": r.link.display_title,
            "url": r.link.url,
            "score": r.score,
            "reason": r.reason,
        }
        for r in related_links(link, limit=max(1, min(args.limit, 100)))
    ]
    if args.json:
        print_json(rows)
        return 0
    print_links("related", rows, "reason")
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """Tags the user already uses that fit one of their links (the link page's suggestions)."""
    from snapshelf.related.suggest import suggest_tags

    ensure_database()
    user = resolve_user(args.user)
    link = own_link(user, args.link_id)
    names = suggest_tags(link, limit=max(1, min(args.limit, 50)))
    if args.json:
        print_json(names)
        return 0
    if not names:
        err.print("no suggestions", markup=False)
    for name in names:
        out.print(name, markup=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "search", cmd_search, "search the saved links' full text")
    p.add_argument(
        "query", help='words, "phrases", -exclusions, OR, tag:, site:, is:, lang:, in:versions…'
    )
    p.add_argument("--limit", type=int, default=50)
    p.add_argument(
        "--all-versions",
        action="store_true",
        help="also match text only older versions hold (as in:versions in the query)",
    )
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(
        sub, "related", cmd_related, "links related to one of yours (shared terms and tags)"
    )
    p.add_argument("link_id", type=int)
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true")
    user_option(p)

    p = command(sub, "suggest", cmd_suggest, "tags you already use that fit one of your links")
    p.add_argument("link_id", type=int)
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true", help="a JSON array of tag names, best first")
    user_option(p)
