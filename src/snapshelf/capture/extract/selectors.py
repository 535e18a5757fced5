"""trafilatura's element selectors, evaluated as Python loops instead of XPath.

trafilatura picks the nodes it prunes and the body it keeps with XPath expressions that
test class and id names with EXSLT ``re:test``. lxml answers each such test by calling
back into Python, once per element and test: on a typical page these selectors were a
fifth of the whole extraction's CPU. The same tests as one Python loop over the
elements cost a few times less.

:func:`compile_selector` understands the small XPath subset those expressions use
(descendant steps, tag tests, ``and``/``or``/``not``, attribute existence and equality,
``contains``, ``starts-with``, ``translate``, ``re:test``, a ``[1]`` position, unions)
and raises :class:`Unsupported` for anything else, which then stays XPath. A compiled
selector returns exactly the XPath's result: the same elements in the same (document)
order; ``tests/capture/test_selectors.py`` compares every replaced selector with its
XPath on corpus pages, before and after trafilatura's own tree conversion.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from lxml import etree

from snapshelf.capture.extract.remembered import Remembered

__all__ = ["Unsupported", "compile_selector", "speed_up_trafilatura"]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'[^']*'|"[^"]*")
    | (?P<op>\.//|::|[()\[\],|=@*])
    | (?P<num>\d+)
    | (?P<name>[A-Za-z_][\w-]*(?::[A-Za-z_][\w-]*)?)
    )""",
    re.VERBOSE,
)


class Unsupported(ValueError):
    """The expression is outside the subset; keep it as XPath."""


