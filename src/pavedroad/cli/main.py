"""The ``pavedroad`` command: the root Typer app and one command group per block."""

from __future__ import annotations

import importlib

import typer

from pavedroad.cli import platform

app = typer.Typer(
    name="pavedroad",
    help="The paved road for a multi-tenant SaaS: run the platform, query it, guard it, roll out safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
platform.register(app)

# (module under pavedroad.cli, group name). A block's module exposes ``app``; missing ones are skipped
# so a block can land its CLI independently.
GROUPS: tuple[tuple[str, str], ...] = (
    ("query", "query"),
    ("guard", "guard"),
    ("privacy", "privacy"),
    ("audit", "audit"),
    ("flags", "flags"),
    ("slo", "slo"),
    ("canary", "canary"),
    ("events", "events"),
    ("warehouse", "warehouse"),
    ("custom_fields", "custom-fields"),
)
for module_name, group in GROUPS:
    try:
        module = importlib.import_module(f"pavedroad.cli.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"pavedroad.cli.{module_name}":
            raise
        continue
    app.add_typer(module.app, name=group)


def main() -> None:
    """Console-script entry point."""
    app()
