"""``import pavedroad.<block>`` loads only the packages that block is built on.

Importing a block must stay cheap and side-effect free: never the service, the CLI, the composition
root, the test-support package, the reference domain, or a server launcher. The table is the expected
set per block; growing it is a design change to make on purpose (and to draw in ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

LOADS = {
    "canary": {"clock", "errors"},
    "db": {"errors"},
    "events": {"errors", "tenancy"},
    "flags": {"errors", "tenancy"},
    "observability": set(),
    "policy": {"errors", "query", "tenancy"},
    "privacy": {"db", "errors", "events", "policy", "query", "querytools", "tenancy"},
    "query": {"errors", "tenancy"},
    "querytools": {"errors", "query", "tenancy"},
    "resilience": {"errors"},
    "scheduling": {"errors"},
    "slo": {"clock", "errors"},
    "tenancy": {"errors"},
    "warehouse": {"errors", "events", "tenancy"},
}

# Heavy third-party clients a block may load on import (the NATS client and aiohttp, DuckDB, pyarrow,
# NumPy): the guarded query path of the CLI (privacy → audit → events) must not pay for them.
HEAVY = {"aiohttp", "duckdb", "nats", "numpy", "pyarrow"}
HEAVY_LOADS = {"canary": {"numpy"}, "scheduling": {"numpy"}, "warehouse": HEAVY}

PROBE = """
import json, sys
import pavedroad.{block}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("pavedroad.") or m in {heavy})))
"""


@pytest.mark.parametrize("block", sorted(LOADS))
def test_importing_a_block_loads_only_what_it_builds_on(block: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(block=block, heavy=sorted(HEAVY))],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    modules = json.loads(out)
    packages = {m.split(".")[1] for m in modules if m.startswith("pavedroad.")} - {block}
    assert packages <= LOADS[block], sorted(packages - LOADS[block])
    assert "pavedroad.events.nats_server" not in modules
    heavy = set(modules) & HEAVY
    assert heavy <= HEAVY_LOADS.get(block, set()), sorted(heavy - HEAVY_LOADS.get(block, set()))
