"""Every environment variable Snapshelf reads, declared once: name, default, parser, help.

Nothing else in the package reads the environment for its own settings: Django's
settings, the data directory, the egress guard, the browser and the CLI all ask here::

    from snapshelf import env

    env.get("SNAPSHELF_WORKERS")          # -> int, parsed from os.environ or the default
    env.get("SNAPSHELF_DNS", {"SNAPSHELF_DNS": "off"})  # from a mapping of your own

Plain Python, no Django: the CLI reads it before Django starts. A variable is read when
asked for (not at import), so a changed environment is seen by the next call. The default
applies only when the variable is unset; a variable set to the empty string is parsed
like any other value. The README's Configuration table documents every variable declared
here, and a test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["VARIABLES", "Variable", "get", "raw"]


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default (text, as it would be set, or a
    function computing it), the parser turning text into the value, and what it is for."""

    name: str
    default: str | Callable[[], str]
    parse: Callable[[str], Any]
    help: str

    def default_text(self) -> str:
        return self.default() if callable(self.default) else self.default


# Parsers: the value as Snapshelf has always read it.


def _text(value: str) -> str:
    return value


def _stripped(value: str) -> str:
    return value.strip()


def _flag(value: str) -> bool:
    """On only when exactly "1"."""
    return value == "1"


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _networks(value: str) -> list[str]:
    """Addresses or CIDR networks; a typo must stop start-up, not open a hole later."""
    items = _comma_list(value)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"SNAPSHELF_TRUSTED_PROXIES: {item!r} is not an address or network"
            ) from None
    return items


def _no_trailing_slash(value: str) -> str:
    return value.rstrip("/")


def _path_or_none(value: str) -> str | None:
    return value or None


def _int_or_none(value: str) -> int | None:
    """Empty: None (the setting picks its default from others); else an integer."""
    return int(value) if value.strip() else None


def _dns(value: str) -> str:
    dns = value.strip().lower()
    if dns not in ("system", "off"):
        raise ValueError(f"SNAPSHELF_DNS must be 'system' or 'off', not {dns!r}")
    return dns


def _default_base_url() -> str:
    """Empty: the CLI then asks where the server really listens (see cli.common.base_url)."""
    return ""


def _default_workers() -> str:
    return str(min(os.cpu_count() or 2, 4) + 1)


