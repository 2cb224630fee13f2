"""The ``pavedroad`` command: the root Typer app and one command group per block.

A group's module is imported only when that group runs (or its own help is asked for): ``pavedroad
--help`` lists every group from the one-line help kept in ``GROUPS``, so it starts without the database
driver, the query compiler, NATS or the warehouse. ``tests/unit/cli/test_startup.py`` keeps it so.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import ClassVar

import typer
from typer._click import Command, Context, HelpFormatter  # Typer's own click, which it vendors
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from pavedroad.cli import platform, release

__all__ = ["GROUPS", "Group", "app", "main"]


@dataclass(frozen=True, slots=True)
class Group:
    """A command group: its name, the module under ``pavedroad.cli`` whose ``app`` it is, and the line
    ``pavedroad --help`` shows for it (the group's own help; a test keeps the two equal)."""

    name: str
    module: str
    help: str


GROUPS: tuple[Group, ...] = (
    Group("query", "query", "The query language: run reports and list views, or compile them to SQL."),
    Group("guard", "guard", "Guardrails: catalog isolation check, migration safety, egress."),
    Group("privacy", "privacy", "Data subject requests: export and erase a candidate's data; legal holds."),
    Group("audit", "audit", "Read the audit trail (append-only; every query, read, export, erase and denial)."),
    Group("flags", "flags", "Feature flags: flagd-format flags with ramps, kill switches and an audit trail."),
    Group("slo", "slo", "SLOs: validate specs, generate Prometheus rules, show budgets and the worst endpoints."),
    Group(
        "canary",
        "canary",
        "Canary analysis: simulate thresholds, show guarded rollouts' decisions, explain them, judge a deploy.",
    ),
    Group("events", "events", "Event pipeline: outbox relay, status, schema checks, dead letters, replay."),
    Group("warehouse", "warehouse", "The DuckDB warehouse: sink, rebuild, Parquet export."),
    Group("custom-fields", "custom_fields", "Custom fields: list, define (with a classification) and reclassify."),
    Group("workflows", "workflows", "Durable workflows: list, show, retry and cancel runs."),
    Group("policy", "policy", "Policies: who can do what, diff two policy sets, run a tenant's policy tests."),
    Group(
        "schedule",
        "schedule",
        "Interview scheduling: solve a request file (earliest, balanced), or say why nothing fits.",
    ),
)

_LISTING = "pavedroad.listing-commands"


def load_group(group: Group) -> Command:
    """The group's click command, built from its module's Typer app (importing the module)."""
    module = importlib.import_module(f"pavedroad.cli.{group.module}")
    command = typer.main.get_group(module.app)  # as ``add_typer`` builds it: no completion options
    command.name = group.name
    return command


class LazyGroups(TyperGroup):
    """The root group: platform commands registered as usual, block groups imported on first use.

    While the root help is formatted, a group not yet loaded is listed from its ``GROUPS`` entry (a
    stand-in that only carries the help line); resolving a command name always loads the real group.
    """

    lazy: ClassVar[dict[str, Group]] = {g.name: g for g in GROUPS}

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        group = self.lazy[cmd_name]
        if ctx.meta.get(_LISTING):
            return TyperGroup(name=group.name, help=group.help)
        command = load_group(group)
        self.add_command(command, cmd_name)
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            del ctx.meta[_LISTING]

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """Typer's resolution, with "did you mean" drawn from every group, loaded or not."""
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise


app = typer.Typer(
    name="pavedroad",
    help="The paved road for a multi-tenant SaaS: run the platform, query it, guard it, roll out safely.",
    cls=LazyGroups,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
platform.register(app)
release.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
