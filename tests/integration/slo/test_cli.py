"""``pavedroad slo status|top|evaluate`` against a real database holding recorded slices."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from pavedroad.cli.slo import app
from pavedroad.settings import get_settings
from pavedroad.slo import Recorder
from pavedroad.testing import TestDatabase
from tests.integration.slo.slices import flush_to

runner = CliRunner()


@pytest.fixture
def recorded(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    rng = random.Random(5)
    recorder = Recorder("recruiting", "v1")
    for i in range(2000):
        tenant = ("acme", "globex")[i % 2]
        recorder.record_http("/v1/jobs", "GET", 200, rng.uniform(0.01, 0.05), tenant=tenant)
        # globex's application reads are slow and failing: an outage for one tenant
        slow = tenant == "globex"
        recorder.record_http(
            "/v1/applications/{application_id}",
            "GET",
            503 if slow else 200,
            rng.uniform(0.5, 0.9) if slow else rng.uniform(0.01, 0.02),
            tenant=tenant,
        )
    flush_to(database.app_url, recorder.drain())
    yield database
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_top_ranks_the_worst_endpoint_overall_and_per_tenant(recorded: TestDatabase) -> None:
    overall = json.loads(_ok("top", "--by", "p99", "--window", "1h", "--json"))
    assert overall[0]["route"] == "/v1/applications/{application_id}"
    assert overall[0]["total"] == 2000
    per_tenant = json.loads(_ok("top", "--by", "error_rate", "--per-tenant", "--json"))
    assert (per_tenant[0]["route"], per_tenant[0]["tenant"]) == ("/v1/applications/{application_id}", "globex")
    assert per_tenant[0]["error_rate"] == 1.0
    acme = json.loads(_ok("top", "--by", "p99", "--tenant", "acme", "--json"))
    assert acme[0]["route"] == "/v1/jobs"  # acme never saw the slow reads
    assert "worst endpoints" in _ok("top", "--by", "p95")
    bad = runner.invoke(app, ["top", "--by", "p42"])
    assert bad.exit_code == 2
    assert "cannot rank by" in bad.output


def test_status_shows_the_burning_tenant_and_evaluate_pages(recorded: TestDatabase) -> None:
    overall = {s["slo_id"]: s for s in json.loads(_ok("status", "--json"))}
    availability = overall["recruiting-api-availability"]
    assert availability["events"] == 4000
    assert availability["bad"] == 1000
    assert availability["budget_remaining"] < 0
    assert "page" in availability["firing"]
    acme = {s["slo_id"]: s for s in json.loads(_ok("status", "--tenant", "acme", "--json"))}
    assert acme["recruiting-api-availability"]["bad"] == 0
    assert acme["recruiting-api-availability"]["firing"] == []
    out = _ok("evaluate", "--once")
    assert "page firing" in out
    assert "tenant globex" in out
    assert time.time() > 0


def test_prune_keeps_recent_slices(recorded: TestDatabase) -> None:
    with psycopg.connect(recorded.owner_url) as conn:
        conn.execute(
            "update pavedroad_meta.slo_slices set slice_start = slice_start - interval '40 days'"
            " where route = '/v1/jobs'"
        )
    assert "deleted" in _ok("prune", "--older-than", "35d")
    with psycopg.connect(recorded.owner_url) as conn:
        routes = {r[0] for r in conn.execute("select distinct route from pavedroad_meta.slo_slices")}
    assert routes == {"/v1/applications/{application_id}"}
    refused = runner.invoke(app, ["prune", "--older-than", "1h"])
    assert refused.exit_code == 2