_DECLARED = [
    # Where the data lives.
    Variable(
        "SNAPSHELF_DATA_DIR",
        "",
        _stripped,
        "data directory (empty: $XDG_DATA_HOME/snapshelf or ~/.local/share/snapshelf)",
    ),
    Variable(
        "XDG_DATA_HOME",
        "",
        _text,
        "base of the default data directory (empty: ~/.local/share)",
    ),
    Variable("DATABASE_URL", "", _text, "database URL (empty: SQLite in the data directory)"),
    Variable(
        "SNAPSHELF_SECRET_KEY",
        "",
        _text,
        "Django secret key (empty: generated once, kept in the data directory)",
    ),
    # The web server and Django.
    Variable("SNAPSHELF_HOST", "127.0.0.1", _text, "address `snapshelf serve` listens on"),
    Variable("SNAPSHELF_PORT", "8000", int, "port `snapshelf serve` listens on"),
    Variable(
        "SNAPSHELF_BASE_URL",
        _default_base_url,
        _no_trailing_slash,
        "the public address of the web UI: the CLI's links, the bookmarklet and feed "
        "addresses (empty: where `snapshelf serve` last listened, else SNAPSHELF_HOST "
        "and SNAPSHELF_PORT; the web uses the request's validated host)",
    ),
    Variable("SNAPSHELF_DEBUG", "", _flag, "1: Django debug mode (development only)"),
    Variable(
        "SNAPSHELF_ALLOWED_HOSTS",
        "",
        _comma_list,
        "host names the server answers to, comma-separated (empty: loopback names only; "
        "required to serve on another address)",
    ),
    Variable(
        "SNAPSHELF_CSRF_TRUSTED_ORIGINS",
        "",
        _comma_list,
        "Django CSRF_TRUSTED_ORIGINS, comma-separated",
    ),
    Variable("SNAPSHELF_TIME_ZONE", "UTC", _text, "time zone dates are shown in"),
    Variable(
        "SNAPSHELF_STATIC_ROOT",
        "",
        _path_or_none,
        "where `collectstatic` copies static files (empty: not used)",
    ),
    Variable("SNAPSHELF_LOG_LEVEL", "WARNING", _text, "level of the log on standard error"),
    Variable("SNAPSHELF_OPEN_SIGNUP", "0", _flag, "1: anyone may create an account"),
    Variable(
        "SNAPSHELF_SIGNUPS_PER_HOUR",
        "3",
        int,
        "accounts one client address may create per hour on the sign-up page (0: no limit)",
    ),
    Variable(
        "SNAPSHELF_TRUSTED_PROXIES",
        "",
        _networks,
        "addresses or networks (CIDR) of reverse proxies in front of Snapshelf, comma-"
        "separated: from them the client address is read from X-Forwarded-For (empty: never)",
    ),
    # Single sign-on (OpenID Connect).
    Variable(
        "SNAPSHELF_OIDC_ISSUER",
        "",
        _no_trailing_slash,
        "OpenID Connect provider's issuer URL (empty: single sign-on off)",
    ),
    Variable("SNAPSHELF_OIDC_CLIENT_ID", "", _stripped, "client id registered at the provider"),
    Variable("SNAPSHELF_OIDC_CLIENT_SECRET", "", _stripped, "client secret from the provider"),
    Variable(
        "SNAPSHELF_OIDC_NAME", "OpenID Connect", _stripped, "the provider's name on the log-in page"
    ),
    Variable(
        "SNAPSHELF_OIDC_CREATE_USERS",
        "1",
        _flag,
        "1: a first sign-in with no matching account creates one; 0: only existing accounts",
    ),
    Variable("SNAPSHELF_HTTPS", "", _flag, "1: behind HTTPS (secure cookies, HSTS, redirect)"),
    Variable(
        "SNAPSHELF_HSTS_SECONDS",
        "31536000",
        int,
        "HSTS max-age in seconds (with SNAPSHELF_HTTPS=1)",
    ),
    Variable(
        "SNAPSHELF_ARCHIVE_ORIGIN",
        "",
        _no_trailing_slash,
        "separate origin serving archived content",
    ),
    # Workers and the queue.
    Variable(
        "SNAPSHELF_WORKERS",
        _default_workers,
        int,
        "worker threads inside `serve`; worker processes of `snapshelf worker`",
    ),
    Variable("SNAPSHELF_REDIS_URL", "", _stripped, "Redis URL for the queue and the cache"),
    # Blob storage.
    Variable("SNAPSHELF_S3_BUCKET", "", _stripped, "S3-compatible bucket for blobs"),
    Variable("SNAPSHELF_S3_PREFIX", "blobs/", _text, "key prefix of blobs in the bucket"),
    Variable("SNAPSHELF_S3_ENDPOINT_URL", "", _stripped, "S3 endpoint (empty: AWS)"),
    Variable("SNAPSHELF_S3_REGION", "", _stripped, "S3 region"),
    # Captures.
    Variable("SNAPSHELF_CAPTURE_DEADLINE", "60", float, "seconds one capture may take in all"),
    Variable("SNAPSHELF_CAPTURE_ATTEMPTS", "4", int, "tries per capture for transient failures"),
    Variable(
        "SNAPSHELF_PARSE_CPU_SECONDS",
        "30",
        float,
        "CPU seconds one capture's parsing and extraction may use (then: too_complex)",
    ),
    Variable(
        "SNAPSHELF_PARSE_MEMORY_MB",
        "1024",
        int,
        "memory (MB) one capture's parsing and extraction may add (then: too_complex)",
    ),
    Variable(
        "SNAPSHELF_RETRY_BASE_DELAY", "10", float, "seconds before the first retry (doubling)"
    ),
    Variable(
        "SNAPSHELF_CAPTURE_LEASE",
        "0",
        float,
        "seconds after which a running capture is queued again (0: 2 x deadline + 60)",
    ),
    Variable(
        "SNAPSHELF_GC_GRACE",
        "86400",
        float,
        "seconds an unreferenced blob is kept before the sweep removes it",
    ),
    Variable("SNAPSHELF_HOST_CAPTURES", "4", int, "captures of one host at once (0: no limit)"),
    Variable(
        "SNAPSHELF_USER_CAPTURES_PER_HOUR",
        "1000",
        int,
        "captures one user may queue per hour from the web UI (0: no limit)",
    ),
    Variable(
        "SNAPSHELF_USER_STORAGE_MB",
        "",
        _int_or_none,
        "captured MB one user may keep (0: no limit; empty: 2048 with open sign-up, else 0)",
    ),
    Variable(
        "SNAPSHELF_API_REQUESTS_PER_MINUTE",
        "600",
        int,
        "REST API requests one token may make per minute (0: no limit)",
    ),
    Variable("SNAPSHELF_BROWSER", "auto", _text, "auto, off, or the path to a Chromium binary"),
    # The egress guard.
    Variable(
        "SNAPSHELF_EGRESS_ALLOW",
        "",
        _text,
        "private hosts, addresses or networks captures may reach",
    ),
    Variable("SNAPSHELF_HOSTS", "", _text, "fixed name=address map, comma-separated"),
    Variable("SNAPSHELF_DNS", "system", _dns, "system, or off: resolve only SNAPSHELF_HOSTS"),
]

#: Every variable Snapshelf reads, by name.
VARIABLES: dict[str, Variable] = {v.name: v for v in _DECLARED}
assert len(VARIABLES) == len(_DECLARED), "a variable is declared twice"


def _declared(name: str) -> Variable:
    try:
        return VARIABLES[name]
    except KeyError:
        raise KeyError(f"{name} is not declared in snapshelf.env") from None


def raw(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The variable's text: as set in ``environ`` (default: os.environ), else its default."""
    variable = _declared(name)
    value = (os.environ if environ is None else environ).get(name)
    return variable.default_text() if value is None else value


def get(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The variable's value, parsed (see :data:`VARIABLES` for each one's parser).

    Raises ValueError when the text does not parse (e.g. a port that is not a number).
    """
    return _declared(name).parse(raw(name, environ))
