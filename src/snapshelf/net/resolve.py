"""Host name resolution for the egress guard.

The guard resolves a name exactly once per connection and then connects to the
address it approved, so resolvers are plain callables: name in, addresses out.
Tests and operators can pin names to addresses (like /etc/hosts) with
:class:`StaticResolver` so fixture host names never touch real DNS.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from snapshelf import errors

#: host name -> list of IP address strings, in preference order.
Resolver = Callable[[str], list[str]]


def _normalise_name(host: str) -> str:
    """Lower-case and drop one trailing dot, so "Site.Test." and "site.test" match."""
    host = host.strip().lower()
    if host.endswith(".") and host != ".":
        host = host[:-1]
    return host


def system_resolver(host: str) -> list[str]:
    """Resolve with the operating system (getaddrinfo), once, TCP addresses only.

    Addresses come back in the system's preference order with duplicates removed.
    Failure becomes Unresolvable (a ConnectionFailed): a name that does not resolve is a fault of
    the destination, not something the guard refused.
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise errors.Unresolvable(f"could not resolve host name {host!r}: {exc}") from exc
    addresses: list[str] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class StaticResolver:
    """A fixed host map consulted before another resolver (an /etc/hosts for Snapshelf).

    Tests use it to point several fixture host names at 127.0.0.1; with a fallback
    that refuses, nothing ever reaches real DNS.
    """

    def __init__(self, mapping: dict[str, list[str]], fallback: Resolver = system_resolver) -> None:
        self.mapping: dict[str, list[str]] = {}
        for name, addresses in mapping.items():
            checked = [str(ipaddress.ip_address(a.strip())) for a in addresses]
            self.mapping.setdefault(_normalise_name(name), []).extend(checked)
        self.fallback = fallback

    def __call__(self, host: str) -> list[str]:
        found = self.mapping.get(_normalise_name(host))
        if found is not None:
            return list(found)
        return self.fallback(host)

    def __repr__(self) -> str:
        return f"StaticResolver({self.mapping!r}, fallback={self.fallback!r})"

    @classmethod
    def from_env(cls, value: str | None, fallback: Resolver = system_resolver) -> Resolver:
        """Parse SNAPSHELF_HOSTS ("site.test=127.0.0.1,cdn.test=::1"); empty -> ``fallback``.

        Repeat a name to give it several addresses. A malformed entry raises
        ValueError: a typo in configuration should stop the process, not be ignored.
        """
        if not value or not value.strip():
            return fallback
        mapping: dict[str, list[str]] = {}
        for entry in value.replace(";", ",").split(","):
            entry = entry.strip()
            if not entry:
                continue
            name, sep, address = entry.partition("=")
            name, address = name.strip(), address.strip().strip("[]")
            if not sep or not name or not address:
                raise ValueError(f"SNAPSHELF_HOSTS entry {entry!r} is not of the form name=address")
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(
                    f"SNAPSHELF_HOSTS entry {entry!r}: {address!r} is not an IP address"
                ) from None
            mapping.setdefault(name, []).append(address)
        return cls(mapping, fallback=fallback)
