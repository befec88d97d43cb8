"""The bind check: an API reachable from the network must not be open by accident."""

from __future__ import annotations

import ipaddress

from config import ConfigError, Settings


def is_loopback(host: str) -> bool:
    """True for "localhost", 127.0.0.0/8 and ::1 (not for 0.0.0.0 or ::, every interface)."""
    name = host.strip().lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_exposure(settings: Settings, host: str) -> None:
    """Refuse to serve on a non-loopback `host` when anyone there could read the API.

    Raises ConfigError unless `host` is loopback, API tokens are configured, or
    api.anonymous_read is set.
    """
    if is_loopback(host) or settings.api.tokens or settings.api.anonymous_read:
        return
    raise ConfigError(
        f"refusing to serve the API on {host!r}, which is not a loopback address, with no "
        "API tokens configured: add tokens to [api] tokens (make one with `remitwatch token "
        "new NAME`), or set api.anonymous_read = true (REMITWATCH_API__ANONYMOUS_READ=true) "
        "to let anyone who can reach the address read the API, or bind to 127.0.0.1"
    )
