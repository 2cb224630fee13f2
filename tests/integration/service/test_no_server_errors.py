"""Hostile input is the caller's error (4xx with why and where), never a 500 or a 503, and the pooled
connection a failed request used serves the next request normally."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import TestDatabase

QUERY_ROUTES = ("/v1/query", "/v1/query/explain")


def _send(client: TestClient, path: str, body: Any, key: str) -> httpx.Response:
    """POST ``body`` as JSON text; ``json.dumps`` escapes a lone surrogate as ``\\udXXX``, as any client would."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.post(path, content=json.dumps(body), headers=headers)


@pytest.fixture
def admin(keys: dict[str, dict[str, str]]) -> str:
    return keys["alpha"]["admin"]


@pytest.mark.parametrize("path", QUERY_ROUTES)
@pytest.mark.parametrize(
    ("literal", "column"),
    [('"Ada\udc80"', 37), ('"\\ud800"', 34)],  # a raw surrogate, and one written as an escape
    ids=["raw", "escape"],
)
def test_lone_surrogate_in_a_text_literal_is_400_at_its_column(
    client: TestClient, admin: str, path: str, literal: str, column: int
) -> None:
    response = _send(client, path, {"query": f"candidates | where first_name = {literal}"}, admin)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "Q101"
    assert "surrogate" in body["message"]
    assert body["span"]["line"] == 1
    assert body["span"]["column"] == column


@pytest.mark.parametrize("path", QUERY_ROUTES)
def test_lone_surrogate_in_a_json_literal_is_400_with_its_pointer(client: TestClient, admin: str, path: str) -> None:
    where = {"op": "=", "args": [{"field": "first_name"}, {"value": "a\ud800"}]}
    response = _send(client, path, {"query": {"from": "candidates", "steps": [{"where": where}]}}, admin)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "Q102"
    assert response.json()["span"] == {"pointer": "/steps/0/where/args/1/value"}


@pytest.mark.parametrize("path", QUERY_ROUTES)
def test_lone_surrogate_in_a_parameter_is_400_naming_it(client: TestClient, admin: str, path: str) -> None:
    body = {"query": "candidates | where first_name = $name", "params": {"name": "Ada\udfff"}}
    response = _send(client, path, body, admin)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "Q108"
    assert "character 4 of $name" in response.json()["message"]


