"""The egress guard: the one place that decides which destinations may be contacted.

Every outgoing connection asks :meth:`Guard.resolve` for the address to connect
to. The guard resolves the host name once, refuses if any answer is an address
that is not on the public internet (unless the operator allowed it), and returns
the single address the client must connect to, so a DNS answer that changes
between check and connect (rebinding) cannot redirect us.

Numeric host spellings (``2130706433``, ``0x7f.1``, ``127.1``, ``[::ffff:7f00:1]``)
are interpreted exactly as the operating system would interpret them
(``getaddrinfo`` with ``AI_NUMERICHOST``) and the check applies to the result.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import httpx

from snapshelf import env, errors
from snapshelf.net.resolve import Resolver, StaticResolver, system_resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IPv4 ranges that are not ordinary public unicast (IANA special-purpose registry,
# RFC 6890 and successors). First match gives the reason shown to the user.
_FORBIDDEN_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified ('this network')"),
    (_V4("10.0.0.0/8"), "private (RFC 1918)"),
    (_V4("100.64.0.0/10"), "shared carrier-grade NAT (RFC 6598)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.169.254/32"), "link-local (cloud metadata service)"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private (RFC 1918)"),
    (_V4("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "documentation (TEST-NET-1)"),
    (_V4("192.88.99.0/24"), "reserved (deprecated 6to4 relay anycast)"),
    (_V4("192.168.0.0/16"), "private (RFC 1918)"),
    (_V4("198.18.0.0/15"), "benchmarking (RFC 2544)"),
    (_V4("198.51.100.0/24"), "documentation (TEST-NET-2)"),
    (_V4("203.0.113.0/24"), "documentation (TEST-NET-3)"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

# IPv6 forms that carry an IPv4 address: judged by the address they embed.
_V6_MAPPED = _V6("::ffff:0:0/96")
_V6_NAT64 = _V6("64:ff9b::/96")
_V6_TEREDO = _V6("2001::/32")
_V6_6TO4 = _V6("2002::/16")
#: All IPv6 global unicast space; anything outside it (and not an embedding form) is refused.
_V6_GLOBAL_UNICAST = _V6("2000::/3")

_FORBIDDEN_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "IPv4-compatible (deprecated)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"),
    (_V6("100::/64"), "discard-only (RFC 6666)"),
    (_V6("2001:2::/48"), "benchmarking (RFC 5180)"),
    (_V6("2001:10::/28"), "reserved (deprecated ORCHID)"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
    (_V6("5f00::/16"), "reserved (SRv6 SIDs)"),
    (_V6("fc00::/7"), "private (unique local)"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (deprecated)"),
    (_V6("ff00::/8"), "multicast"),
)

#: Ports browsers refuse to fetch (WHATWG Fetch "bad port"): talking HTTP to
#: mail, shell or chat services is never a legitimate snapshot.
BAD_PORTS = frozenset(
    {
        1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79,
        87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
        139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540,
        548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
        3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679,
        6697, 10080,
    }
)  # fmt: skip


def _as_address(ip: str | IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ip
    return ipaddress.ip_address(str(ip).strip().strip("[]"))


def _v4_reason(ip: ipaddress.IPv4Address) -> str | None:
    for network, reason in _FORBIDDEN_V4:
        if ip in network:
            return reason
    return None


def forbidden_reason(ip: str | IPAddress) -> str | None:
    """Why ``ip`` must not be contacted (e.g. "loopback"), or None for a public address.

    Raises ValueError when ``ip`` is not an IP address.
    """
    address = _as_address(ip)
    if isinstance(address, ipaddress.IPv4Address):
        return _v4_reason(address)

    embedded: list[tuple[str, ipaddress.IPv4Address]] = []
    if address in _V6_MAPPED:
        embedded.append(("IPv4-mapped", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    elif address in _V6_NAT64:
        embedded.append(("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    elif address in _V6_6TO4:
        v4 = address.sixtofour
        assert v4 is not None
        embedded.append(("6to4", v4))
    elif address in _V6_TEREDO:
        teredo = address.teredo
        assert teredo is not None
        server, client = teredo
        embedded += [("Teredo server", server), ("Teredo client", client)]
    if embedded:
        for form, v4 in embedded:
            reason = _v4_reason(v4)
            if reason is not None:
                return f"{form} form of {v4}, which is {reason}"
        return None

    for network, reason in _FORBIDDEN_V6:
        if address in network:
            return reason
    if address not in _V6_GLOBAL_UNICAST:
        return "reserved (outside IPv6 global unicast space)"
    return None


def is_forbidden_address(ip: str | IPAddress) -> bool:
    """True when ``ip`` is not public: loopback, private, link-local, reserved, or embeds one."""
    return forbidden_reason(ip) is not None


def _normalise_host(host: str) -> str:
    """Canonical form for comparing and resolving host names.

    Percent-escapes are decoded (an IPv6 zone "%25eth0" in a URL is "%eth0" to the
    OS), brackets and one trailing dot are dropped ("127.0.0.1." is that address).
    """
    host = urllib.parse.unquote(host.strip()).strip("[]").lower()
    if host.endswith(".") and host != ".":
        host = host[:-1]
    return host


def numeric_addresses(host: str) -> list[str] | None:
    """The addresses a numeric host spelling stands for, as the OS reads it; None for a name.

    Uses getaddrinfo with AI_NUMERICHOST, so "2130706433", "0x7f.1", "0177.0.0.1" and
    "127.1" mean exactly what they would mean to connect(), and no DNS is queried.
    """
    if not host or any(ch.isspace() for ch in host):
        return None
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    found: list[str] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family == socket.AF_INET6 and len(sockaddr) >= 4 and sockaddr[3]:
            address = f"{sockaddr[0].split('%')[0]}%{sockaddr[3]}"
        else:
            address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found or None


@dataclass(frozen=True)
class AllowList:
    """Destinations the operator allows even though they are not public.

    A host name allows that host whatever it resolves to; an address or network
    allows those addresses under any name.
    """

    names: frozenset[str] = field(default_factory=frozenset)
    networks: tuple[IPNetwork, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.networks)

    def allows_host(self, host: str) -> bool:
        return _normalise_host(host) in self.names

    def allows_address(self, ip: str | IPAddress) -> bool:
        address = _as_address(ip)
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )


def parse_allow_list(value: str | None) -> AllowList:
    """Parse SNAPSHELF_EGRESS_ALLOW: host names, addresses or CIDR networks, comma-separated.

    Raises ValueError on an entry that is neither, so a typo fails loudly at start-up.
    """
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in (value or "").replace(";", ",").split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        name = _normalise_host(entry)
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(
                f"egress allow-list entry {entry!r} is not a valid host name"
            ) from None
        if not name or any(not (ch.isalnum() or ch in "-._") for ch in name):
            raise ValueError(
                f"egress allow-list entry {entry!r} is neither a host name, "
                "an IP address nor a network"
            )
        names.add(name)
    return AllowList(frozenset(names), tuple(networks))


class Guard:
    """Decides whether a URL may be fetched and which address to connect to."""

    def __init__(
        self, allow: AllowList | None = None, resolver: Resolver = system_resolver
    ) -> None:
        self.allow = allow if allow is not None else AllowList()
        self.resolver = resolver

    def __repr__(self) -> str:
        return f"Guard(allow={self.allow!r}, resolver={self.resolver!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Guard:
        """Build from SNAPSHELF_EGRESS_ALLOW, SNAPSHELF_HOSTS and SNAPSHELF_DNS (all optional).

        SNAPSHELF_DNS=off resolves only the names in SNAPSHELF_HOSTS: an
        air-gapped instance (and the test suite) never sends a DNS query.
        """
        dns = env.get("SNAPSHELF_DNS", environ)
        fallback = system_resolver if dns == "system" else _no_dns
        hosts = env.get("SNAPSHELF_HOSTS", environ)
        return cls(
            allow=parse_allow_list(env.get("SNAPSHELF_EGRESS_ALLOW", environ)),
            resolver=StaticResolver.from_env(hosts, fallback=fallback)
            if hosts.strip()
            else fallback,
        )

    def parse_url(self, url: str | httpx.URL) -> httpx.URL:
        """Validate ``url`` for fetching and return it parsed (see :meth:`check_url`)."""
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
            raw_host = parsed.host  # decodes "xn--" labels: an invalid one raises here
        except (httpx.InvalidURL, TypeError, ValueError) as exc:  # IDNAError is a ValueError
            raise errors.InvalidURL(f"not a valid URL: {url!r} ({exc})") from exc
        scheme = parsed.scheme
        if not scheme:
            raise errors.InvalidURL(f"not an absolute URL: {url!r}")
        if scheme not in ("http", "https"):
            raise errors.Blocked(f"only http and https URLs can be fetched, not {scheme}: URLs")
        if parsed.userinfo:
            raise errors.InvalidURL(
                f"URLs with a user name or password before the host are not fetched: {url!r}"
            )
        host = _normalise_host(raw_host)
        if not host:
            raise errors.InvalidURL(f"URL has no host: {url!r}")
        port = parsed.port if parsed.port is not None else (443 if scheme == "https" else 80)
        self._check_port(host, port)
        # Numeric hosts are judged right away; names are judged when we connect.
        addresses = numeric_addresses(host)
        if addresses is not None:
            self._check_addresses(host, addresses)
        return parsed

    def check_url(self, url: str) -> None:
        """Refuse URLs we never fetch: non-HTTP(S) schemes, credentials, no host, bad port.

        Raises errors.InvalidURL for malformed URLs and errors.Blocked for refused
        destinations (including numeric hosts that are not public).
        """
        self.parse_url(url)

    def resolve(self, host: str, port: int) -> str:
        """Resolve ``host`` once and return the single approved address to connect to.

        Raises errors.Blocked naming the host and the address when any resolved
        address is not public and not allow-listed.
        """
        name = _normalise_host(host)
        if not name:
            raise errors.InvalidURL("empty host name")
        self._check_port(name, port)
        addresses = numeric_addresses(name)
        if addresses is None:
            addresses = list(self.resolver(name))
            if not addresses:
                raise errors.Unresolvable(f"host name {host!r} has no addresses")
            if self.allow.allows_host(name):
                return addresses[0]
        self._check_addresses(host, addresses)
        return addresses[0]

    def _check_port(self, host: str, port: int) -> None:
        if not 0 < port < 65536:
            raise errors.InvalidURL(f"invalid port {port} for {host}")
        if port in BAD_PORTS:
            raise errors.Blocked(f"refusing to connect to {host} on port {port}: not a web port")

    def _check_addresses(self, host: str, addresses: Iterable[str]) -> None:
        for address in addresses:
            try:
                reason = forbidden_reason(address)
            except ValueError:
                raise errors.Blocked(
                    f"refusing to connect to {host}: resolver gave {address!r}, not an IP address"
                ) from None
            if reason is None or self.allow.allows_address(address):
                continue
            target = (
                host
                if _normalise_host(host) == _normalise_host(address)
                else (f"{host} (resolves to {address})")
            )
            raise errors.Blocked(
                f"refusing to connect to {target}: {address} is not a public address "
                f"({reason}); add it to SNAPSHELF_EGRESS_ALLOW to allow it"
            )

    def is_forbidden_address(self, ip: str | IPAddress) -> bool:
        """True when ``ip`` is not public and not on this guard's allow-list."""
        return is_forbidden_address(ip) and not self.allow.allows_address(ip)


def _no_dns(host: str) -> list[str]:
    raise errors.Unresolvable(f"{host!r} is not in SNAPSHELF_HOSTS and DNS is off")
