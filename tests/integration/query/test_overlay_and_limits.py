"""Custom fields appear as soon as a tenant defines them (the schema version moves); the statement
timeout is a structured 422."""

from __future__ import annotations

import psycopg
import pytest

from pavedroad.query import Limits, QueryError, QueryLimitError, RunOptions, run_unrestricted
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role
from tests.integration.query.conftest import NOW, Loaded


def test_a_new_custom_field_is_queryable_without_a_rebuild(loaded: Loaded) -> None:
    tenant = loaded.tenants[1]
    principal = Principal(tenant, None, Role.ADMIN)
    text = 'jobs | where custom.hq_code = "X1" | aggregate n = count()'
    with pytest.raises(QueryError) as err:
        run_unrestricted(loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(now=NOW))
    assert err.value.code == "Q104"
    with psycopg.connect(loaded.db.owner_url) as conn:
        before = conn.execute("select schema_version from tenants where tenant_id = %s", (tenant,)).fetchone()
        conn.execute(
            "insert into custom_field_definitions (tenant_id, entity, key, label, field_type, classification)"
            " values (%s, 'jobs', 'hq_code', 'HQ code', 'text', 'internal')",
            (tenant,),
        )
        conn.execute(
            'update jobs set custom = custom || \'{"hq_code": "X1"}\' where tenant_id = %s and id in'
            " (select id from jobs where tenant_id = %s order by id limit 3)",
            (tenant, tenant),
        )
        after = conn.execute("select schema_version from tenants where tenant_id = %s", (tenant,)).fetchone()
    assert before is not None
    assert after is not None
    assert after[0] == before[0] + 1
    result = run_unrestricted(loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(now=NOW))
    assert result.rows == [(3,)]


def test_statement_timeout_is_a_structured_error(loaded: Loaded) -> None:
    text = (
        "applications | derive a = count(interviews), b = count(transitions), c = count(scorecards)"
        ' | group a, b, c | aggregate n = count(), r = rate(reached("Onsite"))'
    )
    with pytest.raises(QueryLimitError) as err:
        run_unrestricted(
            loaded.pool,
            Principal(loaded.tenants[0], None, Role.ADMIN),
            text,
            model=recruiting_model(),
            options=RunOptions(limits=Limits(statement_timeout_ms=1), now=NOW),
        )
    assert err.value.code == "Q405"
    assert err.value.status == 422
