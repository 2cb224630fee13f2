"""The egress guard: outbound connections that bypass a pipeline fail before any packet leaves.

No test here opens a connection to a non-loopback address: the audit event is raised with ``sys.audit``
exactly as ``socket.connect`` raises it, so a broken guard could not send traffic anywhere.
"""

from __future__ import annotations

import socket
import sys

import httpx
import pytest
import structlog

from pavedroad.errors import ConfigurationError
from pavedroad.resilience import EgressBlocked, Pipeline, ResilientTransport, configure_guard_from_env, egress_guard
from pavedroad.resilience.guard import blocked_address, guard_mode
from pavedroad.testing import FakeClock, FaultServer


def connect_event(address: object) -> None:
    sys.audit("socket.connect", None, address)


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        (("127.0.0.1", 5432), False),
        (("127.3.4.5", 80), False),
        (("::1", 80, 0, 0), False),
        (("::ffff:127.0.0.1", 80, 0, 0), False),
        (("localhost", 80), False),
        (("0.0.0.0", 80), False),  # noqa: S104 - a connect target here, not a bind
        ("/run/postgresql/.s.PGSQL.5432", False),
        (("192.0.2.10", 443), True),
        (("10.1.2.3", 5432), True),
        (("2001:db8::1", 443, 0, 0), True),
        (("jobs.example", 443), True),
    ],
)
def test_the_decision(address: object, blocked: bool) -> None:
    assert (blocked_address(address) is not None) is blocked


def test_allow_list_by_host_and_network() -> None:
    from pavedroad.resilience.guard import _parse_allow

    hosts, networks = _parse_allow(["db.internal", "10.20.0.0/16"])
    assert blocked_address(("db.internal", 5432), hosts, networks) is None
    assert blocked_address(("10.20.7.7", 4222), hosts, networks) is None
    assert blocked_address(("10.21.7.7", 4222), hosts, networks) == "10.21.7.7:4222"


def test_unguarded_egress_fails(egress_guard: None) -> None:
    with pytest.raises(EgressBlocked) as blocked:
        connect_event(("192.0.2.10", 443))
    assert blocked.value.to_dict()["address"] == "192.0.2.10:443"


def test_guard_is_off_outside_the_fixture() -> None:
    if guard_mode() != "off":
        pytest.skip("this run turned the egress guard on for every test (--egress-guard)")
    connect_event(("192.0.2.10", 443))  # no error: the guard is opt-in
    assert guard_mode() == "off"


def test_connections_made_by_a_pipeline_pass(egress_guard: None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        connect_event(("192.0.2.10", 443))  # what httpx's own transport would do inside the attempt
        return httpx.Response(200)

    transport = ResilientTransport(Pipeline("jobs", clock=FakeClock()), httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client:
        assert client.get("https://jobs.example/").status_code == 200


def test_a_raw_client_is_stopped_before_connecting(egress_guard: None) -> None:
    """A real socket: the hook raises inside connect(), before the system call."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(EgressBlocked):
            sock.connect(("192.0.2.10", 9))
    finally:
        sock.close()


def test_loopback_stays_open(egress_guard: None) -> None:
    with FaultServer() as server, httpx.Client() as client:
        assert client.get(server.url).status_code == 200


def test_warn_mode_logs_and_lets_through() -> None:
    with egress_guard(mode="warn"), structlog.testing.capture_logs() as logs:
        connect_event(("192.0.2.10", 443))
    assert [e["address"] for e in logs if e["event"] == "resilience.egress.unguarded"] == ["192.0.2.10:443"]


def test_production_opt_in_from_the_environment() -> None:
    with egress_guard(mode="off"):
        assert configure_guard_from_env({"PAVEDROAD_RESILIENCE_GUARD": "warn"}) == "warn"
        assert guard_mode() == "warn"
        assert configure_guard_from_env({}) == "off"
        with pytest.raises(ConfigurationError):
            configure_guard_from_env({"PAVEDROAD_RESILIENCE_GUARD": "maybe"})
