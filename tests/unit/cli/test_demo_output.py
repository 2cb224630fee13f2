"""What `pavedroad demo` prints: each tenant's admin key whole (never cut with "…" to fit the terminal,
even after a 50-tenant seed) and the file that holds every role's key."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from pavedroad.cli import platform
from pavedroad.recruiting.generator import plan_tenants
from pavedroad.service.auth import issue_key
from pavedroad.tenancy import Role


def test_every_admin_key_prints_whole_after_a_50_tenant_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = [plan.tenant_id for plan in plan_tenants(1_000, 50, 7)]
    keys = {tenant: {role.value: issue_key(tenant) for role in Role} for tenant in tenants}
    out = io.StringIO()
    monkeypatch.setattr(platform, "console", Console(file=out, width=80))
    key_file = Path(".pavedroad") / "demo-keys.json"

    platform._print_keys(keys, key_file)

    text = out.getvalue()
    assert "…" not in text
    assert all(keys[tenant]["admin"] in text.split() for tenant in tenants)
    assert str(key_file) in text
    assert keys["acme"]["recruiter"] not in text  # other roles' keys are in the file, not on screen
