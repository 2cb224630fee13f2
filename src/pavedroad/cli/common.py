"""What every command shares: settings loaded once, errors printed as code + message + hint.

Light to import (no pydantic, no database driver): every command module imports it, and ``pavedroad
--help`` must not pay for what only a running command needs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from rich.console import Console

from pavedroad.errors import PavedroadError

if TYPE_CHECKING:
    from pavedroad.settings import Settings

__all__ = ["console", "err_console", "friendly_errors", "settings"]

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    """The validated settings (a bad value exits with the setting's name and expected form)."""
    from pavedroad.settings import get_settings

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
