"""``pavedroad guard migrations``: squawk plus pavedroad's rules over every migration, in apply order.

Guarantee: each file is checked by squawk (as the runner applies it: one transaction per file) and by
``migration_safety`` (knowing which columns the semantic model uses and which NOT NULL checks earlier
files added); the result is every finding, sorted by file and line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from pavedroad.db import MigrationSource
from pavedroad.privacy.findings import Finding
from pavedroad.privacy.migration_safety import MigrationFile, check_migrations
from pavedroad.privacy.squawk import run_squawk

__all__ = ["run_migration_check"]


def run_migration_check(
    sources: Sequence[MigrationSource],
    *,
    model_columns: Iterable[tuple[str, str]] = (),
    use_squawk: bool = True,
) -> list[Finding]:
    """Every unsafe step in ``sources`` (empty: every migration is online-safe)."""
    migrations = [m for s in sources for m in s.migrations]
    files = [MigrationFile(m.version, m.text) for m in migrations]
    findings = check_migrations(files, model_columns=frozenset(model_columns))
    if use_squawk and files:
        with tempfile.TemporaryDirectory(prefix="pavedroad-squawk-") as tmp:
            paths: dict[bool, list[Path]] = {True: [], False: []}  # by "the runner wraps it in a transaction"
            for number, m in enumerate(migrations):
                # The file name carries the version so squawk's report points at the real migration.
                path = Path(tmp) / f"{number:04d}__{m.version.replace(':', '__')}"
                path.write_text(m.text)
                paths[not m.concurrent].append(path)
            for in_transaction, batch in paths.items():
                for finding in run_squawk(batch, in_transaction=in_transaction):
                    file, _, line = finding.subject.rpartition(":")
                    version = Path(file).name.split("__", 1)[-1].replace("__", ":", 1)
                    findings.append(Finding(finding.code, f"{version}:{line}", finding.message, finding.fix))
    return sorted(findings, key=lambda f: (f.subject.rsplit(":", 1)[0], _line(f.subject), f.code))


def _line(subject: str) -> int:
    tail = subject.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0
