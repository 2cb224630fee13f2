"""Test doubles and real-server fixtures, part of the library so teams test the way pavedroad does."""

from pavedroad.testing.answers import comparable, comparable_rows
from pavedroad.testing.clock import Clock, FakeClock, SystemClock
from pavedroad.testing.fault_server import FaultServer
from pavedroad.testing.receiver import EffectReceiver
from pavedroad.testing.servers import TestDatabase, TestServers, start_test_servers
from pavedroad.testing.transport import ScriptedTransport, Step

__all__ = [
    "Clock",
    "EffectReceiver",
    "FakeClock",
    "FaultServer",
    "ScriptedTransport",
    "Step",
    "SystemClock",
    "TestDatabase",
    "TestServers",
    "comparable",
    "comparable_rows",
    "start_test_servers",
]
