"""The query language parsed into a backend-neutral Query.

Words, "exact phrase", -exclude, OR, tag:name / #name, site:example.com,
is:unread|favorite|archived|public|changed, has:highlights, lang:zh, type:pdf,
before:/after: dates, and in:versions (words also match text only an older finished
version of a link holds).
Malformed input never raises: it degrades to plain words and says so in `hints`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from snapshelf.text.analyzer import QueryTokens, query_tokens


@dataclass(frozen=True)
class Clause:
    """Any one of `alternatives` must match (OR); each alternative is a word or phrase
    whose tokens must appear consecutively. A negated clause excludes what it matches."""

    alternatives: tuple[QueryTokens, ...]
    negated: bool = False


@dataclass
class Query:
    clauses: list[Clause] = field(default_factory=list)  # all must hold (AND)
    tags: list[str] = field(default_factory=list)  # tag:x / #x, every one required
    exclude_tags: list[str] = field(default_factory=list)  # -tag:x
    sites: list[str] = field(default_factory=list)  # site:host (host or any subdomain), any
    flags: list[str] = field(default_factory=list)  # is:unread|favorite|archived|public|changed
    has: list[str] = field(default_factory=list)  # has:highlights
    langs: list[str] = field(default_factory=list)  # lang:zh (prefix of the language code)
    types: list[str] = field(default_factory=list)  # type:html|pdf|image|text
    before: date | None = None  # saved before this day (exclusive)
    after: date | None = None  # saved on or after this day
    all_versions: bool = False  # in:versions: words may match older versions' text too
    hints: list[str] = field(default_factory=list)  # what was not understood, for the user

    @property
    def has_text(self) -> bool:
        return any(not c.negated for c in self.clauses)

    @property
    def is_empty(self) -> bool:
        return not (
            self.clauses
            or self.tags
            or self.exclude_tags
            or self.sites
            or self.flags
            or self.has
            or self.langs
            or self.types
            or self.before
            or self.after
        )


# ---------------------------------------------------------------- parsing

MAX_INPUT = 500
MAX_CLAUSES = 32
_FILTER_KEYS = frozenset({"tag", "site", "is", "has", "lang", "type", "before", "after", "in"})
_FLAGS = {
    "unread": "unread",
    "favorite": "favorite",
    "favourite": "favorite",
    "archived": "archived",
    "public": "public",
    "changed": "changed",
}
#: has: values and what they mean (a link with at least one highlight).
_HAS = {"highlights": "highlights", "highlight": "highlights"}
_TYPES = frozenset({"html", "pdf", "image", "text"})
_KEY = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_KEY_ONLY = re.compile(r"[A-Za-z]+:")
_LANG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
_HOST = re.compile(r"[^\s/?#@:]+")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
#: Control characters separate words like spaces (a pasted tab or NUL must not glue words).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

_OR = object()  # the OR operator between two terms


@dataclass(frozen=True)
class _Term:
    """A word or phrase from the input, before filters are told apart from text."""

    text: str
    negated: bool = False
    quoted: bool = False  # "a phrase": never a filter


def _lex(text: str, hint: Callable[[str], None]) -> Iterator[_Term | object]:
    """Split the input into terms and OR operators; quotes group words into one term."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == "|":
            yield _OR
            i += 1
            continue
        negated = text[i] == "-"
        if negated:
            i += 1
            if i == n or text[i].isspace():
                hint(_("A lone “-” was ignored: put it right before a word to exclude it."))
                continue
        if text[i] == '"':
            phrase, i = _quoted(text, i, hint)
            yield _Term(phrase, negated, quoted=True)
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in '"|':
            i += 1
        word = text[start:i]
        if i < n and text[i] == '"' and (word == "#" or _KEY_ONLY.fullmatch(word)):
            value, i = _quoted(text, i, hint)  # tag:"two words", #"two words"
            yield _Term(word + value, negated, quoted=False)
            continue
        if word == "OR" and not negated:
            yield _OR
            continue
        yield _Term(word, negated)


def _quoted(text: str, i: int, hint: Callable[[str], None]) -> tuple[str, int]:
    """The text between the quote at `i` and the next one, and the index after it."""
    end = text.find('"', i + 1)
    if end < 0:
        hint(_("Unbalanced quote: searched for the rest as a phrase."))
        return text[i + 1 :], len(text)
    return text[i + 1 : end], end + 1


def _period_start(value: str) -> date | None:
    """The first day of YYYY, YYYY-MM or YYYY-MM-DD; None when it is no valid date."""
    m = _DATE.fullmatch(value)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return None


def _site(value: str) -> str:
    """The lowercased host of a pasted site or URL (scheme, user, port and path cut)."""
    value = value.strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.rsplit("@", 1)[-1] if "@" in value.split("/", 1)[0] else value
    m = _HOST.match(value)
    return m.group().strip(".") if m else ""


def _tag(value: str) -> str:
    """A tag name as tags are stored: inner whitespace collapsed, no leading #."""
    return " ".join(value.split()).lstrip("#")[:100]


