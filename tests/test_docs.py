"""The reference docs (docs/cli.md, docs/query-language.md) against the code they describe."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from snapshelf.cli import build_parser
from snapshelf.search import query as query_module
from snapshelf.search.query import parse

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _first_cells(table_text: str) -> list[str]:
    """The first cell of each body row of the Markdown tables in `table_text`."""
    cells = []
    for line in table_text.splitlines():
        if not line.startswith("|") or re.match(r"^\|[-| ]+\|$", line):
            continue
        cell = re.split(r"(?<!\\)\|", line)[1].strip()
        cells.append(cell.replace("\\|", "|"))
    return cells


def _code_words(cell: str) -> list[str]:
    """The first word of each `code span` of a cell: `--tag TAG`, `-t TAG` -> --tag, -t."""
    return [span.split()[0] for span in re.findall(r"`([^`]+)`", cell) if span.split()]


# -- docs/cli.md -----------------------------------------------------------------------------


def parser_commands() -> dict[str, set[str]]:
    """Each subcommand's options (every spelling) and positional names (METAVAR)."""
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = {}
    for name, subparser in sub.choices.items():
        names = set()
        for action in subparser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if action.option_strings:
                names.update(action.option_strings)
            else:
                names.add(action.metavar or action.dest.upper())
        commands[name] = names
    return commands


def documented_commands() -> dict[str, set[str]]:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    commands = {}
    for section in sections:
        heading, _, body = section.partition("\n")
        m = re.fullmatch(r"`snapshelf ([a-z-]+)`", heading.strip())
        assert m, f"docs/cli.md: a heading is not `snapshelf COMMAND`: {heading!r}"
        assert m[1] not in commands, f"docs/cli.md documents {m[1]} twice"
        description = body.strip().split("\n\n")[0]
        assert description and not description.startswith("|"), f"{m[1]}: no description"
        commands[m[1]] = {w for cell in _first_cells(body) for w in _code_words(cell)}
    return commands


def test_cli_doc_lists_every_command_and_no_other() -> None:
    in_parser, in_doc = set(parser_commands()), set(documented_commands())
    assert sorted(in_parser - in_doc) == [], "commands missing from docs/cli.md"
    assert sorted(in_doc - in_parser) == [], "docs/cli.md documents commands that do not exist"


def test_cli_doc_lists_every_argument_and_option_and_no_other() -> None:
    documented = documented_commands()
    problems = []
    for command, names in parser_commands().items():
        doc = documented.get(command, set())
        if names - doc:
            problems.append(f"{command}: not in docs/cli.md: {sorted(names - doc)}")
        if doc - names:
            problems.append(f"{command}: in docs/cli.md but not accepted: {sorted(doc - names)}")
    assert not problems, "\n".join(problems)


def test_the_top_level_command_has_no_undocumented_option() -> None:
    parser = build_parser()
    options = {
        s
        for a in parser._actions
        if a.option_strings and not isinstance(a, argparse._HelpAction)
        for s in a.option_strings
    }
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert sorted(o for o in options if f"`{o}" not in text) == []


# -- docs/query-language.md ------------------------------------------------------------------

QUERY_DOC = (DOCS / "query-language.md").read_text(encoding="utf-8")


def _table_after(heading_row: str) -> str:
    """The table whose header row starts with `heading_row`."""
    start = QUERY_DOC.index(heading_row)
    end = QUERY_DOC.find("\n\n", start)
    return QUERY_DOC[start : end if end >= 0 else None]


def _rows(heading_row: str) -> list[list[str]]:
    rows = []
    for line in _table_after(heading_row).splitlines()[2:]:
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append(cells)
    return rows


def _listed(label: str) -> set[str]:
    """The code spans of the line that starts with `label`, e.g. "`type:` kinds:"."""
    line = next(line for line in QUERY_DOC.splitlines() if line.startswith(label))
    return set(re.findall(r"`([^`]+)`", line[len(label) :]))


def test_query_doc_lists_every_filter_key_and_no_other() -> None:
    keys = set()
    for cell in _first_cells(_table_after("| Filter |")):
        for word in _code_words(cell):
            word = word.lstrip("-")
            keys.add("tag" if word.startswith("#") else word.split(":")[0].lower())
    assert keys == set(query_module._FILTER_KEYS)


def test_query_doc_lists_every_is_flag_type_and_in_value() -> None:
    flags = {w for cell in _first_cells(_table_after("| Flag |")) for w in _code_words(cell)}
    assert flags == set(query_module._FLAGS)
    assert _listed("`type:` kinds:") == set(query_module._TYPES)
    values = _listed("`in:` values:")
    for value in values:
        assert parse(f"in:{value} word").all_versions, value
    assert not parse("in:nothing word").all_versions


#: What each documented syntax must produce from its example.
WORD_CHECKS = {
    "word": lambda q: len(q.clauses) >= 2 and not any(c.negated for c in q.clauses),
    '`"phrase"`': lambda q: len(q.clauses) == 1 and len(q.clauses[0].alternatives[0].tokens) > 1,
    '`-word`, `-"phrase"`': lambda q: any(c.negated for c in q.clauses),
    "`OR`, `|`": lambda q: len(q.clauses) == 1 and len(q.clauses[0].alternatives) == 2,
}
FILTER_CHECKS = {
    "tag": lambda q: bool(q.tags),
    "-tag": lambda q: bool(q.exclude_tags),
    "site": lambda q: bool(q.sites),
    "is": lambda q: bool(q.flags),
    "has": lambda q: bool(q.has),
    "lang": lambda q: bool(q.langs),
    "type": lambda q: bool(q.types),
    "after": lambda q: q.after is not None,
    "before": lambda q: q.before is not None,
    "in": lambda q: q.all_versions,
}


@pytest.mark.parametrize(("syntax", "example"), [r[:2] for r in _rows("| Syntax |")])
def test_each_word_example_parses_as_documented(syntax: str, example: str) -> None:
    assert syntax in WORD_CHECKS, f"no check for the documented syntax {syntax}"
    spans = re.findall(r"`([^`]+)`", example)
    assert spans, f"{syntax}: no example"
    for text in spans:
        q = parse(text)
        assert not q.hints, (text, q.hints)
        assert WORD_CHECKS[syntax](q), text


@pytest.mark.parametrize(("syntax", "example"), [r[:2] for r in _rows("| Filter |")])
def test_each_filter_example_parses_as_documented(syntax: str, example: str) -> None:
    key = _code_words(syntax)[0].split(":")[0].lower()
    key = {"#name": "tag", "-#name": "-tag"}.get(key, key)
    spans = re.findall(r"`([^`]+)`", example)
    assert spans, f"{syntax}: no example"
    for text in spans:
        q = parse(text)
        assert not q.hints, (text, q.hints)
        assert FILTER_CHECKS[key](q), text
