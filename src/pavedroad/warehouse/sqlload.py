"""The columnar loader: a micro-batch of raw event JSON becomes warehouse rows inside DuckDB, with no
per-row Python.

Guarantee: the result equals folding the batch with ``projection.fold`` (last write wins per column
per key, in stream order; a key whose batch contains an ``Insert`` is created, ``Update``-only keys change
existing rows only) and applying it. How: the batch arrives as one Arrow string column; DuckDB parses the
JSON (vectorised), each projection becomes one ``SELECT`` with explicit casts to the table's types,
``arg_max_null(...) FILTER`` folds per key and column, then one INSERT (new keys) and one UPDATE (set
columns) per table. Messages that are not envelopes are recorded in ``pavedroad_meta.rejects``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from pavedroad.errors import present
from pavedroad.warehouse.load import _q, _unregister_name
from pavedroad.warehouse.projection import OCCURRED_AT, Const, Insert, Projection
from pavedroad.warehouse.schema import Table

__all__ = ["RAW_SCHEMA", "load_raw_batch"]

RAW_SCHEMA = pa.schema([("stream_seq", pa.int64()), ("subject", pa.string()), ("data", pa.string())])
_RAW, _BATCH, _FOLD = "pr_raw", "pr_batch", "pr_fold"
# Parse once into a struct (JSON text is re-parsed by every ``->>``, so extraction happens once per row).
# Invalid JSON becomes NULL through CASE, since SQL does not promise short-circuit evaluation.
_ENVELOPE_SHAPE = (
    '{"id": "VARCHAR", "type": "VARCHAR", "schema_version": "INTEGER", "tenant_id": "VARCHAR",'
    ' "aggregate_type": "VARCHAR", "aggregate_id": "VARCHAR", "occurred_at": "VARCHAR", "payload": "JSON",'
    ' "classification": "JSON"}'
)
_PARSE = f"CASE WHEN json_valid(data) THEN json_transform(data, '{_ENVELOPE_SHAPE}') END"
_OK = (
    "coalesce(e.id IS NOT NULL AND e.type IS NOT NULL AND e.tenant_id IS NOT NULL"
    " AND json_type(e.payload) = 'OBJECT', FALSE)"
)
_PARSED = "pr_parsed"


def _fill(duck: duckdb.DuckDBPyConnection, name: str, query: str, params: list[Any] | None, scratch: set[str]) -> str:
    """Replace the rows of scratch table ``name`` with ``query``'s. Each scratch table is created once per
    connection (``scratch`` remembers which): catalog changes cost more than a small batch's rows."""
    if name in scratch:
        duck.execute(f"DELETE FROM {name}")
        duck.execute(f"INSERT INTO {name} {query}", params or [])
    else:
        duck.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}", params or [])
        scratch.add(name)
    return name


def _expr(source: str | Const, duck_type: str, params: list[Any], fan: str | None) -> str:
    if isinstance(source, Const):
        params.append(source.value)
        return f"CAST(? AS {duck_type})"
    if source == OCCURRED_AT:
        return f"CAST(occurred_at AS {duck_type})"
    if source.endswith("[]"):
        return f"CAST({present(fan, 'the fan-out column of ' + source)} AS {duck_type})"
    return f"CAST(p.{_q(source)} AS {duck_type})"


def _shape(shape: dict[str, str]) -> str:
    return ", ".join(f'"{key}": {kind}' for key, kind in shape.items())