class _Parser:
    def __init__(self) -> None:
        self.query = Query()

    def hint(self, message: str) -> None:
        if message not in self.query.hints:
            self.query.hints.append(message)

    def filter(self, key: str, value: str, negated: bool) -> bool:
        """Apply key:value to the query; False when the term is not a filter at all."""
        key = key.lower()
        if key not in _FILTER_KEYS:
            return False
        q = self.query
        if not value.strip():
            self.hint(_("A filter without a value was ignored (e.g. “tag:” alone)."))
            return True
        if negated and key != "tag":
            self.hint(_("Only tag: filters can be excluded with “-”; the others were ignored."))
            return True
        if key == "tag":
            name = _tag(value)
            if name:
                (q.exclude_tags if negated else q.tags).append(name)
        elif key == "site":
            host = _site(value)
            if host:
                q.sites.append(host)
            else:
                self.hint(_("A site: filter without a host was ignored."))
        elif key == "is":
            flag = _FLAGS.get(value.lower())
            if flag is None:
                self.hint(
                    _(
                        "Unknown is: value ignored; "
                        "use unread, favorite, archived, public or changed."
                    )
                )
            elif flag not in q.flags:
                q.flags.append(flag)
        elif key == "has":
            what = _HAS.get(value.lower())
            if what is None:
                self.hint(_("Unknown has: value ignored; use has:highlights."))
            elif what not in q.has:
                q.has.append(what)
        elif key == "lang":
            lang = value.lower().replace("_", "-")
            if _LANG.fullmatch(lang):
                q.langs.append(lang)
            else:
                self.hint(_("Unknown language in lang: ignored; use a code such as en or zh."))
        elif key == "in":
            if value.lower() in ("versions", "version", "all"):
                q.all_versions = True
            else:
                self.hint(_("Unknown in: value ignored; use in:versions to search older versions."))
        elif key == "type":
            kind = value.lower()
            if kind in _TYPES:
                q.types.append(kind)
            else:
                self.hint(_("Unknown type: value ignored; use html, pdf, image or text."))
        else:
            self.date(key, value)
        return True

    def date(self, key: str, value: str) -> None:
        day = _period_start(value)
        if day is None:
            self.hint(_("Invalid date ignored; write dates as YYYY, YYYY-MM or YYYY-MM-DD."))
        elif key == "before":
            self.query.before = day if self.query.before is None else min(self.query.before, day)
        else:
            self.query.after = day if self.query.after is None else max(self.query.after, day)

    def is_filter(self, term: _Term) -> bool:
        """Apply the term if it is a filter (tag:x, #x, site:x...); True when it was."""
        if term.quoted:
            return False
        if term.text.startswith("#") and len(term.text) > 1:
            self.filter("tag", term.text[1:], term.negated)
            return True
        m = _KEY.fullmatch(term.text)
        return bool(m) and self.filter(m[1], m[2], term.negated)

    def run(self, text: str) -> Query:
        if len(text) > MAX_INPUT:
            text = text[:MAX_INPUT]
            self.hint(_("The query was too long; only its first 500 characters were used."))
        clauses = self.query.clauses
        pending_or = False  # an OR waits for the term after it
        can_join = False  # the last clause is a positive term right before this point
        for item in _lex(_CONTROL.sub(" ", text), self.hint):
            if item is _OR:
                if not can_join or pending_or:
                    self.hint(_("“OR” must stand between two words; a stray one was ignored."))
                pending_or = can_join
                continue
            assert isinstance(item, _Term)
            if self.is_filter(item):
                if pending_or:
                    self.hint(_("“OR” must stand between two words; a stray one was ignored."))
                pending_or = can_join = False
                continue
            words = query_tokens(item.text)
            if not words.tokens:
                continue  # punctuation only: as if it were not there
            if pending_or and not item.negated:
                last = clauses[-1]
                if words not in last.alternatives:
                    clauses[-1] = Clause(last.alternatives + (words,))
            else:
                if pending_or:
                    self.hint(_("“OR” cannot join excluded words; it was ignored."))
                clauses.append(Clause((words,), item.negated))
            pending_or = False
            can_join = not item.negated
        if pending_or:
            self.hint(_("“OR” must stand between two words; a stray one was ignored."))
        clauses[:] = dict.fromkeys(clauses)  # "a a" is "a"; after OR merging, which it affects
        if len(clauses) > MAX_CLAUSES:
            del clauses[MAX_CLAUSES:]
            self.hint(_("Too many words: only the first 32 were used."))
        return self.query


def parse(text: str) -> Query:
    """Parse a query; never raises.

    Dates name periods: after:2024 keeps links saved on or after 2024-01-01, and
    before:2024-03 keeps links saved before 2024-03-01 (the start of the named period is
    exclusive for before:, inclusive for after:). Repeated before:/after: narrow.
    """
    try:
        return _Parser().run(str(text or ""))
    except Exception:  # noqa: BLE001 - a search box must never error; fall back to words
        words = (query_tokens(w) for w in str(text or "")[:MAX_INPUT].split())
        clauses = [Clause((w,)) for w in words if w.tokens][:MAX_CLAUSES]
        return Query(clauses=clauses, hints=[_("Part of the query was not understood.")])
