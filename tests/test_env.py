"""snapshelf.env: every environment variable declared once, documented, and read only there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from snapshelf import env
from snapshelf.net.guard import Guard

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "snapshelf"


def readme_variables() -> list[str]:
    """The variable of each row of the README's Configuration table, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README.md has no '## Configuration' section"
    rows = re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", section.group(1), re.M)
    assert rows, "the Configuration section has no table of variables"
    return rows


def test_every_declared_variable_has_a_readme_row_and_every_row_is_declared() -> None:
    rows = readme_variables()
    assert len(rows) == len(set(rows)), "a variable has two rows in the README"
    undocumented = sorted(set(env.VARIABLES) - set(rows))
    assert not undocumented, f"add a row to README.md's Configuration table: {undocumented}"
    undeclared = sorted(set(rows) - set(env.VARIABLES))
    assert not undeclared, (
        f"README.md documents variables snapshelf.env does not declare: {undeclared}"
    )
    for variable in env.VARIABLES.values():
        assert variable.help.strip(), f"{variable.name} has no help text"


# -- nothing else reads the environment for a SNAPSHELF_ name ---------------------------------


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_environ(node: ast.AST) -> bool:
    """os.environ, environ, self.environ, os.environb..."""
    return _dotted(node).split(".")[-1] in ("environ", "environb")


def _snapshelf_literal(node: ast.AST | None) -> str | None:
    value = node.value if isinstance(node, ast.Constant) else None
    return value if isinstance(value, str) and value.startswith("SNAPSHELF_") else None


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, name) of every read of a SNAPSHELF_ variable straight from the environment:
    environ.get/pop/setdefault("SNAPSHELF_X"), environ["SNAPSHELF_X"],
    "SNAPSHELF_X" in environ, os.getenv("SNAPSHELF_X")."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "pop", "setdefault", "__getitem__")
                and _is_environ(func.value)
            ) or _dotted(func).split(".")[-1] in ("getenv", "getenvb"):
                name = _snapshelf_literal(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _snapshelf_literal(node.slice)
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            name = _snapshelf_literal(node.left)
        if name:
            found.append((node.lineno, name))
    return found


def test_the_scanner_finds_every_kind_of_read() -> None:
    source = """
import os
from os import environ, getenv
a = os.environ.get("SNAPSHELF_A", "x")
b = environ["SNAPSHELF_B"]
c = "SNAPSHELF_C" in os.environ
d = os.getenv("SNAPSHELF_D")
e = getenv("SNAPSHELF_E")
f = self.environ.get("SNAPSHELF_F")
g = os.environ.get("HOME")
h = env.get("SNAPSHELF_H")
"""
    assert sorted(environment_reads(source)) == [
        (line, f"SNAPSHELF_{x}") for line, x in zip(range(4, 10), "ABCDEF", strict=True)
    ]


def test_only_snapshelf_env_reads_snapshelf_variables_from_the_environment() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "env.py":
            continue
        for line, name in environment_reads(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not offenders, "read these through snapshelf.env:\n" + "\n".join(offenders)


def test_every_name_asked_of_snapshelf_env_is_declared() -> None:
    asked = set()
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _dotted(node.func) in ("env.get", "env.raw")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                asked.add(node.args[0].value)
    assert asked, "nothing reads through snapshelf.env"
    assert sorted(asked - set(env.VARIABLES)) == []


# -- the API -----------------------------------------------------------------------------------


def test_default_only_when_unset() -> None:
    assert env.get("SNAPSHELF_ALLOWED_HOSTS", {}) == []  # loopback only (settings.py)
    assert env.get("SNAPSHELF_ALLOWED_HOSTS", {"SNAPSHELF_ALLOWED_HOSTS": ""}) == []
    assert env.get("SNAPSHELF_ALLOWED_HOSTS", {"SNAPSHELF_ALLOWED_HOSTS": " a, ,b "}) == ["a", "b"]
    assert env.raw("SNAPSHELF_S3_PREFIX", {}) == "blobs/"


def test_values_are_parsed() -> None:
    assert env.get("SNAPSHELF_PORT", {"SNAPSHELF_PORT": "9000"}) == 9000
    assert env.get("SNAPSHELF_CAPTURE_DEADLINE", {}) == 60.0
    assert env.get("SNAPSHELF_HTTPS", {}) is False
    assert env.get("SNAPSHELF_HTTPS", {"SNAPSHELF_HTTPS": "1"}) is True
    assert env.get("SNAPSHELF_OPEN_SIGNUP", {}) is False  # closed unless opened
    assert env.get("SNAPSHELF_OPEN_SIGNUP", {"SNAPSHELF_OPEN_SIGNUP": "1"}) is True
    assert env.get("SNAPSHELF_OPEN_SIGNUP", {"SNAPSHELF_OPEN_SIGNUP": "yes"}) is False
    assert env.get("SNAPSHELF_BASE_URL", {"SNAPSHELF_BASE_URL": "https://x.test/"}) == (
        "https://x.test"
    )
    assert env.get("SNAPSHELF_STATIC_ROOT", {}) is None
    assert env.get("SNAPSHELF_DNS", {"SNAPSHELF_DNS": " OFF "}) == "off"
    assert 2 <= env.get("SNAPSHELF_WORKERS", {}) <= 5
    with pytest.raises(ValueError, match="SNAPSHELF_DNS"):
        env.get("SNAPSHELF_DNS", {"SNAPSHELF_DNS": "sometimes"})
    with pytest.raises(ValueError):
        env.get("SNAPSHELF_PORT", {"SNAPSHELF_PORT": "http"})


def test_reads_os_environ_at_call_time(monkeypatch) -> None:
    monkeypatch.setenv("SNAPSHELF_LOG_LEVEL", "DEBUG")
    assert env.get("SNAPSHELF_LOG_LEVEL") == "DEBUG"
    monkeypatch.delenv("SNAPSHELF_LOG_LEVEL")
    assert env.get("SNAPSHELF_LOG_LEVEL") == "WARNING"


def test_an_undeclared_name_is_an_error() -> None:
    with pytest.raises(KeyError, match="not declared"):
        env.get("SNAPSHELF_NO_SUCH_THING", {})


def test_guard_from_env_reads_its_mapping_not_the_process_environment(monkeypatch) -> None:
    monkeypatch.setenv("SNAPSHELF_DNS", "sometimes")  # would fail if it were read
    guard = Guard.from_env({"SNAPSHELF_EGRESS_ALLOW": "10.1.0.0/16", "SNAPSHELF_DNS": "off"})
    assert guard.allow


def test_the_docs_name_only_declared_variables() -> None:
    named = {
        (path.name, name)
        for path in sorted((ROOT / "docs").glob("*.md"))
        for name in re.findall(r"\bSNAPSHELF_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8"))
    }
    assert sorted((f, n) for f, n in named if n not in env.VARIABLES) == []


def test_a_mistyped_trusted_proxy_stops_start_up_instead_of_being_ignored() -> None:
    assert env.get(
        "SNAPSHELF_TRUSTED_PROXIES", {"SNAPSHELF_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}
    ) == [
        "10.0.0.0/8",
        "::1",
    ]
    with pytest.raises(ValueError, match="not an address or network"):
        env.get("SNAPSHELF_TRUSTED_PROXIES", {"SNAPSHELF_TRUSTED_PROXIES": "10.0.0.0/33"})
