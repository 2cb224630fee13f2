"""The ClickHouse target: every scan is scoped by a bound tenant parameter and no value is in the SQL (the
verifier holds for the dialect); values reach chdb through its parameter channel and come back unchanged."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from pavedroad.query import (
    PASSES,
    Compiler,
    Context,
    QueryState,
    TenantSchema,
    UnsafeQuery,
    run_passes,
)
from pavedroad.query.clickhouse import encode_params
from pavedroad.query.passes.scope_tenant import scope_tenant
from pavedroad.recruiting.model import recruiting_model

SCHEMA = TenantSchema("acme", 1, "Asia/Tokyo", ())
# Joins, a relation aggregate (a branch subquery), a semi-join, dates, an interval and a text literal.
QUERY = (
    'applications | where any(interviews, status = "completed") and applied_at >= today() - 30 days'
    ' and source.name != "it\'s \\\\ {tenant:String}" | group job.department.name'
    " | aggregate n = count(), offers = count(offers), d = median(days_to_hire)"
)


def _compile(text: str, **kw: Any) -> Any:
    return Compiler().compile(text, model=recruiting_model(), schema=SCHEMA, dialect="clickhouse", **kw)


def test_every_scan_is_scoped_by_the_bound_tenant_parameter() -> None:
    compiled = _compile(QUERY)
    sql = compiled.sql
    aliases = re.findall(r"\b(?:FROM|JOIN) (\w+) AS (\w+)", sql)
    assert {t for t, _ in aliases} >= {"applications", "jobs", "departments", "sources", "interviews", "offers"}
    for _table, alias in aliases:
        assert f"{alias}.tenant_id = {{tenant: String}}" in sql
    assert compiled.params["tenant"] == "acme"
    assert "acme" not in sql
    assert "it's" not in sql
    assert "'" not in sql  # no string literal at all: every value is a {name: Type} parameter
    assert "it's \\ {tenant:String}" in compiled.params.values()


def test_the_verifier_refuses_unscoped_clickhouse_sql() -> None:
    """The same verifier runs on the ClickHouse tree: a plan without the tenant pass is never emitted."""
    ctx = Context(recruiting_model(), SCHEMA, dialect="clickhouse")
    with pytest.raises(UnsafeQuery, match="not scoped"):
        run_passes(QueryState("applications | select id"), ctx, tuple(p for p in PASSES if p is not scope_tenant))


def test_timestamps_are_read_in_the_tenants_time_zone() -> None:
    """Stored instants are converted to the tenant's zone (a bound parameter) before dates are taken."""
    compiled = _compile("applications | group d = day(applied_at) | aggregate n = count()")
    assert "toTimeZone(t0.applied_at, {tz: String})" in compiled.sql
    assert compiled.params["tz"] == "Asia/Tokyo"


def test_parameter_values_travel_in_the_parameter_format() -> None:
    sql = "SELECT {s:String}, {n:Nullable(Int64)}, {t:DateTime64(6)}, {d:Date32}, {b:Bool}, {f:Float64}"
    moment = datetime(2026, 6, 30, 23, 30, 0, 5, tzinfo=UTC)
    values = {"s": "a\tb\nc\\N", "n": None, "t": moment, "d": date(2026, 1, 2), "b": True, "f": 0.1, "x": 1}
    encoded = encode_params(sql, values)
    assert encoded == {"s": "a\\tb\\nc\\\\N", "n": "\\N", "t": "1782862200.000005", "d": "2026-01-02",
                       "b": "true", "f": "0.1"}  # fmt: skip


def test_values_round_trip_through_chdb() -> None:
    """What the server parses is exactly the value sent, whatever characters it holds."""
    pytest.importorskip("chdb", reason="chdb is not installed: `uv sync --group clickhouse`")
    from pavedroad.query.clickhouse import ClickHouseTables

    tricky = "it's \\N \t tab \n newline \\ backslash {s:String} ' ; DROP TABLE x"
    moment = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    sql = "SELECT {s:String} AS s, {n:Nullable(String)} AS n, {t:DateTime64(6)} AS t, {d:Date32} AS d"
    with ClickHouseTables() as ch:
        [row] = ch.query(sql, encode_params(sql, {"s": tricky, "n": None, "t": moment, "d": date(1960, 2, 29)}))
        [local] = ch.query("SELECT toDate({t:DateTime64(6)})", encode_params("{t:DateTime64(6)}", {"t": moment}),
                           time_zone="Asia/Tokyo")  # fmt: skip
    assert row[0] == tricky
    assert row[1] is None
    assert row[2] == moment
    assert row[3] == date(1960, 2, 29)
    assert local == (date(2026, 3, 29),)  # 23:30 UTC on the 28th is the 29th in Tokyo


def test_a_query_past_the_statement_timeout_is_stopped_with_q405() -> None:
    """The statement timeout holds on ClickHouse as on Postgres: the query is stopped, a structured 4xx."""
    pytest.importorskip("chdb", reason="chdb is not installed: `uv sync --group clickhouse`")
    from pavedroad.query import Limits, QueryLimitError, RunOptions
    from pavedroad.query.clickhouse import ClickHouseTables
    from pavedroad.query.run import run_clickhouse_unrestricted

    # Every application of a huge generated table, far more than a second's work on any machine.
    with ClickHouseTables() as ch:
        ch.query("CREATE VIEW applications AS SELECT 'acme' AS tenant_id, number AS id FROM numbers(1000000000000)")
        with pytest.raises(QueryLimitError) as err:
            run_clickhouse_unrestricted(
                ch,
                SCHEMA,
                "admin",
                "applications | aggregate n = count_distinct(id)",
                model=recruiting_model(),
                options=RunOptions(limits=Limits(statement_timeout_ms=1000)),
            )
    assert err.value.code == "Q405"
