"""``pavedroad policy``: who can do what, what changes between two policy sets, and a tenant's policy tests.

Every command reads the platform policies shipped with recruiting unless ``--policies`` names Cedar files,
and a tenant's policies with ``--tenant-policies`` (they narrow the platform's, as at run time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pavedroad.cli.common import console, friendly_errors

if TYPE_CHECKING:
    from pavedroad.policy import PolicyEngine

app = typer.Typer(help="Policies: who can do what, diff two policy sets, run a tenant's policy tests.",
                  no_args_is_help=True)  # fmt: skip

_Policies = Annotated[
    list[Path] | None, typer.Option("--policies", help="Platform Cedar file(s) (default: the shipped policies).")
]
_Tenant = Annotated[Path | None, typer.Option("--tenant-policies", help="A tenant's Cedar file (narrows).")]
_Json = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


def _engine(paths: list[Path] | None, tenant: Path | None = None) -> PolicyEngine:
    """A new engine (never the process-wide one, which a tenant set would change): ``paths`` or the shipped
    platform policies, and the tenant's policies if given."""
    from pavedroad.policy import PolicyEngine
    from pavedroad.recruiting.model import recruiting_model
    from pavedroad.recruiting.policies import recruiting_policies

    if paths:
        engine = PolicyEngine.from_files(recruiting_model(), paths)
    else:
        engine = PolicyEngine(recruiting_model(), recruiting_policies().platform.text, source="platform")
    if tenant is not None:
        engine.set_tenant("_", tenant.read_text(), source=tenant.name)
    return engine


@app.command("who-can")
@friendly_errors
def who_can_cmd(
    action: Annotated[str, typer.Argument(help="read (or use_field), or a platform action such as flags.kill.")],
    target: Annotated[str, typer.Argument(help="entity.field, e.g. offers.salary (empty for platform actions).")] = "",
    policies: _Policies = None,
    tenant_policies: _Tenant = None,
    as_json: _Json = False,
) -> None:
    """Per role: may it do ACTION on TARGET, which policies decided, and which rows (for read)."""
    from pavedroad.policy import who_can

    rows = who_can(_engine(policies, tenant_policies), action, target)
    for a in rows:
        if as_json:
            typer.echo(json.dumps(a.to_dict(), sort_keys=True))
            continue
        rows_text = "" if a.rows is True or not a.allowed else f"  rows where {json.dumps(a.rows)}"
        verdict = "[green]yes[/]" if a.allowed else "[red]no[/]"
        console.print(f"{a.role:<15} {verdict}  {', '.join(a.policy_ids) or '(no policy)'}{rows_text}")


@app.command("diff")
@friendly_errors
def diff_cmd(
    before: Annotated[Path, typer.Argument(help="Cedar file: the platform policies before.")],
    after: Annotated[Path, typer.Argument(help="Cedar file: the platform policies after.")],
    as_json: _Json = False,
) -> None:
    """Which roles gain or lose which access from BEFORE to AFTER (exit 1 when anything changes)."""
    from pavedroad.policy import diff_access

    changes = diff_access(_engine([before]), _engine([after]))
    for c in changes:
        if as_json:
            typer.echo(json.dumps(c, sort_keys=True))
        else:
            extra = f"  {json.dumps(c.get('before'))} -> {json.dumps(c.get('after'))}" if c["change"] == "rows" else ""
            console.print(f"{c['change']:<7} {c['role']:<15} {c['action']:<14} {c['target']}{extra}", highlight=False)
    if not changes and not as_json:
        console.print("no change in access")
    raise typer.Exit(1 if changes else 0)


@app.command("test")
@friendly_errors
def run_tests_cmd(
    file: Annotated[Path, typer.Argument(help="A YAML file of expected decisions (docs/policy.md).")],
    policies: _Policies = None,
    as_json: _Json = False,
) -> None:
    """Run a tenant's policy tests: each case's decision against its expectation (exit 1 on a failure)."""
    from pavedroad.policy import run_policy_tests

    results = run_policy_tests(_engine(policies), file)
    for r in results:
        if as_json:
            typer.echo(json.dumps(r, sort_keys=True))
        else:
            mark = "[green]pass[/]" if r["passed"] else "[red]FAIL[/]"
            console.print(f"{mark} {r['name']}  ({'allow' if r['allowed'] else 'deny'}: "
                          f"{', '.join(r['policy_ids']) or 'no policy'})")  # fmt: skip
    failed = sum(not r["passed"] for r in results)
    if not as_json:
        console.print(f"{len(results) - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed else 0)
