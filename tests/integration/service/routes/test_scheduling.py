"""``POST /v1/scheduling/solve`` against the real app and database: roles, 422s with why, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pavedroad.service.routes.scheduling import MAX_BODY_BYTES
from tests.unit.scheduling.test_explain import _request

pytestmark = pytest.mark.integration


def _headers(keys: dict[str, dict[str, str]], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys['alpha'][role]}"}


def test_a_recruiter_gets_the_schedule(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.post("/v1/scheduling/solve", json=_request(2, True), headers=_headers(keys, "recruiter"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "optimal"
    assert body["placements"][0]["seats"][0]["interviewer"] == "dana"


def test_an_infeasible_request_is_answered_with_its_explanation(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    response = client.post("/v1/scheduling/solve", json=_request(1, True), headers=_headers(keys, "admin"))
    assert response.status_code == 200
    explanation = response.json()["explanation"]
    assert explanation["headline"].startswith("no qualified system design interviewer is free")
    assert explanation["minimal"] is True


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "invalid scheduling request"),
        (json.dumps({**_request(1, True), "horizon_days": 0}).encode(), "horizon_days"),
        (b"\x00\xff", "not JSON"),
    ],
)
def test_bad_input_is_422_with_why(client: TestClient, keys: dict[str, dict[str, str]], body: bytes, why: str) -> None:
    response = client.post(
        "/v1/scheduling/solve",
        content=body,
        headers={**_headers(keys, "recruiter"), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert why in response.json()["message"]


def test_an_oversized_body_is_refused(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    body = b" " * (MAX_BODY_BYTES + 1)
    response = client.post("/v1/scheduling/solve", content=body, headers=_headers(keys, "recruiter"))
    assert response.status_code == 422
    assert response.json()["code"] == "S413"


def test_roles_without_scheduling_rights_are_refused(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.post("/v1/scheduling/solve", json=_request(2, True), headers=_headers(keys, "interviewer"))
    assert response.status_code == 403
    assert client.post("/v1/scheduling/solve", json=_request(2, True)).status_code == 401


def test_the_time_limit_is_bounded(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response: Any = client.post(
        "/v1/scheduling/solve?time_limit_s=3600", json=_request(2, True), headers=_headers(keys, "recruiter")
    )
    assert response.status_code == 422
