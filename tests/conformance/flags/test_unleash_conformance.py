"""The Unleash client specification, run through the Unleash importer and pavedroad's compiled rules."""

from __future__ import annotations

from pathlib import Path

from pavedroad.flags.unleash import run_unleash_spec


def test_unleash_client_specification_passes(conformance_dir: Path) -> None:
    """Every isEnabled and getVariant case of every specification file gives Unleash's answer."""
    result = run_unleash_spec(conformance_dir / "unleash-client-specification")
    assert result.total > 250
    assert result.failures == []