def _tokens(path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    path = path.strip()
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"cannot read {path[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        out.append((kind, value[1:-1] if kind == "str" else value))
        pos = m.end()
    return out


def _first_of(el: Any, names: tuple[str, ...]) -> str | None:
    """XPath's string value of ``@a|@b`` when several are present: the first in source
    order (document order of attributes)."""
    for key, value in el.items():
        if key in names:
            return value
    return None


def _translate_table(source: str, target: str) -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    for i, ch in enumerate(source):
        if ord(ch) not in table:  # the first occurrence of a character wins
            table[ord(ch)] = ord(target[i]) if i < len(target) else None
    return table


class _Code:
    """Python source for one selector: the attributes it reads, the constants it needs
    (regexes, translate tables), and predicate expressions over them."""

    def __init__(self) -> None:
        self.attrs: dict[str, str] = {}  # attribute name -> local variable
        self.consts: dict[str, Any] = {"_first_of": _first_of}
        self.uses_tag = False

    def attr(self, name: str) -> str:
        if name not in self.attrs:
            self.attrs[name] = f"a{len(self.attrs)}"
        return self.attrs[name]

    def const(self, value: Any) -> str:
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        return name

    def value(self, names: tuple[str, ...]) -> str:
        """An expression for the string value of ``@a|@b...``, None when none is there."""
        local = [self.attr(n) for n in names]
        if len(local) == 1:
            return local[0]
        several = " + ".join(f"({v} is not None)" for v in local)
        pick = " else ".join(f"{v} if {v} is not None" for v in local[:-1]) + f" else {local[-1]}"
        return f"(_first_of(el, {names!r}) if {several} > 1 else ({pick}))"


class _Parser:
    """Recursive descent over the token list, writing Python expressions."""

    def __init__(self, tokens: list[tuple[str, str]], code: _Code) -> None:
        self.tokens = tokens
        self.code = code
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        k, v = self.peek()
        if k != kind or (value is not None and v != value):
            raise Unsupported(f"expected {value or kind}, found {v or k}")
        self.i += 1
        return v

    def at(self, kind: str, value: str) -> bool:
        return self.peek() == (kind, value)

    # expressions

    def or_expr(self) -> str:
        return self.joined("or", self.and_expr)

    def and_expr(self) -> str:
        return self.joined("and", self.unary)

    def joined(self, operator: str, operand: Callable[[], str]) -> str:
        """``a op b op ...``, the same operator in XPath and Python."""
        parts = [operand()]
        while self.at("name", operator):
            self.i += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else "(" + f" {operator} ".join(parts) + ")"

    def unary(self) -> str:
        if self.at("name", "not") and self.peek(1) == ("op", "("):
            self.i += 2
            inner = self.or_expr()
            self.take("op", ")")
            return f"(not {inner})"
        if self.at("op", "("):
            self.i += 1
            inner = self.or_expr()
            self.take("op", ")")
            return inner
        return self.atom()

    def attrs(self) -> tuple[str, ...]:
        names = []
        while True:
            self.take("op", "@")
            names.append(self.take("name"))
            if not self.at("op", "|"):
                return tuple(names)
            self.i += 1

    def string_expr(self) -> str:
        """A str-valued expression ('' for a missing attribute)."""
        if self.at("name", "translate"):
            self.i += 1
            self.take("op", "(")
            value = self.code.value(self.attrs())
            self.take("op", ",")
            source = self.take("str")
            self.take("op", ",")
            table = self.code.const(_translate_table(source, self.take("str")))
            self.take("op", ")")
            return f"({value} or '').translate({table})"
        return f"({self.code.value(self.attrs())} or '')"

    def atom(self) -> str:
        kind, value = self.peek()
        code = self.code
        if (kind, value) == ("name", "self") and self.peek(1) == ("op", "::"):
            self.i += 2
            code.uses_tag = True
            return f"(tag == {self.take('name')!r})"
        if (kind, value) == ("op", ".//"):
            self.i += 1
            return f"(next(el.iterdescendants({self.take('name')!r}), None) is not None)"
        if (kind, value) == ("op", "@"):
            names = self.attrs()
            if self.at("op", "="):
                self.i += 1
                expected = self.take("str")
                return "(" + " or ".join(f"{code.attr(n)} == {expected!r}" for n in names) + ")"
            return "(" + " or ".join(f"{code.attr(n)} is not None" for n in names) + ")"
        if kind == "name" and value in ("contains", "starts-with"):
            self.i += 1
            self.take("op", "(")
            string = self.string_expr()
            self.take("op", ",")
            needle = self.take("str")
            self.take("op", ")")
            if value == "contains":
                return f"({needle!r} in {string})"
            return f"{string}.startswith({needle!r})"
        if (kind, value) == ("name", "re:test"):
            self.i += 1
            self.take("op", "(")
            names = self.attrs()
            self.take("op", ",")
            pattern = self.take("str")
            flags = ""
            if self.at("op", ","):
                self.i += 1
                flags = self.take("str")
            self.take("op", ")")
            # compiled as lxml's EXSLT implementation compiles it
            regex = re.compile(pattern, re.UNICODE | (re.IGNORECASE if "i" in flags else 0))
            found = code.const(Remembered(regex.search))
            if len(names) == 1 and not regex.search(""):
                local = code.attr(names[0])
                return f"({local} is not None and {found}[{local}])"
            return f"{found}[{code.value(names)} or '']"
        raise Unsupported(f"unknown test {value or kind}")

    # paths

    def leading_tags(self) -> tuple[str, ...] | None:
        """The tags of a predicate ``[self::a or self::b]`` starting here (after its
        ``[``), consumed with its ``]``; None, consuming nothing, for any other."""
        tags: list[str] = []
        start = self.i
        while self.at("name", "self") and self.peek(1) == ("op", "::"):
            if self.peek(2)[0] != "name":
                break
            tags.append(self.peek(2)[1])
            self.i += 3
            if self.at("op", "]"):
                self.i += 1
                return tuple(tags)
            if not self.at("name", "or"):
                break
            self.i += 1
        self.i = start
        return None

    def step(self) -> _Step:
        """``.//NAME`` or ``.//*`` and its predicates."""
        self.take("op", ".//")
        tags: tuple[str, ...] | None = None  # None: every element
        if self.at("op", "*"):
            self.i += 1
        else:
            tags = (self.take("name"),)
        tests: list[str] = []
        first = False
        while self.at("op", "["):
            if first:
                raise Unsupported("a predicate after a position")
            self.i += 1
            if not tests and tags is None:
                leading = self.leading_tags()
                if leading:  # filtered in C by the iterator instead of tested
                    tags = leading
                    continue
            if self.peek()[0] == "num":
                if self.take("num") != "1":
                    raise Unsupported("a position other than 1")
                first = True
            else:
                tests.append(self.or_expr())
            self.take("op", "]")
        return _Step(tags, " and ".join(tests) or "True", first)


class _Step(NamedTuple):
    """One descendant step: the tags it yields (None: all elements), its test as a
    Python expression, and whether only each parent's first match counts (``[1]``
    applies per step in XPath)."""

    tags: tuple[str, ...] | None
    test: str
    first: bool


def _iterate(tags: tuple[str, ...] | None) -> str:
    if tags is None:
        return "root.iterdescendants(_Element)"
    return f"root.iterdescendants(*{tags!r})"


def _source(code: _Code, loop: str, condition: str, body: list[str], result: str) -> str:
    prologue = [f"{local} = get({name!r})" for name, local in code.attrs.items()]
    if code.uses_tag:
        prologue.append("tag = el.tag")
    lines = [
        "def select(root):",
        "    out = []",
        "    parents = set()",
        f"    for el in {loop}:",
        "        get = el.get",
        *(f"        {line}" for line in prologue),
        f"        if {condition}:",
        *(f"            {line}" for line in body),
        f"    return {result}",
    ]
    return "\n".join(lines)


def compile_selector(path: str) -> Callable[[Any], list[Any]]:
    """A function of an element returning what ``XPath(path)(element)`` returns.

    Forms: ``.//T[p]...``, ``.//T[p][1]`` (first match per parent), ``(.//T[p])[1]``
    (first match overall), and unions ``A|B`` of the first form, where T is a tag or
    ``*``. Raises :class:`Unsupported` otherwise.
    """
    code = _Code()
    parser = _Parser(_tokens(path), code)
    if parser.at("op", "("):
        parser.i += 1
        step = parser.step()
        for expected in [("op", ")"), ("op", "["), ("num", "1"), ("op", "]")]:
            parser.take(*expected)
        if step.first or parser.peek()[0] != "end":
            raise Unsupported("only (path)[1]")
        source = _source(code, _iterate(step.tags), step.test, ["return [el]"], "out")
        return _guarded(_build(source, code, path), path)
    steps = [parser.step()]
    while parser.peek()[0] != "end":
        parser.take("op", "|")
        steps.append(parser.step())
    if len(steps) == 1:
        step = steps[0]
        if step.first:  # the parents are held, so lxml keeps one proxy per parent
            body = [
                "parent = el.getparent()",
                "if parent not in parents:",
                "    parents.add(parent)",
                "    out.append(el)",
            ]
        else:
            body = ["out.append(el)"]
        source = _source(code, _iterate(step.tags), step.test, body, "out")
        return _guarded(_build(source, code, path), path)
    if any(step.first for step in steps):
        raise Unsupported("a position inside a union")
    code.uses_tag = True
    branches = []
    for step in steps:  # one pass keeps document order, without repeats
        if step.tags is None:
            branches.append(f"({step.test})")
        else:
            branches.append(f"(tag in {code.const(frozenset(step.tags))} and {step.test})")
    source = _source(code, _iterate(None), " or ".join(branches), ["out.append(el)"], "out")
    return _guarded(_build(source, code, path), path)


def _build(source: str, code: _Code, path: str) -> Callable[[Any], list[Any]]:
    namespace: dict[str, Any] = {**code.consts, "_Element": etree.Element}
    name = f"<selector {' '.join(path.split())[:60]}>"  # tells them apart in a profile
    exec(compile(source, name, "exec"), namespace)  # noqa: S102 (our own source)
    return namespace["select"]


def _guarded(select: Callable[[Any], list[Any]], path: str) -> Callable[[Any], list[Any]]:
    """Evaluate on elements; anything else (a whole document) goes to the XPath."""
    xpath = functools.cache(lambda: etree.XPath(path, namespaces=_NS))

    def run(el: Any) -> list[Any]:
        if isinstance(el, etree._Element):
            return select(el)
        return xpath()(el)

    run.path = path  # type: ignore[attr-defined]
    return run


_NS = {"re": "http://exslt.org/regular-expressions"}


@functools.cache
def speed_up_trafilatura() -> int:
    """Swap trafilatura's selectors for compiled ones, once per process; returns how
    many were swapped. The lists are shared by trafilatura's modules, so swapping their
    items reaches every use."""
    from trafilatura import settings, xpaths

    # the module: the package's name "baseline" is a function of that module
    baseline = importlib.import_module("trafilatura.baseline")

    swapped = 0
    for value in vars(xpaths).values():
        if isinstance(value, list) and value and all(isinstance(x, etree.XPath) for x in value):
            for i, xpath in enumerate(value):
                try:
                    value[i] = compile_selector(xpath.path)
                except Unsupported:
                    continue
                swapped += 1
    try:
        basic = compile_selector(settings.BASIC_CLEAN_XPATH.path)
    except Unsupported:
        return swapped
    settings.BASIC_CLEAN_XPATH = baseline.BASIC_CLEAN_XPATH = basic
    return swapped + 1
