"""``/v1/custom-fields`` and ``pavedroad custom-fields``: a tenant's admins define and reclassify classified
custom fields, every role lists only what it may read, and the classification decides who may query it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.settings import get_settings
from pavedroad.testing import TestDatabase

Keys = dict[str, dict[str, str]]

SALARY = {
    "entity": "applications",
    "key": "expected_salary",
    "label": "Expected salary",
    "field_type": "number",
    "classification": "compensation",
}
SALARY_QUERY = {"query": "applications | aggregate pay = max(custom.expected_salary)"}


def _auth(key: str, idem: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return headers


def _define(client: TestClient, key: str, body: dict[str, Any] = SALARY, idem: str | None = None) -> Any:
    return client.post("/v1/custom-fields", json=body, headers=_auth(key, idem))


def _keys_listed(client: TestClient, key: str) -> list[str]:
    response = client.get("/v1/custom-fields", headers=_auth(key))
    assert response.status_code == 200, response.text
    return [f["key"] for f in response.json()["fields"]]


def _outbox(owner_url: str, event_type: str) -> list[dict[str, Any]]:
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "select tenant_id, payload from event_outbox where event_type = %s order by event_id", (event_type,)
        ).fetchall()
    return [{"tenant_id": t, **p} for t, p in rows]


def _schema_version(owner_url: str, tenant: str) -> int:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("select schema_version from tenants where tenant_id = %s", (tenant,)).fetchone()
    assert row is not None
    return int(row[0])


# --- define ---------------------------------------------------------------------------------------------


def test_admin_defines_a_field_and_the_change_is_an_outbox_event(
    client: TestClient, keys: Keys, database: TestDatabase
) -> None:
    before = _schema_version(database.owner_url, "alpha")
    response = _define(client, keys["alpha"]["admin"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in SALARY} == SALARY
    assert _schema_version(database.owner_url, "alpha") > before
    [event] = _outbox(database.owner_url, "custom_field_defined")
    assert event["tenant_id"] == "alpha"
    assert (event["key"], event["classified_as"], event["definition_id"]) == (
        "expected_salary",
        "compensation",
        body["id"],
    )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"entity": "offers"}, "unknown entity"),
        ({"key": "Expected-Salary"}, "is not valid"),
        ({"field_type": "money"}, "unknown field type"),
    ],
)
def test_bad_definitions_are_400_saying_why(
    client: TestClient, keys: Keys, change: dict[str, str], fragment: str
) -> None:
    response = _define(client, keys["alpha"]["admin"], {**SALARY, **change})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert response.json()["hint"]


def test_an_unknown_or_missing_classification_is_400_listing_the_choices(client: TestClient, keys: Keys) -> None:
    for body in ({**SALARY, "classification": "secret"}, {k: v for k, v in SALARY.items() if k != "classification"}):
        response = _define(client, keys["alpha"]["admin"], body)
        assert response.status_code == 400, response.text
        hint = response.json()["hint"]
        assert all(choice in hint for choice in ("public", "personal", "sensitive", "compensation")), hint


def test_a_duplicate_key_is_409(client: TestClient, keys: Keys) -> None:
    assert _define(client, keys["alpha"]["admin"]).status_code == 201
    again = _define(client, keys["alpha"]["admin"], {**SALARY, "classification": "internal"})
    assert again.status_code == 409, again.text
    assert "PATCH /v1/custom-fields/applications/expected_salary" in again.json()["hint"]


def test_the_same_key_on_another_entity_is_a_different_field(client: TestClient, keys: Keys) -> None:
    assert _define(client, keys["alpha"]["admin"]).status_code == 201
    assert _define(client, keys["alpha"]["admin"], {**SALARY, "entity": "jobs"}).status_code == 201


def test_a_retried_definition_replays_instead_of_conflicting(
    client: TestClient, keys: Keys, database: TestDatabase
) -> None:
    first = _define(client, keys["alpha"]["admin"], idem="cf-1")
    again = _define(client, keys["alpha"]["admin"], idem="cf-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(_outbox(database.owner_url, "custom_field_defined")) == 1


# --- auth -----------------------------------------------------------------------------------------------


def test_no_key_is_401_on_every_route(client: TestClient) -> None:
    assert client.get("/v1/custom-fields").status_code == 401
    assert client.post("/v1/custom-fields", json=SALARY).status_code == 401
    patch = client.patch("/v1/custom-fields/applications/expected_salary", json={"classification": "personal"})
    assert patch.status_code == 401


@pytest.mark.parametrize("role", ["recruiter", "hiring_manager", "interviewer", "compliance"])
def test_only_a_tenant_admin_defines_or_changes_fields(
    client: TestClient, keys: Keys, database: TestDatabase, role: str
) -> None:
    refused = _define(client, keys["alpha"][role], {**SALARY, "key": "bonus"})
    assert refused.status_code == 403, refused.text
    assert "admin" in refused.json()["hint"]
    assert _define(client, keys["alpha"]["admin"]).status_code == 201
    patch = client.patch(
        "/v1/custom-fields/applications/expected_salary",
        json={"classification": "internal"},
        headers=_auth(keys["alpha"][role]),
    )
    assert patch.status_code == 403, patch.text
    assert len(_outbox(database.owner_url, "custom_field_defined")) == 1
    assert _outbox(database.owner_url, "custom_field_changed") == []


def test_another_tenant_can_neither_see_nor_change_a_field(
    client: TestClient, keys: Keys, database: TestDatabase
) -> None:
    assert _define(client, keys["alpha"]["admin"], {**SALARY, "classification": "internal"}).status_code == 201
    assert _keys_listed(client, keys["beta"]["admin"]) == []
    patch = client.patch(
        "/v1/custom-fields/applications/expected_salary",
        json={"classification": "public"},
        headers=_auth(keys["beta"]["admin"]),
    )
    assert patch.status_code == 404, patch.text
    assert _keys_listed(client, keys["alpha"]["interviewer"]) == ["expected_salary"]  # unchanged: internal
    # beta defines its own field of the same key without touching alpha's
    assert _define(client, keys["beta"]["admin"]).status_code == 201
    listed = client.get("/v1/custom-fields", headers=_auth(keys["alpha"]["admin"])).json()["fields"]
    assert [(f["key"], f["classification"]) for f in listed] == [("expected_salary", "internal")]


# --- list -----------------------------------------------------------------------------------------------


def test_a_role_lists_only_the_fields_it_may_read(client: TestClient, keys: Keys) -> None:
    admin = keys["alpha"]["admin"]
    for key, classification in (("team", "internal"), ("expected_salary", "compensation"), ("pronouns", "sensitive")):
        body = {**SALARY, "key": key, "classification": classification, "field_type": "text"}
        assert _define(client, admin, body).status_code == 201
    assert _keys_listed(client, admin) == ["expected_salary", "pronouns", "team"]
    assert _keys_listed(client, keys["alpha"]["recruiter"]) == ["expected_salary", "team"]
    assert _keys_listed(client, keys["alpha"]["interviewer"]) == ["team"]
    assert _keys_listed(client, keys["alpha"]["compliance"]) == ["pronouns", "team"]


# --- reclassify -----------------------------------------------------------------------------------------


def test_reclassifying_bumps_the_schema_version_and_is_an_outbox_event(
    client: TestClient, keys: Keys, database: TestDatabase
) -> None:
    assert _define(client, keys["alpha"]["admin"], {**SALARY, "classification": "internal"}).status_code == 201
    before = _schema_version(database.owner_url, "alpha")
    response = client.patch(
        "/v1/custom-fields/applications/expected_salary",
        json={"classification": "compensation", "label": "Salary expectation"},
        headers=_auth(keys["alpha"]["admin"], "cf-patch"),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["classification"], response.json()["label"]) == ("compensation", "Salary expectation")
    assert _schema_version(database.owner_url, "alpha") > before
    [event] = _outbox(database.owner_url, "custom_field_changed")
    assert (event["previously_classified_as"], event["classified_as"]) == ("internal", "compensation")
    assert (event["previous_label"], event["label"]) == ("Expected salary", "Salary expectation")


@pytest.mark.parametrize(
    ("path", "body", "status", "fragment"),
    [
        ("applications/expected_salary", {"classification": "secret"}, 400, "unknown classification"),
        ("applications/expected_salary", {}, 400, "nothing to change"),
        ("applications/bonus", {"classification": "public"}, 404, "no custom field"),
        ("offers/expected_salary", {"classification": "public"}, 404, "no custom field"),
    ],
)
def test_bad_changes_say_why(
    client: TestClient, keys: Keys, *, path: str, body: dict[str, str], status: int, fragment: str
) -> None:
    assert _define(client, keys["alpha"]["admin"]).status_code == 201
    response = client.patch(f"/v1/custom-fields/{path}", json=body, headers=_auth(keys["alpha"]["admin"]))
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]


# --- end to end: the classification decides who may query the field --------------------------------------


def _query(client: TestClient, key: str) -> Any:
    return client.post("/v1/query", json=SALARY_QUERY, headers=_auth(key))


def test_a_field_defined_as_compensation_over_http_is_unknown_to_interviewers(client: TestClient, keys: Keys) -> None:
    assert _define(client, keys["alpha"]["admin"]).status_code == 201
    refused = _query(client, keys["alpha"]["interviewer"])
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "Q104"
    assert "unknown field 'custom.expected_salary' on applications" in refused.json()["message"]
    allowed = _query(client, keys["alpha"]["recruiter"])
    assert allowed.status_code == 200, allowed.text


def test_reclassifying_takes_effect_on_the_next_query(client: TestClient, keys: Keys) -> None:
    """The interviewer's compile is cached while the field is internal; reclassified as compensation, the
    next query is refused (the schema version moved, so the cached compile is not served)."""
    assert _define(client, keys["alpha"]["admin"], {**SALARY, "classification": "internal"}).status_code == 201
    assert _query(client, keys["alpha"]["interviewer"]).status_code == 200
    assert _query(client, keys["alpha"]["interviewer"]).status_code == 200  # served from the caches
    patch = client.patch(
        "/v1/custom-fields/applications/expected_salary",
        json={"classification": "compensation"},
        headers=_auth(keys["alpha"]["admin"]),
    )
    assert patch.status_code == 200, patch.text
    refused = _query(client, keys["alpha"]["interviewer"])
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "Q104"
    assert _query(client, keys["alpha"]["recruiter"]).status_code == 200


def test_openapi_documents_the_routes_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/v1/custom-fields"])
    assert "patch" in spec["paths"]["/v1/custom-fields/{entity}/{key}"]
    schemas = spec["components"]["schemas"]
    assert schemas["NewCustomField"]["examples"][0]["classification"] == "compensation"


# --- CLI ------------------------------------------------------------------------------------------------


@pytest.fixture
def cli(database: TestDatabase, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _cli_json(cli: CliRunner, *args: str) -> Any:
    result = cli.invoke(app, ["custom-fields", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_defines_lists_and_reclassifies(cli: CliRunner, database: TestDatabase) -> None:
    define = ["define", "--tenant", "alpha", "--entity", "applications", "--key", "expected_salary"]
    [defined] = _cli_json(cli, *define, "--type", "number", "--classification", "compensation", "--label", "Salary")
    assert (defined["key"], defined["classification"]) == ("expected_salary", "compensation")
    assert [f["key"] for f in _cli_json(cli, "list", "--tenant", "alpha", "--role", "recruiter")] == ["expected_salary"]
    assert _cli_json(cli, "list", "--tenant", "alpha", "--role", "interviewer") == []
    assert _cli_json(cli, "list", "--tenant", "beta") == []
    [changed] = _cli_json(cli, "reclassify", "--tenant", "alpha", "--entity", "applications",
                          "--key", "expected_salary", "--classification", "confidential")  # fmt: skip
    assert changed["classification"] == "confidential"
    assert [f["key"] for f in _cli_json(cli, "list", "--tenant", "alpha", "--role", "interviewer")] == [
        "expected_salary"
    ]
    assert len(_outbox(database.owner_url, "custom_field_defined")) == 1
    assert len(_outbox(database.owner_url, "custom_field_changed")) == 1
    table = cli.invoke(app, ["custom-fields", "list", "--tenant", "alpha"])
    assert table.exit_code == 0, table.output
    assert "expected_salary" in table.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["define", "--entity", "applications", "--key", "x", "--type", "text", "--classification", "secret"],
         "unknown classification"),
        (["define", "--entity", "applications", "--key", "X!", "--type", "text", "--classification", "public"],
         "is not valid"),
        (["reclassify", "--entity", "applications", "--key", "nope", "--classification", "public"],
         "no custom field"),
        (["reclassify", "--entity", "applications", "--key", "nope"], "nothing to change"),
        (["list", "--role", "boss"], "unknown role"),
    ],
)  # fmt: skip
def test_cli_errors_are_rendered_not_tracebacks(cli: CliRunner, args: list[str], fragment: str) -> None:
    result = cli.invoke(app, ["custom-fields", *args, "--tenant", "alpha"])
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr


def test_an_unchanged_field_is_not_written(client: TestClient, keys: Keys, database: TestDatabase) -> None:
    assert _define(client, keys["alpha"]["admin"]).status_code == 201
    before = _schema_version(database.owner_url, "alpha")
    same = client.patch(
        "/v1/custom-fields/applications/expected_salary",
        json={"classification": "Compensation", "label": "Expected salary"},
        headers=_auth(keys["alpha"]["admin"]),
    )
    assert same.status_code == 200, same.text
    assert same.json()["classification"] == "compensation"
    assert _schema_version(database.owner_url, "alpha") == before
    assert _outbox(database.owner_url, "custom_field_changed") == []
