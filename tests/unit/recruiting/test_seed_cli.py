"""``pavedroad seed`` refuses bad arguments with a clear message and a non-zero exit, before any server starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pavedroad.cli.main import app


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["seed", "--applications", "0"], "must be positive"),
        (["seed", "--applications", "2", "--tenants", "5"], "at least one application per tenant"),
        (["seed", "--tenants", "-1"], "must be positive"),
    ],
)
def test_bad_sizes_print_a_clear_error(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(app, args)
    output = " ".join(result.output.split())  # Rich wraps long lines
    assert result.exit_code != 0
    assert needle in output
    assert "pavedroad seed --applications" in output  # the hint shows a valid call


@pytest.mark.parametrize("args", [["seed", "--applications", "lots"], ["seed", "--no-such-option"]])
def test_malformed_arguments_print_usage(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Usage" in result.output
