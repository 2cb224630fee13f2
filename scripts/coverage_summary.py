"""Print branch coverage per block of `pavedroad` from the data the last covered pytest run left.

    .venv/bin/python scripts/coverage_summary.py   # after `coverage run -m pytest` (or `pytest --cov`), at the root

One row per top-level package (modules directly under `pavedroad/` count as `(root)`), then the total.
Percentages count lines and branches together, as coverage.py's own report does.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import coverage
from coverage.exceptions import NoDataError

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("num_statements", "covered_lines", "num_branches", "covered_branches")


def block_of(path: str) -> str:
    """The block a measured file belongs to: the first directory below `pavedroad/`."""
    parts = Path(path).parts
    rest = parts[parts.index("pavedroad") + 1 :] if "pavedroad" in parts else parts
    return rest[0] if len(rest) > 1 else "(root)"


def percent(row: dict[str, int]) -> float:
    total = row["num_statements"] + row["num_branches"]
    return 100.0 * (row["covered_lines"] + row["covered_branches"]) / total if total else 100.0


def main() -> int:
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"))  # .coverage, or $COVERAGE_FILE
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        try:
            cov.json_report(outfile=str(out))
        except NoDataError:
            print("no coverage data: run `coverage run -m pytest` first", file=sys.stderr)
            return 1
        files = json.loads(out.read_text())["files"]
    blocks: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for path, entry in files.items():
        for field in FIELDS:
            blocks[block_of(path)][field] += entry["summary"][field]
    total = {field: sum(row[field] for row in blocks.values()) for field in FIELDS}
    print("\nbranch coverage per block (lines + branches)")
    print(f"  {'block':<14}{'lines':>12}{'branches':>14}{'cover':>9}")
    for name, row in [*sorted(blocks.items()), ("TOTAL", total)]:
        lines = f"{row['covered_lines']}/{row['num_statements']}"
        branches = f"{row['covered_branches']}/{row['num_branches']}"
        print(f"  {name:<14}{lines:>12}{branches:>14}{percent(row):>8.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
