"""ClickHouse as a query target: how compiled SQL is spelled for it, how values reach it as query
parameters, and an in-process ClickHouse (``chdb``) holding the same tables as the warehouse copy.

Guarantees:
- Every value is a ClickHouse query parameter ``{name:Type}``, sent through chdb's parameter channel and
  parsed by the server as a value of that type (the text escaping below is the parameter format's, not
  SQL's): no value is ever spliced into the statement.
- Timestamps are stored as instants (``DateTime64(6)``) and read in the tenant's time zone (the compiler
  wraps every timestamp column in ``toTimeZone(…, {tz:String})``), so dates, buckets and day counts agree
  with Postgres and DuckDB, whose session time zone is the tenant's.
- The session runs with SQL-standard NULL semantics where ClickHouse's defaults differ: LEFT JOIN pads
  with NULL (``join_use_nulls``), and an aggregate over no rows is NULL (``aggregate_functions_null_for_empty``).

chdb is an optional dependency (the ``clickhouse`` dependency group, ~0.5 GB): only this target needs it.
"""

from __future__ import annotations

import math
import re
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.clickhouse import ClickHouse
from sqlglot.generators.clickhouse import ClickHouseGenerator

from pavedroad.query.context import Slot
from pavedroad.query.model import SemanticModel

__all__ = ["ClickHouseSql", "ClickHouseTables", "encode_params", "placeholder_type"]

_TYPES = {"int": "Int64", "number": "Float64", "string": "String", "bool": "Bool", "date": "Date32",
          "timestamp": "DateTime64(6)"}  # fmt: skip
# Slot kinds whose value type does not come from the query's types.
_KIND_TYPES = {"tenant": "String", "now": "DateTime64(6)", "time_zone": "String", "interval": "Int64",
               "limit": "UInt64", "page_limit": "UInt64", "row_cap": "UInt64"}  # fmt: skip

# Applied to every query on the session (see the module docstring).
# Parquet JSON columns load as their text (JSON arrays and scalars are not ClickHouse JSON objects).
SETTINGS = {
    "join_use_nulls": "1",
    "aggregate_functions_null_for_empty": "1",
    "input_format_parquet_enable_json_parsing": "0",
}


def placeholder_type(slot: Slot) -> str:
    """The ClickHouse type of a slot's parameter: nullable only for a caller's ``$param`` (constants,
    literals and cursor keys are never NULL; a NULL literal is SQL ``NULL``)."""
    fixed = _KIND_TYPES.get(slot.kind)
    if fixed is not None:
        return fixed
    base = _TYPES.get(slot.type or "string", "String")
    return f"Nullable({base})" if slot.kind == "param" else base


class _Generator(ClickHouseGenerator):
    TYPE_MAPPING: ClassVar[dict[Any, str]] = {
        **ClickHouseGenerator.TYPE_MAPPING,
        exp.DataType.Type.TIMESTAMPTZ: "DateTime64(6)",
        exp.DataType.Type.DATE: "Date32",
    }


class ClickHouseSql(ClickHouse):
    """SQLGlot's ClickHouse dialect with microsecond timestamps and wide dates (as Postgres and DuckDB
    keep them): ``TIMESTAMPTZ`` is ``DateTime64(6)``, ``DATE`` is ``Date32``."""

    Generator = _Generator


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):\s*([^{}]+)\}")


def _types_of(sql: str) -> dict[str, str]:
    return {m.group(1): m.group(2).strip() for m in _PLACEHOLDER.finditer(sql)}


