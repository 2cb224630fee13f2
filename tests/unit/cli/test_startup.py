"""What the CLI imports to start: `pavedroad --help` lists every group without importing any of them, nor
the database driver, the compiler, NATS or the warehouse; `import pavedroad` imports nothing heavy.

Start-up time itself is measured by benchmarks/cli.py; these tests pin the cause (what gets imported), which
does not depend on the machine's load.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from pavedroad.cli.main import GROUPS, Group, app

# Third-party packages a command loads only when it runs (each costs tens to hundreds of milliseconds).
HEAVY = (
    "psycopg", "pydantic", "pydantic_settings", "sqlglot", "lark", "yaml", "nats", "aiohttp", "pyarrow", "numpy",
    "duckdb", "fastapi", "starlette", "uvicorn", "httpx", "structlog", "opentelemetry", "jinja2",
)  # fmt: skip


def _modules_after(code: str) -> set[str]:
    """The modules loaded by a fresh interpreter after running ``code``."""
    probe = f"""
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_help_imports_no_group_and_no_heavy_dependency() -> None:
    modules = _modules_after(
        "from pavedroad.cli.main import main\n"
        "sys.argv = ['pavedroad', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _heavy(modules) == []
    group_modules = {f"pavedroad.cli.{g.module}" for g in GROUPS}
    assert sorted(group_modules & modules) == []
    assert "pavedroad.settings" not in modules
    assert "pavedroad.db" not in modules


def test_import_pavedroad_is_light() -> None:
    assert _heavy(_modules_after("import pavedroad")) == []


def test_the_stack_loads_nats_only_for_commands_that_ask_for_it() -> None:
    modules = _modules_after("import pavedroad.stack")
    assert not {"nats", "aiohttp", "pavedroad.events"} & modules
    assert not [m for m in modules if m.startswith("pavedroad.") and m.split(".")[1] in {"slo", "flags", "privacy"}]


def test_help_lists_every_group_with_its_own_help_line() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "240", "TERMINAL_WIDTH": "240"})
    assert result.exit_code == 0
    for group in GROUPS:
        assert group.name in result.output
        assert group.help in result.output


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_the_listed_help_is_the_groups_own(group: Group) -> None:
    """The one-line help kept in GROUPS (shown without importing the group) says what the group says."""
    module = importlib.import_module(f"pavedroad.cli.{group.module}")
    assert isinstance(module.app, typer.Typer)
    assert module.app.info.help == group.help


def test_a_group_loads_when_used() -> None:
    result = CliRunner().invoke(app, ["query", "--help"])
    assert result.exit_code == 0
    assert "compile" in result.output


def test_a_misspelt_group_gets_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["qurey"])
    assert result.exit_code == 2
    assert "Did you mean 'query'" in result.output
