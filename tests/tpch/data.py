"""TPC-H data for the yardstick: generated offline, loaded into DuckDB with a tenant column.

``generate`` writes the eight tables as Parquet with ``tpchgen-cli`` (a dev dependency; the dbgen generator's
data, row for row). DuckDB's ``tpch`` extension would do it too, but no ``duckdb-extension-tpch`` wheel exists
for the duckdb the project pins (2.0.0; the wheels stop at 1.5.5): where the extension loads,
``official_answers`` also reads its ``tpch_answers()``.

``load`` creates each table with the tenant column ``org`` (``acme``), numbers lineitem's and partsupp's rows
(their TPC-H keys are composite), and with ``decoy=True`` adds a second tenant holding a copy of every
dimension row and of a tenth of the facts: a scan that missed its tenant predicate would double joins and
sums, so a right answer proves every scan was scoped. The ``ref`` schema holds views of acme's rows under the
TPC-H column names, for the reference SQL.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from pavedroad.query import TenantSchema, load_model
from pavedroad.testing import comparable

__all__ = ["MODEL", "ORG", "PREFIX", "SCHEMA", "TABLES", "generate", "load", "normalized", "official_answers",
           "use_reference", "use_tenant"]  # fmt: skip

ORG = "acme"
MODEL = load_model(Path(__file__).with_name("model.yaml"))
SCHEMA = TenantSchema(ORG, 1, "UTC", ())
PREFIX = {"region": "r", "nation": "n", "supplier": "s", "customer": "c", "part": "p", "partsupp": "ps",
          "orders": "o", "lineitem": "l"}  # fmt: skip
TABLES = tuple(PREFIX)
_FACTS = {"orders": "o_orderkey % 10 = 0", "lineitem": "l_orderkey % 10 = 0", "partsupp": "ps_partkey % 10 = 0"}


def _generator() -> str:
    found = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    if not Path(found).exists():
        raise FileNotFoundError("tpchgen-cli is not installed (uv sync installs the dev dependencies)")
    return found


def generate(sf: float, folder: Path) -> Path:
    """The Parquet files of the TPC-H tables at scale factor ``sf`` under ``folder`` (generated once)."""
    out = folder / f"sf{sf:g}"
    if not (out / "lineitem.parquet").exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([_generator(), "parquet", "-s", f"{sf:g}", f"--output-dir={out}"], check=True,
                       capture_output=True, timeout=600)  # fmt: skip
    return out


def load(con: Any, files: Path, *, decoy: bool = False) -> None:
    """Tables of ``files`` in ``con`` with the tenant column ``org``; the ``ref`` schema views acme's rows."""
    for table, pre in PREFIX.items():
        rowid = f", row_number() over () as {pre}_rowid" if table in ("lineitem", "partsupp") else ""
        source = (files / f"{table}.parquet").as_posix()
        con.execute(f"create or replace table {table} as select '{ORG}' as org, *{rowid} from read_parquet('{source}')")
        if decoy:
            keep = _FACTS.get(table, "true")
            con.execute(
                f"insert into {table} select 'decoy', * exclude (org) from {table} where org = '{ORG}' and {keep}"
            )
    con.execute("create schema if not exists ref")
    for table, pre in PREFIX.items():
        drop = f"org, {pre}_rowid" if table in ("lineitem", "partsupp") else "org"
        con.execute(f"create or replace view ref.{table} as select * exclude ({drop}) from main.{table}"
                    f" where org = '{ORG}'")  # fmt: skip


def use_reference(con: Any) -> None:
    """Unqualified names read the ``ref`` views (acme's rows, TPC-H columns): for the reference SQL."""
    con.execute("set schema = 'ref'")


def use_tenant(con: Any) -> None:
    """Unqualified names read the tenant tables: for the compiled SQL."""
    con.execute("set schema = 'main'")


def official_answers(con: Any, sf: float) -> dict[int, list[list[str]]] | None:
    """``tpch_answers()`` for ``sf`` as rows of text cells per query, or None where the extension does not load."""
    try:
        con.execute("load tpch")
        rows = con.execute("select query_nr, answer from tpch_answers() where scale_factor = ?", [sf]).fetchall()
    except Exception:  # noqa: BLE001 - any failure to load means: no official answers here
        return None
    return {int(nr): [line.split("|") for line in text.splitlines()[1:] if line] for nr, text in rows}


def normalized(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows as compared between the compiled and the reference SQL (order kept); 5 significant digits,
    as DuckDB sums decimals exactly where an average may be a double."""
    return [tuple(comparable(v, digits=5) for v in r) for r in rows]
