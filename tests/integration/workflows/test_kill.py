"""Crash safety, CI size: worker processes SIGKILLed at random moments while 30 ten-step workflows run;
every side effect reaches the receiving server exactly once, no run is lost or stuck. (Full size:
``benchmarks/workflows.py``.)"""

from __future__ import annotations

from pathlib import Path

from pavedroad.testing import TestDatabase
from pavedroad.testing.workflow_kill import run_kill


def test_sigkilled_workers_lose_and_duplicate_no_effect(database: TestDatabase, tmp_path: Path) -> None:
    result = run_kill(
        database.app_url,
        database.owner_url,
        count=30,
        workers=3,
        kills=5,
        log=tmp_path / "workers.log",
        seed=21,
        lease_s=2.0,
        timeout_s=100,  # a bound for a machine under heavy load; a quiet one finishes in about 15 s
    )
    assert (result.duplicated, result.lost, result.stuck) == (0, 0, 0), (tmp_path / "workers.log").read_text()[-2000:]
    assert result.kills >= 1
    assert result.deliveries >= result.steps