def _escape(text: str) -> str:
    """The query-parameter text format (ClickHouse's escaped format): backslash escapes, so a value can
    hold any character and is never read as anything but itself."""
    out = text.replace("\\", "\\\\")
    for raw, esc in (("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("\0", "\\0"), ("\b", "\\b"), ("\f", "\\f")):
        out = out.replace(raw, esc)
    return out


def _instant(value: datetime | str) -> str:
    """An instant as Unix seconds (unambiguous in any time zone); a wall-clock time without an offset stays
    wall-clock text, read in the session's (the tenant's) time zone, as Postgres reads it."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return f"{moment.astimezone(UTC).timestamp():.6f}"


def encode_params(sql: str, params: dict[str, Any]) -> dict[str, str]:
    """The bound values of ``sql`` in ClickHouse's query-parameter text format, by each placeholder's type."""
    types = _types_of(sql)
    out: dict[str, str] = {}
    for name, value in params.items():
        typ = types.get(name)
        if typ is None:
            continue
        if value is None:
            out[name] = "\\N"
        elif "DateTime64" in typ:
            out[name] = _instant(value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, datetime | date):
            out[name] = value.isoformat()
        elif isinstance(value, float):
            out[name] = repr(value)
        else:
            out[name] = _escape(str(value))
    return out


def _column_type(parquet_type: str) -> str:
    """A Parquet column's type in the ClickHouse table: instants without a fixed zone (read in the tenant's
    zone by the compiled SQL), JSON as its text (the compiled SQL extracts keys with ``JSONExtract``)."""
    nullable = parquet_type.startswith("Nullable(")
    inner = parquet_type[len("Nullable(") : -1] if nullable else parquet_type
    if inner.startswith("DateTime"):
        inner = "DateTime64(6)"
    elif inner == "JSON" or inner.startswith("JSON("):
        inner = "String"
        nullable = True
    return f"Nullable({inner})" if nullable else inner


class _Server:
    """The process's one embedded ClickHouse (chdb allows one per process), its session settings, and
    which database and time zone the session currently uses."""

    session: Any = None
    database = ""
    zone = ""
    timeout_s = 0

    @classmethod
    def get(cls) -> Any:
        if cls.session is None:
            from chdb import session  # only this target needs chdb (dependency group ``clickhouse``)

            opened: Any = session.Session()  # type: ignore[no-untyped-call]
            for key, value in SETTINGS.items():
                opened.query(f"SET {key} = {value}")  # fixed names and values (SETTINGS above)
            cls.session = opened
        return cls.session


class ClickHouseTables:
    """The model's tables in an in-process ClickHouse (chdb), loaded from Parquet — what the warehouse
    exports and any engine reads. Each instance is its own database on the process's one embedded server
    (chdb's limit), so several can be open at once; ``close`` drops it."""

    def __init__(self) -> None:
        self.session = _Server.get()
        self._tmp = tempfile.TemporaryDirectory(prefix="pavedroad-chdb-")
        self.path = Path(self._tmp.name)
        self.database = f"pavedroad_{uuid.uuid4().hex}"
        self.session.query(f"CREATE DATABASE {self.database}")  # a name made here, not input

    def load_parquet(self, table: str, parquet: Path) -> int:
        """Replace ``table`` with the rows of ``parquet``; return the row count. Names come from the
        validated model; the file path is a query parameter."""
        source = "file({path:String}, Parquet)"
        described = self.query(f"DESCRIBE {source}", {"path": str(parquet)})
        cols = [(str(r[0]), _column_type(str(r[1]))) for r in described]
        ddl = ", ".join(f"`{n}` {t}" for n, t in cols)
        order = "tenant_id" if any(n == "tenant_id" and not t.startswith("Nullable") for n, t in cols) else "tuple()"
        self.query(f"DROP TABLE IF EXISTS `{table}`")
        self.query(f"CREATE TABLE `{table}` ({ddl}) ENGINE = MergeTree ORDER BY {order}")
        select = ", ".join(f"CAST(`{n}` AS {t}) AS `{n}`" for n, t in cols)
        self.query(f"INSERT INTO `{table}` SELECT {select} FROM {source}", {"path": str(parquet)})
        return int(self.query(f"SELECT count() FROM `{table}`")[0][0])

    def load_from_duckdb(self, duck: Any, model: SemanticModel) -> dict[str, int]:
        """Every table of ``model`` in DuckDB ``duck`` (e.g. ``warehouse_copy.copy_tables``), written as
        Parquet and loaded; return rows per table."""
        out_dir = self.path / "parquet"
        out_dir.mkdir(parents=True, exist_ok=True)
        counts = {}
        for ent in model.entities.values():
            target = out_dir / f"{ent.table}.parquet"
            duck.execute(f"COPY {ent.table} TO '{target}' (FORMAT parquet)")  # a path we made, not input
            counts[ent.table] = self.load_parquet(ent.table, target)
        return counts

    def query(self, sql: str, params: dict[str, str] | None = None, time_zone: str = "UTC") -> list[tuple[Any, ...]]:
        """Rows of ``sql`` with ``params`` (already in parameter text format) bound by the server."""
        return [tuple(r.values()) for r in self.arrow(sql, params, time_zone).to_pylist()]

    def arrow(self, sql: str, params: dict[str, str] | None = None, time_zone: str = "UTC", timeout_ms: int = 0) -> Any:
        """``sql``'s answer as an Arrow table (column names and types kept), on this instance's database in
        session time zone ``time_zone`` (a zone name the caller validated), stopped after ``timeout_ms``
        (0: no limit; whole seconds, rounded up)."""
        if _Server.database != self.database:
            self.session.query(f"USE {self.database}")
            _Server.database = self.database
        if _Server.zone != time_zone:
            self.session.query(f"SET session_timezone = '{time_zone}'")
            _Server.zone = time_zone
        seconds = math.ceil(timeout_ms / 1000)
        if _Server.timeout_s != seconds:
            self.session.query(f"SET max_execution_time = {seconds:d}")
            _Server.timeout_s = seconds
        return self.session.query(sql, "ArrowTable", params=params or {})

    def close(self) -> None:
        self.session.query(f"DROP DATABASE IF EXISTS {self.database}")
        if _Server.database == self.database:
            self.session.query("USE default")
            _Server.database = "default"
        self._tmp.cleanup()

    def __enter__(self) -> ClickHouseTables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
