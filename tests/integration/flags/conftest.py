"""Helpers for the flags integration tests: a store with a few flags in it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pavedroad.flags import Actor, parse_flag_set
from pavedroad.flags.store import import_flag_set, run
from pavedroad.testing import TestDatabase

FLAGS: dict[str, Any] = {
    "flags": {
        "new-ui": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"$ref": "beta_tenants"}, "on"]},
            "metadata": {"pavedroad.owner": "team-ats"},
        },
        "banner": {"state": "ENABLED", "variants": {"a": "hello", "b": "bye"}, "defaultVariant": "a"},
    },
    "$evaluators": {"beta_tenants": {"in": [{"var": "tenant"}, ["acme"]]}},
}


def write(url: str, op: Any) -> Any:
    """Run one store operation in its own transaction."""
    with psycopg.connect(url) as conn, conn.transaction():
        return run(conn, op)


@pytest.fixture
def store(database: TestDatabase) -> TestDatabase:
    """A migrated database holding ``FLAGS``."""
    write(database.owner_url, import_flag_set(parse_flag_set(FLAGS), actor=Actor.platform("test"), reason="seed"))
    return database
