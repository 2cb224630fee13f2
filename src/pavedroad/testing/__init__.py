"""Test doubles and real-server fixtures, part of the library so teams test the way pavedroad does."""

from pavedroad.testing.clock import Clock, FakeClock, SystemClock
from pavedroad.testing.servers import TestDatabase, TestServers, start_test_servers

__all__ = ["Clock", "FakeClock", "SystemClock", "TestDatabase", "TestServers", "start_test_servers"]
