"""GET /v1/events/status is for a tenant's admins (its backlog figures are pinned in
tests/integration/events/test_status.py)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_an_admin_sees_the_pipeline_figures(as_role: Any) -> None:
    """With no relay or consumer reporting, the figures are empty rather than invented."""
    response = as_role("alpha", "admin").get("/v1/events/status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dead_letters"], body["consumer_lag"], body["outbox_backlog"]) == (0, {}, None)


@pytest.mark.parametrize("role", ["recruiter", "hiring_manager", "interviewer", "compliance"])
def test_other_roles_are_403(as_role: Any, role: str) -> None:
    assert as_role("alpha", role).get("/v1/events/status").status_code == 403


def test_without_a_key_is_401(as_role: Any) -> None:
    assert as_role("alpha", None).get("/v1/events/status").status_code == 401
