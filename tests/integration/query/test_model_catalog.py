"""The recruiting model classifies every column of every table of the recruiting schema (plus the
tenancy tables it reads), and names no column that does not exist."""

from __future__ import annotations

import re
from importlib import resources

import psycopg

from pavedroad.query import Classification
from pavedroad.recruiting.model import recruiting_model
from pavedroad.testing import TestDatabase


def _recruiting_tables() -> set[str]:
    sql = "".join(
        f.read_text() for f in resources.files("pavedroad.recruiting").joinpath("migrations").iterdir()
        if f.name.endswith(".sql")
    )  # fmt: skip
    return set(re.findall(r"CREATE TABLE (\w+)", sql)) | {"tenants", "users", "api_keys"}


def test_every_column_is_classified(database: TestDatabase) -> None:
    model = recruiting_model()
    by_table = {e.table: e for e in model.entities.values()}
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'public'"
        ).fetchall()
    actual: dict[str, set[str]] = {}
    for table, column in rows:
        actual.setdefault(table, set()).add(column)
    tables = _recruiting_tables()
    assert tables - set(by_table) == set(), "tables missing from the model"
    for table in tables:
        ent = by_table[table]
        declared = {f.column or name for name, f in ent.fields.items()}
        assert declared == actual[table], table
        for f in ent.fields.values():
            assert Classification[f.classification] >= Classification.public
