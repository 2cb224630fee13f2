"""What every command shares: settings loaded once, errors printed as code + message + hint."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from rich.console import Console

from pavedroad.errors import PavedroadError
from pavedroad.settings import Settings, get_settings

__all__ = ["console", "err_console", "friendly_errors", "settings"]

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    """The validated settings (a bad value exits with the setting's name and expected form)."""
    return get_settings()


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``PavedroadError`` into its rendered text on stderr and exit code 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PavedroadError as exc:
            err_console.print(f"[bold red]error[/] {exc.render()}", highlight=False, markup=True)
            sys.exit(2)

    return wrapper
