"""The examples in the SLO block's docstrings run, and its public API is curated."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

MODULES = ["pavedroad.slo.sketch", "pavedroad.slo.windows", "pavedroad.slo.budget"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def test_public_api_is_curated() -> None:
    """Every public name of pavedroad.slo (its submodules aside) is listed in __all__."""
    from pavedroad import slo

    submodules = {m.name for m in pkgutil.iter_modules(slo.__path__)}
    public = {n for n in dir(slo) if not n.startswith("_")} - submodules
    assert public == set(slo.__all__)
