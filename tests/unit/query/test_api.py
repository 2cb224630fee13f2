"""The block's public surface is curated, and the docstring example runs."""

from __future__ import annotations

import doctest

from pavedroad import query


def test_public_names_are_listed() -> None:
    modules = {n for n in dir(query) if isinstance(getattr(query, n), type(query))}
    public = {n for n in dir(query) if not n.startswith("_") and (n not in modules or n in query.__all__)}
    assert public == set(query.__all__)


def test_module_example_runs() -> None:
    assert doctest.testmod(query).failed == 0
