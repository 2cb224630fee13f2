"""The egress guard fixture, for the tests that turn it on."""

from pavedroad.resilience.pytest_plugin import egress_guard

__all__ = ["egress_guard"]
