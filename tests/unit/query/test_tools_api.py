"""The query tools' public surface is curated, and the docstring example runs."""

from __future__ import annotations

import doctest

from pavedroad import querytools as tools


def test_public_names_are_listed() -> None:
    public = {n for n in dir(tools) if not n.startswith("_") and not isinstance(getattr(tools, n), type(tools))}
    assert public == set(tools.__all__)


def test_module_example_runs() -> None:
    assert doctest.testmod(tools).failed == 0