@pytest.mark.parametrize("path", QUERY_ROUTES)
def test_3000_nested_not_is_422_nesting(client: TestClient, admin: str, path: str) -> None:
    response = _send(client, path, {"query": "applications | where " + "not " * 3000 + "true"}, admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Q402"
    assert response.json()["span"]["column"] > 1  # at the first 'not' past the limit


@pytest.mark.parametrize("path", QUERY_ROUTES)
@pytest.mark.parametrize(
    "query",
    [
        "applications | where " + " and ".join(["true"] * 20_000),
        "applications | derive x = " + " + ".join(["1"] * 20_000),
    ],
    ids=["and", "plus"],
)
def test_20000_chained_operators_are_422(client: TestClient, admin: str, path: str, query: str) -> None:
    response = _send(client, path, {"query": query}, admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Q401"


@pytest.mark.parametrize("path", QUERY_ROUTES)
def test_deep_json_query_is_422_before_it_is_walked(client: TestClient, admin: str, path: str) -> None:
    """300 nested ``not`` in the JSON form: deep enough to exhaust the builder's stack, refused first."""
    expr: dict[str, Any] = {"value": True}
    for _ in range(300):
        expr = {"op": "not", "args": [expr]}
    response = _send(client, path, {"query": {"from": "applications", "steps": [{"where": expr}]}}, admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Q402"
    assert response.json()["span"]["pointer"].startswith("/steps/0/where/args/0/args/0")


def test_3000_derived_columns_are_422_not_503(client: TestClient, admin: str) -> None:
    """Postgres refuses more than 1664 columns (SQLSTATE 54011): the caller's query, not an outage."""
    response = _send(client, "/v1/query", {"query": {"from": "jobs", "steps": [{"derive": WIDE}]}}, admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Q401"
    assert "database limit" in response.json()["message"]


OVERFLOW = "jobs | derive x = openings * 2147483647 * 2147483647 * 2147483647"
# Two output names Postgres truncates to the same 63 characters; sorting by one is ambiguous to it.
AMBIGUOUS = f"jobs | derive {'a' * 70}1 = 1, {'a' * 70}2 = 2 | sort {'a' * 70}1"


def test_data_error_class_22_is_400(client: TestClient, admin: str) -> None:
    """Integer overflow at run time (SQLSTATE 22003)."""
    response = _send(client, "/v1/query", {"query": OVERFLOW}, admin)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "Q501"


def test_statement_error_class_42_is_400(client: TestClient, admin: str) -> None:
    """A statement the query's own names made invalid to Postgres (SQLSTATE 42702)."""
    response = _send(client, "/v1/query", {"query": AMBIGUOUS}, admin)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "Q501"


def _new_application(custom: Any) -> str:
    candidate = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"}
    return json.dumps({"job_id": 1, "candidate": candidate, "custom": custom})


def test_custom_fields_nested_900_deep_are_422(client: TestClient, admin: str, pipeline: dict[str, int]) -> None:
    deep = '{"a":' * 900 + "1" + "}" * 900  # built as text: this process's json module would refuse to
    body = _new_application({}).replace('"custom": {}', f'"custom": {{"notes": {deep}}}')
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    response = client.post("/v1/applications", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"].startswith("body.custom.notes")


def test_lone_surrogate_in_a_custom_field_is_422(client: TestClient, admin: str, pipeline: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json", "Idempotency-Key": "k1"}
    response = client.post("/v1/applications", content=_new_application({"nick": "A\udc00"}), headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"].startswith("body.custom.nick")


def test_lone_surrogate_in_a_custom_field_key_is_422(client: TestClient, admin: str, pipeline: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    response = client.post("/v1/applications", content=_new_application({"n\udc00": 1}), headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"].startswith("body.custom.n")


@pytest.fixture
def one_connection(database: TestDatabase, keys: dict[str, dict[str, str]]) -> Iterator[TestClient]:
    """The service with a pool of exactly one connection: every request reuses the one before's."""
    settings = load_settings().model_copy(update={"pool_min_size": 1, "pool_max_size": 1})
    with TestClient(create_app(settings, database.app_url), raise_server_exceptions=False) as c:
        yield c


WIDE = [{"name": f"c{i}", "expr": {"value": i}} for i in range(3000)]
BAD_THEN_GOOD = [
    ({"query": {"from": "jobs", "steps": [{"derive": WIDE}]}}, 422),
    ({"query": OVERFLOW}, 400),
    ({"query": AMBIGUOUS}, 400),
    ({"query": "jobs | where title = $t", "params": {"t": "\ud800"}}, 400),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "status"), BAD_THEN_GOOD, ids=["class54", "class22", "class42", "surrogate"])
def test_the_connection_serves_the_next_request_after_a_failed_one(
    one_connection: TestClient, keys: dict[str, dict[str, str]], bad: dict[str, Any], status: int
) -> None:
    admin = keys["alpha"]["admin"]
    assert _send(one_connection, "/v1/query", bad, admin).status_code == status
    good = _send(one_connection, "/v1/query", {"query": "jobs | select title"}, admin)
    assert good.status_code == 200, good.text
    assert good.json()["rows"] == [["alpha engineer"]]  # and in the right tenant: no context left behind
    beta = _send(one_connection, "/v1/query", {"query": "jobs | select title"}, keys["beta"]["admin"])
    assert beta.json()["rows"] == [["beta engineer"]]


def test_an_unexpected_error_mid_transaction_returns_a_clean_connection(one_connection: TestClient) -> None:
    """The 500 path: an exception escapes a transaction whose statement failed; the one pooled
    connection comes back idle, outside any transaction, with no tenant context left on it."""
    pool = one_connection.app.state.pool  # type: ignore[attr-defined]
    portal = one_connection.portal
    assert portal is not None

    async def fail() -> None:
        async with atransaction(pool, Principal("alpha", None, Role.ADMIN)) as conn:
            with pytest.raises(psycopg.errors.DivisionByZero):
                await conn.execute("select 1 / 0")
            raise RuntimeError("a bug after a failed statement")

    with pytest.raises(RuntimeError):
        portal.call(fail)

    async def state() -> tuple[str, str]:
        async with pool.connection() as conn:
            status = conn.info.transaction_status.name
            row = await (await conn.execute("select coalesce(current_setting('app.tenant_id', true), '')")).fetchone()
            return status, row[0]

    assert portal.call(state) == ("IDLE", "")