def _op_select(
    table: Table, op: Projection, event_type: str, op_index: int, *, columns: Sequence[str], params: list[Any]
) -> str:
    fan_source = next((s for s in op.columns.values() if isinstance(s, str) and s.endswith("[]")), None)
    fan = "u.elem" if fan_source else None
    parts = ["tenant_id"]
    for name in columns:
        source = op.columns.get(name)
        column = table.column(name)
        if source is None:
            parts.append(f"CAST(NULL AS {column.duck_type}) AS {_q(name)}, FALSE AS {_q(name + '__set')}")
        else:
            parts.append(f"{_expr(source, column.duck_type, params, fan)} AS {_q(name)}, TRUE AS {_q(name + '__set')}")
    parts.append(f"{'TRUE' if isinstance(op, Insert) else 'FALSE'} AS is_insert")
    parts.append(f"stream_seq * 1000 + {op_index} AS ord")
    shape: dict[str, str] = {}
    for target, source in op.columns.items():
        if isinstance(source, Const) or source == OCCURRED_AT:
            continue
        if source.endswith("[]"):
            shape[source[:-2]] = '["VARCHAR"]'
        else:
            shape[source] = '"JSON"' if table.column(target).duck_type == "JSON" else '"VARCHAR"'
    params.append(event_type)
    rel = (
        f"(SELECT stream_seq, tenant_id, occurred_at, json_transform(payload, '{{{_shape(shape)}}}') AS p"
        f" FROM {_BATCH} WHERE type = ?)"
    )
    if fan_source is not None:
        rel += f", unnest(p.{_q(fan_source[:-2])}) AS u(elem)"
    return f"SELECT {', '.join(parts)} FROM {rel}"


def _load_table(
    duck: duckdb.DuckDBPyConnection, table: Table, ops: Sequence[tuple[str, int, Projection]], scratch: set[str]
) -> int:
    columns = [c for c in table.column_names if c != "tenant_id"]
    params: list[Any] = []
    union = " UNION ALL ".join(_op_select(table, op, etype, i, columns=columns, params=params) for etype, i, op in ops)
    keys = table.key
    folded = [f"{_q(k)}" for k in keys]
    for name in columns:
        if name in keys:
            continue
        folded.append(f"arg_max_null({_q(name)}, ord) FILTER (WHERE {_q(name + '__set')}) AS {_q(name)}")
        folded.append(f"bool_or({_q(name + '__set')}) AS {_q(name + '__set')}")
    folded.append("bool_or(is_insert) AS is_insert")
    group = ", ".join(_q(k) for k in keys)
    query = f"SELECT {', '.join(folded)} FROM ({union}) GROUP BY {group}"
    fold = _fill(duck, f"{_FOLD}_{table.name}", query, params, scratch)
    all_cols = ", ".join(_q(c) for c in table.column_names)
    duck.execute(
        f"INSERT INTO {_q(table.name)} ({all_cols}) SELECT {all_cols} FROM {fold} WHERE is_insert"
        " ON CONFLICT DO NOTHING"
    )
    sets = [
        f"{_q(c)} = CASE WHEN f.{_q(c + '__set')} THEN f.{_q(c)} ELSE t.{_q(c)} END" for c in columns if c not in keys
    ]
    if sets:
        match = " AND ".join(f"t.{_q(k)} = f.{_q(k)}" for k in keys)
        duck.execute(f"UPDATE {_q(table.name)} AS t SET {', '.join(sets)} FROM {fold} f WHERE {match}")
    rows = duck.execute(f"SELECT count(*) FROM {fold}").fetchall()
    return int(rows[0][0])


_OCCURRED = "epoch_us(TRY_CAST(e.occurred_at AS TIMESTAMPTZ))"


def _drop_loaded(duck: duckdb.DuckDBPyConnection, loaded_until_us: int) -> None:
    """Pass over events an earlier incarnation of the stream already loaded (same event id). Only events that
    occurred by ``loaded_until_us`` can be among them, so the event log is searched only for a batch that has
    such events: once the old backlog is behind, this costs one scan of the batch."""
    old = duck.execute(f"SELECT count(*) FROM {_PARSED} WHERE ok AND {_OCCURRED} <= ?", [loaded_until_us]).fetchall()
    if old[0][0]:
        duck.execute(
            f"DELETE FROM {_PARSED} WHERE ok AND {_OCCURRED} <= ?"
            " AND TRY_CAST(e.id AS UUID) IN (SELECT id FROM pavedroad_meta.events)",
            [loaded_until_us],
        )


