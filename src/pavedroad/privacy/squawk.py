"""Run squawk (the ``squawk-cli`` wheel) over migration files, with our exclusions and their reasons.

Guarantee: every squawk violation becomes a ``Finding`` (code ``M2SQ``, the file and line, squawk's
message and help); rules we switch off are listed in ``EXCLUDED_RULES`` with the reason, and squawk is
told that each file runs in one transaction (as ``db/migrate.py`` does), so it knows a table created in
the same file holds no data yet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pavedroad.errors import ConfigurationError
from pavedroad.privacy.findings import Finding

__all__ = ["EXCLUDED_RULES", "run_squawk", "squawk_binary"]

EXCLUDED_RULES: dict[str, str] = {
    "require-lock-timeout": "db/migrate.py sets `SET LOCAL lock_timeout` for every file and retries with back-off",
    "require-statement-timeout": "migrations hold no long locks (M201/M202 forbid them); lock_timeout bounds waits",
    "prefer-bigint-over-int": "ids are bigint; integer columns hold small bounded counts (ratings, minutes, sizes)",
    "prefer-robust-stmts": (
        "each file runs once, in a transaction, recorded with a checksum; IF NOT EXISTS would hide drift"
    ),
}
PG_VERSION = "16.0"


def squawk_binary() -> str:
    """The squawk executable beside this Python (``.venv/bin/squawk``), else on PATH."""
    candidate = Path(sys.executable).parent / "squawk"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("squawk")
    if found is None:
        raise ConfigurationError("squawk is not installed", hint="run the README's set-up; it installs squawk-cli")
    return found


def run_squawk(
    paths: Sequence[Path], *, excluded: dict[str, str] | None = None, in_transaction: bool = True
) -> list[Finding]:
    """squawk's findings for ``paths`` (an empty list when there are none); ``in_transaction=False`` for
    files the runner applies statement by statement (``CONCURRENTLY``)."""
    if not paths:
        return []
    rules = ",".join(sorted(EXCLUDED_RULES if excluded is None else excluded))
    argv = [squawk_binary(), "--reporter", "json", "--pg-version", PG_VERSION]
    if in_transaction:
        argv.append("--assume-in-transaction")
    if rules:
        argv += ["--exclude", rules]
    result = subprocess.run([*argv, *map(str, paths)], capture_output=True, text=True, check=False, timeout=60)
    try:
        violations = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        raise ConfigurationError(
            f"squawk failed: {(result.stderr or result.stdout).strip()[:300]}", hint="run squawk by hand to see why"
        ) from None
    return [
        Finding(
            "M2SQ",
            f"{v.get('file')}:{v.get('line', 0) + 1}",
            f"squawk {v.get('rule_name')}: {v.get('message')}",
            v.get("help") or "see https://squawkhq.com/docs/rules",
        )
        for v in violations
    ]
