"""Guard commands: checks that fail CI when a guardrail is missing."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pavedroad.cli.common import console, err_console, friendly_errors, settings

if TYPE_CHECKING:
    from pavedroad.db import MigrationSource
    from pavedroad.privacy import Finding, Registry

app = typer.Typer(help="Guardrails: catalog isolation check, migration safety, egress.", no_args_is_help=True)

_ExtraOpt = Annotated[
    list[Path] | None,
    typer.Option("--extra-migrations", help="Also apply this folder of *.sql after the blocks' migrations."),
]
_JsonOpt = Annotated[bool, typer.Option("--json", help="Print findings as JSON lines.")]


def package_root() -> Path:
    """The installed ``pavedroad`` package, whose sources the static checks read."""
    return Path(str(resources.files("pavedroad")))


def model_path() -> Path:
    """The reference service's semantic model, the primary classification registry."""
    return Path(str(resources.files("pavedroad.recruiting").joinpath("model.yaml")))


def stack_registry() -> Registry:
    """The registry of the whole stack: the semantic model plus every block's classification.yaml."""
    from pavedroad.privacy import load_registry
    from pavedroad.stack import MIGRATION_PACKAGES

    return load_registry(model_paths=[model_path()], packages=[p for _, p in MIGRATION_PACKAGES])


def model_columns() -> set[tuple[str, str]]:
    """(table, column) pairs the semantic model uses (dropping or renaming them is unsafe)."""
    from pavedroad.privacy import load_registry

    return set(load_registry(model_paths=[model_path()]))


def _sources(extra: list[Path] | None) -> list[MigrationSource]:
    from pavedroad.db import source_from_dir
    from pavedroad.stack import all_migration_sources

    sources = list(all_migration_sources())
    for number, folder in enumerate(extra or ()):
        sources.append(source_from_dir(f"extra{number}", folder))
    return sources


def _report(findings: list[Finding], as_json: bool, ok_message: str) -> None:
    for finding in findings:
        if as_json:
            print(json.dumps(finding.__dict__))
        else:
            err_console.print(finding.render(), highlight=False, markup=False, soft_wrap=True)
    if findings:
        raise typer.Exit(1)
    if not as_json:
        console.print(ok_message)


@app.command()
@friendly_errors
def check(extra: _ExtraOpt = None, as_json: _JsonOpt = False) -> None:
    """Migrate a scratch database and check tenant isolation and classification in its catalog, the
    server's log settings, and that no code sets the tenant around ``pavedroad.tenancy``."""
    from pavedroad.privacy import check_tenant_setting_sources, run_catalog_check
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False, run_migrations=False)
    try:
        findings = run_catalog_check(stack.owner_url, _sources(extra), stack_registry())
    finally:
        stack.stop()
    findings += check_tenant_setting_sources([package_root()])
    _report(
        findings,
        as_json,
        "catalog check passed: every tenant table is scoped, keyed, classified and distributable by tenant_id",
    )


@app.command()
@friendly_errors
def migrations(
    extra: _ExtraOpt = None,
    as_json: _JsonOpt = False,
    no_squawk: Annotated[bool, typer.Option("--no-squawk", help="Only pavedroad's own rules.")] = False,
) -> None:
    """Check every migration for online safety (squawk plus pavedroad's rules)."""
    from pavedroad.privacy import run_migration_check

    findings = run_migration_check(_sources(extra), model_columns=model_columns(), use_squawk=not no_squawk)
    _report(findings, as_json, "migrations are online-safe")


@app.command()
@friendly_errors
def egress(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories to scan (default: src).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a call site bypasses a pipeline.")] = False,
    as_json: _JsonOpt = False,
) -> None:
    """List every outbound call site (AST scan) and whether it goes through pavedroad.resilience."""
    from pavedroad.resilience import render_egress_table as render_table
    from pavedroad.resilience import scan_egress

    sites = scan_egress(paths or [Path("src")])
    if as_json:
        for site in sites:
            print(json.dumps(site.to_dict()))
    else:
        console.print(render_table(sites))
    if strict and any(site.status == "bypass" for site in sites):
        raise typer.Exit(1)
