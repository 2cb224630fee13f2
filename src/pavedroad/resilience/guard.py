"""The runtime egress guard: a Python audit hook on ``socket.connect`` that fails outbound connections
which did not come through a resilience pipeline.

Allowed: loopback and unspecified addresses (``127.0.0.0/8``, ``::1``, ``localhost``, ``0.0.0.0``), Unix
sockets, hosts and networks on the allow-list (infrastructure: a managed Postgres, a NATS cluster), and
any connection made while a ``ResilientTransport`` attempt is running (``THROUGH_PIPELINE`` is set).
Anything else raises ``EgressBlocked`` from inside ``connect`` — before the system call, so no packet
leaves — or, in ``warn`` mode, logs ``resilience.egress.unguarded`` and lets it through.

Audit hooks cannot be removed, so ``install_egress_guard`` adds one hook per process, once; ``mode``
switches it between ``off``, ``warn`` and ``enforce``. ``egress_guard()`` turns it on for a block (the
pytest fixture uses it); production opts in with ``PAVEDROAD_RESILIENCE_GUARD=enforce`` (or ``warn``)
and ``configure_guard_from_env()``.

    >>> import sys
    >>> with egress_guard():
    ...     try:
    ...         sys.audit("socket.connect", None, ("192.0.2.1", 443))   # what socket.connect would report
    ...     except EgressBlocked as exc:
    ...         print(exc.code)
    E536
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import structlog

from pavedroad.resilience.errors import EgressBlocked

__all__ = [
    "THROUGH_PIPELINE",
    "GuardMode",
    "blocked_address",
    "configure_guard_from_env",
    "egress_guard",
    "install_egress_guard",
]

GuardMode = Literal["off", "warn", "enforce"]
THROUGH_PIPELINE: ContextVar[str | None] = ContextVar("pavedroad_resilience_through", default=None)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class _Guard:
    mode: GuardMode = "off"
    installed = False
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()


def _parse_allow(allow: Iterable[str]) -> tuple[frozenset[str], tuple[Network, ...]]:
    hosts: set[str] = set()
    networks: list[Network] = []
    for item in allow:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower().rstrip("."))
    return frozenset(hosts), tuple(networks)


def blocked_address(  # noqa: PLR0911 - one return per rule, in the order the docstring lists them
    address: Any, hosts: frozenset[str] = frozenset(), networks: tuple[Network, ...] = ()
) -> str | None:
    """The pure decision: the address as text when a connect to it must be stopped, else ``None``."""
    if not isinstance(address, tuple) or not address:
        return None  # AF_UNIX paths and other families never leave the machine
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return None
    name = host.lower().rstrip(".")
    port = address[1] if len(address) > 1 else "?"
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if name in _LOCAL_NAMES or name in hosts:
            return None
        return f"{host}:{port}"
    if ip.is_loopback or ip.is_unspecified or name in hosts:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback:
        return None
    if any(ip in network for network in networks if network.version == ip.version):
        return None
    return f"{host}:{port}"


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "socket.connect" or _Guard.mode == "off" or THROUGH_PIPELINE.get() is not None:
        return
    blocked = blocked_address(args[1] if len(args) > 1 else None, _Guard.hosts, _Guard.networks)
    if blocked is None:
        return
    if _Guard.mode == "warn":
        structlog.get_logger("pavedroad.resilience").warning("resilience.egress.unguarded", address=blocked)
        return
    raise EgressBlocked(blocked)


def install_egress_guard(*, mode: GuardMode = "enforce", allow: Iterable[str] = ()) -> None:
    """Install the audit hook (once per process) and set its mode and allow-list."""
    if not _Guard.installed:
        sys.addaudithook(_hook)
        _Guard.installed = True
    _Guard.hosts, _Guard.networks = _parse_allow(allow)
    _Guard.mode = mode


def guard_mode() -> GuardMode:
    return _Guard.mode


@contextmanager
def egress_guard(*, allow: Iterable[str] = (), mode: GuardMode = "enforce") -> Iterator[None]:
    """Enforce (or warn about) unguarded egress inside the block; restores the previous mode after."""
    previous = (_Guard.mode, _Guard.hosts, _Guard.networks)
    install_egress_guard(mode=mode, allow=allow)
    try:
        yield
    finally:
        _Guard.mode, _Guard.hosts, _Guard.networks = previous


def configure_guard_from_env(environ: dict[str, str] | None = None) -> GuardMode:
    """Production opt-in: ``PAVEDROAD_RESILIENCE_GUARD`` (off/warn/enforce) and a comma-separated
    ``PAVEDROAD_RESILIENCE_EGRESS_ALLOW`` (hosts or CIDRs)."""
    env = os.environ if environ is None else environ
    mode = env.get("PAVEDROAD_RESILIENCE_GUARD", "off").strip().lower()
    if mode not in ("off", "warn", "enforce"):
        from pavedroad.errors import ConfigurationError

        raise ConfigurationError(
            f"setting PAVEDROAD_RESILIENCE_GUARD is invalid: {mode!r}",
            hint="expected one of off, warn, enforce",
            setting="PAVEDROAD_RESILIENCE_GUARD",
        )
    allow = [item.strip() for item in env.get("PAVEDROAD_RESILIENCE_EGRESS_ALLOW", "").split(",") if item.strip()]
    if mode != "off" or _Guard.installed:
        install_egress_guard(mode=mode, allow=allow)  # type: ignore[arg-type]
    return mode  # type: ignore[return-value]
