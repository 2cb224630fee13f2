"""The demo rollout flag is published once: a second run, or an operator's own flag of that key, is kept."""

from __future__ import annotations

import psycopg
import pytest

from pavedroad.flags.store import get_flag, run
from pavedroad.recruiting.demo import DEMO_FLAG, ensure_demo_flag
from pavedroad.testing import TestDatabase

pytestmark = pytest.mark.integration


def test_the_demo_flag_is_published_once(database: TestDatabase) -> None:
    assert ensure_demo_flag(database.owner_url) is True
    assert ensure_demo_flag(database.owner_url) is False
    with psycopg.connect(database.owner_url) as conn:
        assert run(conn, get_flag(DEMO_FLAG)) is not None
