"""Unit tests of the egress guard: address classes, allow-list, URL checks, resolution."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapshelf import errors
from snapshelf.net import (
    Deadline,
    Guard,
    StaticResolver,
    forbidden_reason,
    is_forbidden_address,
    parse_allow_list,
    system_resolver,
)
from tests.webserver import TEST_ALLOW, TEST_HOSTS, offline_resolver

FORBIDDEN = [
    # IPv4
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "192.168.255.255",
    "169.254.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "198.19.255.254",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "192.0.0.8",
    # IPv6
    "::1",
    "::",
    "fe80::1",
    "fe80::1%1",
    "febf:ffff::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "ff02::1",
    "2001:db8::1",
    "100::1",
    "fec0::1",
    # IPv6 forms embedding forbidden IPv4
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:169.254.169.254",
    "::ffff:10.1.2.3",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "::10.0.0.1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:7f00:1:1234::5",
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "64:ff9b:1:ffff::5db8:d70e",
    # Teredo: server 65.54.227.120, client (obfuscated) 127.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    # Teredo: server 10.0.0.1 (private), client public
    "2001:0:a00:1:8000:63bf:a247:28f1",
]

ALLOWED = [
    "93.184.215.14",
    "1.1.1.1",
    "8.8.8.8",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "169.253.255.255",
    "198.17.255.255",
    "198.20.0.1",
    "2606:4700::1",
    "2a00:1450:4001:81b::200e",
    "::ffff:93.184.215.14",  # mapped public address
    "2002:5db8:d70e::1",  # 6to4 of 93.184.215.14
    "64:ff9b::5db8:d70e",  # NAT64 of 93.184.215.14
    "2001:0:4136:e378:8000:63bf:a247:28f1",  # Teredo, server and client public
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden_addresses(address: str) -> None:
    assert is_forbidden_address(address), forbidden_reason(address)
    assert is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address: str) -> None:
    assert not is_forbidden_address(address), forbidden_reason(address)


def test_reason_names_the_problem() -> None:
    assert "metadata" in (forbidden_reason("169.254.169.254") or "")
    assert "loopback" in (forbidden_reason("::ffff:127.0.0.1") or "")
    assert "127.0.0.1" in (forbidden_reason("2002:7f00:1::") or "")
    assert forbidden_reason("93.184.215.14") is None


def test_not_an_address_raises() -> None:
    with pytest.raises(ValueError):
        is_forbidden_address("site.test")


_PRIVATE_V4 = st.one_of(
    st.integers(
        int(ipaddress.IPv4Address("10.0.0.0")), int(ipaddress.IPv4Address("10.255.255.255"))
    ),
    st.integers(
        int(ipaddress.IPv4Address("172.16.0.0")), int(ipaddress.IPv4Address("172.31.255.255"))
    ),
    st.integers(
        int(ipaddress.IPv4Address("192.168.0.0")), int(ipaddress.IPv4Address("192.168.255.255"))
    ),
    st.integers(
        int(ipaddress.IPv4Address("127.0.0.0")), int(ipaddress.IPv4Address("127.255.255.255"))
    ),
    st.integers(
        int(ipaddress.IPv4Address("169.254.0.0")), int(ipaddress.IPv4Address("169.254.255.255"))
    ),
    st.integers(
        int(ipaddress.IPv4Address("100.64.0.0")), int(ipaddress.IPv4Address("100.127.255.255"))
    ),
).map(ipaddress.IPv4Address)


@given(_PRIVATE_V4)
def test_property_private_v4_and_every_v6_embedding_refused(v4: ipaddress.IPv4Address) -> None:
    n = int(v4)
    forms = [
        v4,
        ipaddress.IPv6Address(f"::ffff:{v4}"),  # IPv4-mapped
        ipaddress.IPv6Address(n),  # IPv4-compatible
        ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | 1),  # 6to4
        ipaddress.IPv6Address((0x0064FF9B << 96) | n),  # NAT64
        # Teredo with this address as the (obfuscated) client
        ipaddress.IPv6Address((0x20010000 << 96) | (0x4136E378 << 64) | (n ^ 0xFFFFFFFF)),
        # Teredo with this address as the server
        ipaddress.IPv6Address((0x20010000 << 96) | (n << 64) | 0x5DB8D70E ^ 0xFFFFFFFF),
    ]
    for form in forms:
        assert is_forbidden_address(form), form
        assert is_forbidden_address(str(form)), form


@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
def test_property_agrees_with_stdlib_on_non_global(v4: ipaddress.IPv4Address) -> None:
    # Anything the standard library calls private or non-global is refused too.
    if v4.is_private or v4.is_loopback or v4.is_link_local or v4.is_multicast or v4.is_reserved:
        assert is_forbidden_address(v4)
    if not v4.is_global:
        assert is_forbidden_address(v4)


# -- allow-list ----------------------------------------------------------------


def test_parse_allow_list() -> None:
    allow = parse_allow_list(" 127.0.0.1/32, ::1,Wiki.Intranet., 10.1.0.0/16 ,[fd00::1]")
    assert allow.allows_address("127.0.0.1")
    assert not allow.allows_address("127.0.0.2")
    assert allow.allows_address("::1")
    assert allow.allows_address("10.1.200.3")
    assert not allow.allows_address("10.2.0.1")
    assert allow.allows_address("fd00::1")
    assert allow.allows_address("::ffff:127.0.0.1")  # mapped form of an allowed address
    assert allow.allows_host("wiki.intranet")
    assert allow.allows_host("WIKI.intranet.")
    assert not allow.allows_host("other.intranet")
    assert not parse_allow_list(None)
    assert not parse_allow_list("")
    assert not parse_allow_list(" , ")


@pytest.mark.parametrize("bad", ["not a host", "10.0.0.0/33", "http://x/", "a@b"])
def test_parse_allow_list_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_allow_list(bad)


def test_allowed_name_may_resolve_anywhere() -> None:
    resolver = StaticResolver({"wiki.intranet": ["10.0.0.5"], "evil.test": ["10.0.0.5"]})
    guard = Guard(parse_allow_list("wiki.intranet"), resolver=resolver)
    assert guard.resolve("wiki.intranet", 80) == "10.0.0.5"
    with pytest.raises(errors.Blocked, match=r"evil\.test.*10\.0\.0\.5"):
        guard.resolve("evil.test", 80)


def test_allowed_network() -> None:
    guard = Guard(parse_allow_list("10.0.0.0/8"), resolver=StaticResolver({"a.test": ["10.9.9.9"]}))
    assert guard.resolve("a.test", 8080) == "10.9.9.9"
    assert guard.resolve("10.1.1.1", 80) == "10.1.1.1"
    with pytest.raises(errors.Blocked):
        guard.resolve("192.168.1.1", 80)


def test_empty_allow_list_by_default() -> None:
    guard = Guard(resolver=StaticResolver({"site.test": ["127.0.0.1"]}, fallback=offline_resolver))
    with pytest.raises(errors.Blocked, match="127.0.0.1"):
        guard.resolve("site.test", 80)


# -- resolution ------------------------------------------------------------------


def test_any_forbidden_answer_refuses() -> None:
    resolver = StaticResolver({"mixed.test": ["93.184.215.14", "127.0.0.2"]}, offline_resolver)
    guard = Guard(parse_allow_list(TEST_ALLOW), resolver=resolver)
    with pytest.raises(errors.Blocked) as info:
        guard.resolve("mixed.test", 80)
    assert "mixed.test" in info.value.message
    assert "127.0.0.2" in info.value.message
    assert info.value.code == "blocked"


def test_public_answer_is_returned_without_connecting() -> None:
    resolver = StaticResolver({"pub.test": ["93.184.215.14", "2606:4700::1"]}, offline_resolver)
    assert Guard(resolver=resolver).resolve("pub.test", 443) == "93.184.215.14"


def test_resolver_called_once_per_resolve() -> None:
    calls: list[str] = []

    def counting(host: str) -> list[str]:
        calls.append(host)
        return ["93.184.215.14"]

    Guard(resolver=counting).resolve("Pub.Test.", 80)
    assert calls == ["pub.test"]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.2",
        "2130706434",
        "0x7f000002",
        "0X7F000002",
        "0x7f.0.0.2",
        "0177.0.0.2",
        "017700000002",
        "127.0.2",
        "127.2",
        "127.000.000.002",
        "127.0.0.2.",
        "[::ffff:127.0.0.2]",
        "::ffff:7f00:2",
        "::127.0.0.2",
        "0",
        "0.0.0.0",
    ],
)
def test_numeric_spellings_are_interpreted_not_looked_up(host: str) -> None:
    looked_up: list[str] = []

    def spy(name: str) -> list[str]:
        looked_up.append(name)
        return ["93.184.215.14"]  # a lie: if numeric hosts reached DNS, this would pass

    guard = Guard(parse_allow_list(TEST_ALLOW), resolver=spy)
    with pytest.raises(errors.Blocked):
        guard.resolve(host, 80)
    assert looked_up == []


def test_static_resolver_from_env() -> None:
    resolver = StaticResolver.from_env(TEST_HOSTS + ",site.test=::1", fallback=offline_resolver)
    assert resolver("site.test") == ["127.0.0.1", "::1"]
    assert resolver("CDN.test.") == ["127.0.0.1"]
    with pytest.raises(errors.ConnectionFailed):
        resolver("example.com")
    assert StaticResolver.from_env("", fallback=offline_resolver) is offline_resolver
    assert StaticResolver.from_env(None) is system_resolver
    with pytest.raises(ValueError):
        StaticResolver.from_env("site.test")
    with pytest.raises(ValueError):
        StaticResolver.from_env("site.test=not-an-ip")


def test_system_resolver_numeric_and_failure() -> None:
    assert system_resolver("127.0.0.1") == ["127.0.0.1"]
    with pytest.raises(errors.ConnectionFailed):
        system_resolver("no-such-host.invalid.")


def test_guard_from_env() -> None:
    guard = Guard.from_env({"SNAPSHELF_EGRESS_ALLOW": TEST_ALLOW, "SNAPSHELF_HOSTS": TEST_HOSTS})
    assert guard.resolve("cdn.test", 80) == "127.0.0.1"
    with pytest.raises(errors.Blocked):
        guard.resolve("127.0.0.2", 80)
    default = Guard.from_env({})
    assert not default.allow
    with pytest.raises(errors.Blocked):
        default.resolve("127.0.0.1", 80)


# -- URL checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://site.test/file",
        "javascript:alert(1)",
        "data:text/html,<h1>hi</h1>",
        "gopher://site.test/",
        "ws://site.test/",
        "FILE:///etc/passwd",
    ],
)
def test_non_http_schemes_blocked(test_guard: Guard, url: str) -> None:
    with pytest.raises(errors.Blocked, match="http"):
        test_guard.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://",
        "http:///path",
        "/relative/path",
        "site.test/page",
        "http://site.test:0/",
        "http://site.test:99999/",
        "http://user:secret@site.test/",
        "http://site.test@127.0.0.2/",
        "http://site.test:80@127.0.0.2/",
        "http://[::1/",
    ],
)
def test_invalid_urls(test_guard: Guard, url: str) -> None:
    with pytest.raises(errors.InvalidURL):
        test_guard.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2/",
        "http://2130706434/",
        "http://0x7f000002/",
        "http://127.0.2/",
        "http://[::ffff:127.0.0.2]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1%25lo]/",
        "https://10.0.0.1/",
        "http://site.test:25/",  # SMTP is not a web port
    ],
)
def test_check_url_refuses_numeric_and_bad_ports_early(test_guard: Guard, url: str) -> None:
    with pytest.raises(errors.Blocked):
        test_guard.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://site.test/",
        "https://site.test:8443/a?b=c#d",
        "http://127.0.0.1:8000/",
        "http://[::1]/",
    ],
)
def test_check_url_accepts(test_guard: Guard, url: str) -> None:
    test_guard.check_url(url)


def test_deadline() -> None:
    deadline = Deadline(0.2)
    assert 0 < deadline.remaining() <= 0.2
    assert not deadline.expired()
    deadline.check()
    spent = Deadline(0)
    assert spent.remaining() == 0
    assert spent.expired()
    with pytest.raises(errors.Timeout):
        spent.check()


def test_dns_off_resolves_only_the_host_map():
    from snapshelf.errors import ConnectionFailed
    from snapshelf.net import Guard

    guard = Guard.from_env(
        {
            "SNAPSHELF_DNS": "off",
            "SNAPSHELF_HOSTS": "site.test=127.0.0.1",
            "SNAPSHELF_EGRESS_ALLOW": "127.0.0.1/32",
        }
    )
    assert guard.resolve("site.test", 80) == "127.0.0.1"
    with pytest.raises(ConnectionFailed, match="DNS is off"):
        guard.resolve("example.org", 80)
    with pytest.raises(ValueError):
        Guard.from_env({"SNAPSHELF_DNS": "sometimes"})
