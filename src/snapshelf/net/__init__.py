"""Outgoing network access: the egress guard and the HTTP client built on it.

Everything that leaves the machine goes through :class:`Guard` (which decides
where we may connect) and :class:`Fetcher` (which connects only where the guard
said). The README's Security section says what it refuses.
"""

from snapshelf.net.deadline import Deadline
from snapshelf.net.fetch import DEFAULT_USER_AGENT, Fetcher, GuardedBackend, Response
from snapshelf.net.guard import (
    AllowList,
    Guard,
    forbidden_reason,
    is_forbidden_address,
    numeric_addresses,
    parse_allow_list,
)
from snapshelf.net.resolve import Resolver, StaticResolver, system_resolver

__all__ = [
    "DEFAULT_USER_AGENT",
    "AllowList",
    "Deadline",
    "Fetcher",
    "Guard",
    "GuardedBackend",
    "Resolver",
    "Response",
    "StaticResolver",
    "forbidden_reason",
    "is_forbidden_address",
    "numeric_addresses",
    "parse_allow_list",
    "system_resolver",
]
