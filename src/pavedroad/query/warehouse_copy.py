"""Copy a tenant's tables from Postgres into DuckDB through Arrow (``--target duckdb`` until the
warehouse holds the recruiting tables itself, and for the tests' cross-engine checks).

Reads through whatever connection it is given: inside ``tenancy.transaction`` only that tenant's rows
are copied. JSONB columns arrive as DuckDB ``JSON``.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from pavedroad.query.model import SemanticModel

__all__ = ["copy_tables"]

_JSON_OIDS = (114, 3802)


def copy_tables(conn: Any, model: SemanticModel, into: Any = None) -> Any:
    """Copy every table of ``model`` readable on ``conn`` into DuckDB ``into`` (a new in-memory database
    by default); return the DuckDB connection."""
    con = into if into is not None else duckdb.connect()
    for ent in model.entities.values():
        cur = conn.execute(f"select * from {ent.table}")  # table names come from the validated model
        desc = cur.description or []
        names = [d.name for d in desc]
        rows = cur.fetchall()
        json_cols = {d.name for d in desc if d.type_code in _JSON_OIDS}
        arrays = {}
        for i, n in enumerate(names):
            values = [json.dumps(r[i]) if n in json_cols and r[i] is not None else r[i] for r in rows]
            arrays[n] = pa.array(values) if values else pa.array([], pa.string())
        con.register("pavedroad_rows", pa.table(arrays))
        select = ", ".join(f'CAST("{n}" AS JSON) AS "{n}"' if n in json_cols else f'"{n}"' for n in names)
        con.execute(f"CREATE OR REPLACE TABLE {ent.table} AS SELECT {select} FROM pavedroad_rows")
        con.unregister("pavedroad_rows")
    return con
