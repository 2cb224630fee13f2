"""The examples in the SLO block's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["pavedroad.slo.sketch", "pavedroad.slo.windows", "pavedroad.slo.budget"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def test_public_api_is_curated() -> None:
    """Every public name of pavedroad.slo is listed in __all__ and exists."""
    from pavedroad import slo

    public = {n for n in dir(slo) if not n.startswith("_")} - {
        "alerts", "asgi", "budget", "cached", "cohort", "evaluator", "flusher", "loader", "memory", "middleware", "openslo",
        "openslo_model", "ports", "prom", "promql", "recorder", "reports", "rules", "sketch", "sloth", "spec",
        "store", "windows"}
    assert public == set(slo.__all__)
