"""The public surface: every name is listed in ``__all__``, and every docstring example runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

from pavedroad import resilience

MODULES = sorted(
    [f"pavedroad.resilience.{info.name}" for info in pkgutil.iter_modules(resilience.__path__)]
    + ["pavedroad.resilience", "pavedroad.testing.transport", "pavedroad.testing.fault_server"]
)


def test_every_public_name_is_listed() -> None:
    public = {name for name in vars(resilience) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(resilience, name)).__name__ == "module"}
    assert public - modules == set(resilience.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
