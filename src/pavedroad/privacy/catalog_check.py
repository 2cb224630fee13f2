"""``pavedroad guard check``: migrate a scratch database, read its catalog, apply the isolation rules.

Guarantee: the check runs against exactly what the migrations produce (a fresh database on the same
server, dropped afterwards even on failure), never against a live database's drift, and returns every
finding of ``catalog_rules.check_catalog``. ``check_tenant_setting_sources`` is its static twin for code:
no Python source sets ``app.*`` tenant settings itself, because only ``pavedroad_meta.enter_tenant`` (through
``tenancy.set_tenant``) can set a tenant the policies accept.
"""

from __future__ import annotations

import ast
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from pavedroad.db import APP_ROLE, MigrationSource, migrate, with_database
from pavedroad.privacy.catalog import Catalog, read_catalog
from pavedroad.privacy.catalog_rules import DEFAULT_DEFINER_ALLOW_LIST, check_catalog
from pavedroad.privacy.findings import Finding
from pavedroad.privacy.registry import Registry

__all__ = ["check_tenant_setting_sources", "run_catalog_check", "scratch_database"]

_RAW_TENANT_SETTING = re.compile(r"set_config\s*\(\s*['\"]app\.", re.IGNORECASE)


@contextmanager
def scratch_database(admin_url: str, sources: Sequence[MigrationSource]) -> Iterator[str]:
    """A new database migrated with ``sources``; yields its owner URL and drops it afterwards."""
    name = f"pavedroad_guard_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(admin_url, name)
    try:
        migrate(url, sources)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def read_scratch_catalog(admin_url: str, sources: Sequence[MigrationSource]) -> Catalog:
    """The catalog of a fresh database migrated with ``sources``."""
    with scratch_database(admin_url, sources) as url, psycopg.connect(url) as conn:
        return read_catalog(conn, APP_ROLE)


def run_catalog_check(
    admin_url: str,
    sources: Sequence[MigrationSource],
    registry: Registry,
    *,
    definer_allow_list: Iterable[str] = DEFAULT_DEFINER_ALLOW_LIST,
) -> list[Finding]:
    """Every isolation finding of the schema ``sources`` build (empty list: the schema is safe)."""
    catalog = read_scratch_catalog(admin_url, sources)
    return check_catalog(catalog, registry, definer_allow_list=definer_allow_list)


def check_tenant_setting_sources(roots: Iterable[Path]) -> list[Finding]:
    """G117: every string in Python code under ``roots`` (docstrings aside) that calls ``set_config('app.…')``."""
    findings = []
    for root in roots:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            tree = ast.parse(path.read_text(errors="replace"), str(path))
            docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and _RAW_TENANT_SETTING.search(node.value)
                ):
                    findings.append(
                        Finding(
                            "G117",
                            f"{path}:{node.lineno}",
                            "sets an app.* tenant setting directly, which the tenant policies do not trust",
                            "enter the tenant with pavedroad.tenancy.transaction / set_tenant",
                        )
                    )
    return sorted(findings)
