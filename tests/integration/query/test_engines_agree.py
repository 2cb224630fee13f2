"""Random valid queries give equal results on Postgres, DuckDB and ClickHouse over the same generated data,
and only ever return the caller's tenant's rows."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pavedroad.query import (
    QueryError,
    RunOptions,
    run_clickhouse_unrestricted,
    run_duckdb_unrestricted,
    run_unrestricted,
)
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import comparable_rows
from tests.integration.query.conftest import NOW, Loaded
from tests.property.query.strategies import valid_query


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(st.data())
def test_random_queries_agree_across_engines(loaded: Loaded, data: st.DataObject) -> None:
    model = recruiting_model()
    text = data.draw(valid_query(model))
    tenant = loaded.tenants[0]
    pg = run_unrestricted(
        loaded.pool, Principal(tenant, None, Role.ADMIN), text, model=model, options=RunOptions(now=NOW)
    )
    duck = run_duckdb_unrestricted(
        loaded.duck, loaded.schemas[tenant], "admin", text, model=model, options=RunOptions(now=NOW)
    )
    assert comparable_rows(pg.rows) == comparable_rows(duck.rows), text
    if loaded.clickhouse is None:
        return
    try:
        ch = run_clickhouse_unrestricted(
            loaded.clickhouse, loaded.schemas[tenant], "admin", text, model=model, options=RunOptions(now=NOW)
        )
    except QueryError as exc:  # no lateral join on ClickHouse: refused, saying so
        refused = (exc.code, "lateral" in exc.message)
    else:
        assert comparable_rows(ch.rows) == comparable_rows(pg.rows), text
        return
    assert refused == ("Q105", True), text