def load_raw_batch(
    duck: duckdb.DuckDBPyConnection,
    tables: Mapping[str, Table],
    projections: Mapping[str, Sequence[Projection]],
    raw: pa.Table,
    *,
    scratch: set[str],
    want_ids: bool = False,
    loaded_until_us: int | None = None,
) -> tuple[int, int, int, list[str]]:
    """Load ``raw`` (``RAW_SCHEMA``) inside the caller's transaction; return (events, rejects, rows, ids).

    ``scratch`` names the scratch tables this connection already has; the caller empties it when its
    transaction rolls back (which drops tables created in it). With ``loaded_until_us`` (epoch µs, set after a
    stream reset), events that occurred by then and whose id the event log already holds are passed over.
    """
    duck.register(_RAW, raw)
    try:
        _fill(
            duck,
            _PARSED,
            f"SELECT stream_seq, subject, data, e, {_OK} AS ok FROM (SELECT stream_seq, subject, data, {_PARSE} AS e"
            f" FROM {_RAW})",
            None,
            scratch,
        )
    finally:
        _unregister_name(duck, _RAW)
    if loaded_until_us is not None:
        _drop_loaded(duck, loaded_until_us)
    if _BATCH not in scratch:  # a view: the parsed rows are read where they lie, no second copy per batch
        duck.execute(
            f"CREATE OR REPLACE TEMP VIEW {_BATCH} AS SELECT stream_seq, subject, e.id AS id, e.type AS type,"
            " e.schema_version AS schema_version, e.tenant_id AS tenant_id, e.aggregate_type AS aggregate_type,"
            " e.aggregate_id AS aggregate_id, CAST(e.occurred_at AS TIMESTAMPTZ) AS occurred_at,"
            f" e.payload AS payload, e.classification AS classification FROM {_PARSED} WHERE ok"
        )
        scratch.add(_BATCH)
    # one statement for the counts and the types present (each statement costs on small batches)
    summary = duck.execute(
        f"SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),"
        f" list(DISTINCT e.type) FILTER (WHERE ok) FROM {_PARSED}"
    ).fetchall()[0]
    events, rejects, present = int(summary[0]), int(summary[1]), set(summary[2] or [])
    if rejects:
        duck.execute(
            "INSERT INTO pavedroad_meta.rejects (stream_seq, subject, error, data, rejected_at)"
            f" SELECT stream_seq, subject, 'not a pavedroad event envelope', CAST(encode(data) AS BLOB), now()"
            f" FROM {_PARSED} WHERE NOT ok"
        )
    if events == 0:
        return 0, rejects, 0, []
    duck.execute(
        "INSERT INTO pavedroad_meta.events (stream_seq, id, type, schema_version, tenant_id, aggregate_type,"
        " aggregate_id, occurred_at, payload, loaded_at)"
        " SELECT stream_seq, CAST(id AS UUID), type, schema_version, tenant_id, aggregate_type, aggregate_id,"
        # payloads holding a field classified sensitive are not kept in the analytics store
        " occurred_at, CASE WHEN contains(CAST(classification AS VARCHAR), '\"sensitive\"') THEN NULL ELSE payload END,"
        f" now() FROM {_BATCH}"
    )
    by_table: dict[str, list[tuple[str, int, Projection]]] = {}
    for event_type in sorted(present):
        for i, op in enumerate(projections.get(event_type, ())):
            by_table.setdefault(op.table, []).append((event_type, i, op))
    rows = sum(_load_table(duck, tables[name], ops, scratch) for name, ops in by_table.items())
    ids = [r[0] for r in duck.execute(f"SELECT id FROM {_BATCH}").fetchall()] if want_ids else []
    return events, rejects, rows, ids
