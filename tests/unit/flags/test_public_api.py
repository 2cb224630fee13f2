"""The block's public surface: curated ``__all__``, runnable docstring examples, nothing started at import."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import threading
import types
from pathlib import Path

import pytest

from pavedroad import flags

MODULES = sorted(m.name for m in pkgutil.iter_modules(flags.__path__, "pavedroad.flags."))


def test_every_public_name_is_listed_in_all() -> None:
    public = {
        name
        for name, value in vars(flags).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(flags.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_constructing_a_runtime_starts_no_thread(tmp_path: Path) -> None:
    """Pre-fork servers may build the runtime before forking: nothing runs until the first evaluation."""
    before = threading.active_count()
    runtime = flags.FlagRuntime("postgresql://pavedroad_app@127.0.0.1:1/nowhere", tmp_path / "s.json")
    client = flags.FlagClient(runtime)
    assert threading.active_count() == before
    assert runtime.started is False
    assert client.enabled("anything", {}, default=True) is True  # store down, no snapshot: the default
    runtime.stop()
